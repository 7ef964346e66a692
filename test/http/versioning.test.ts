import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { negotiateVersion, requestedVersionDate, resolveResourceVersion, versionedContentType } from '../../src/http/versioning.js';
import { ApiError } from '../../src/http/errors.js';

describe('requestedVersionDate', () => {
  it('reads the date of a versioned JSON Accept header', () => {
    assert.equal(requestedVersionDate('application/vnd.atlas.2023-01-01+json'), '2023-01-01');
    assert.equal(requestedVersionDate('application/vnd.atlas.2024-10-23+json; charset=utf-8'), '2024-10-23');
    assert.equal(requestedVersionDate('application/json, application/vnd.atlas.2025-03-12+json'), '2025-03-12');
  });
  it('rejects missing, unversioned, non-JSON and impossible dates', () => {
    for (const accept of [undefined, '', '*/*', 'application/json', 'application/vnd.atlas.preview+json',
      'application/vnd.atlas.2023-01-01+gzip', 'application/vnd.atlas.2023-02-30+json', 'application/vnd.atlas.2023-1-1+json',
      'application/vnd.atlas.20230101+json']) {
      assert.equal(requestedVersionDate(accept), null, String(accept));
    }
  });
});

describe('resolveResourceVersion', () => {
  const versions = ['2023-01-01', '2024-05-30'];
  it('serves the newest version on or before the requested date', () => {
    assert.equal(resolveResourceVersion('2023-01-01', versions), '2023-01-01');
    assert.equal(resolveResourceVersion('2024-05-29', versions), '2023-01-01');
    assert.equal(resolveResourceVersion('2024-05-30', versions), '2024-05-30');
    assert.equal(resolveResourceVersion('2099-12-31', versions), '2024-05-30');
  });
  it('finds none before the first version', () => {
    assert.equal(resolveResourceVersion('2022-12-31', versions), null);
  });
});

describe('negotiateVersion', () => {
  it('resolves the Atlas docs date 2024-10-23 to the link-token operation version 2023-01-01', () => {
    assert.equal(negotiateVersion('application/vnd.atlas.2024-10-23+json', ['2023-01-01']), '2023-01-01');
  });
  it('answers 406 INVALID_VERSION_DATE otherwise', () => {
    assert.throws(
      () => negotiateVersion('application/vnd.atlas.2022-06-01+json', ['2023-01-01']),
      (e: unknown) => e instanceof ApiError && e.status === 406 && e.errorCode === 'INVALID_VERSION_DATE',
    );
  });
  it('echoes the resource version with charset', () => {
    assert.equal(versionedContentType('2023-01-01'), 'application/vnd.atlas.2023-01-01+json;charset=utf-8');
  });
});
