import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../src/http/errors.js';
import { parseRenderOptions } from '../../src/http/renderOptions.js';

describe('parseRenderOptions', () => {
  it('defaults both to false', () => {
    assert.deepEqual(parseRenderOptions({}), { envelope: false, pretty: false });
  });
  it('reads true and false', () => {
    assert.deepEqual(parseRenderOptions({ envelope: 'true', pretty: 'false' }), { envelope: true, pretty: false });
  });
  for (const bad of ['yes', '1', '', 'TRUE', ['true', 'true']]) {
    it(`refuses envelope=${JSON.stringify(bad)} with INVALID_QUERY_PARAMETER`, () => {
      assert.throws(
        () => parseRenderOptions({ envelope: bad }),
        (e: unknown) => e instanceof ApiError && e.errorCode === 'INVALID_QUERY_PARAMETER' && e.status === 400,
      );
    });
  }
});
