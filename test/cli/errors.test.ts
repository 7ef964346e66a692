import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cleanExitOf, CliError } from '../../src/cli/errors.js';
import { LinkCommandError } from '../../src/cli/linkComplete.js';
import { ConfigError } from '../../src/configError.js';
import { DomainError } from '../../src/domain/errors.js';
import { NoStoreError } from '../../src/store/open.js';
import { StoreUnavailableError } from '../../src/store/store.js';
import { AtlasUnreachable } from '../../src/sync/atlasClient.js';

describe('cleanExitOf', () => {
  it("keeps a CliError's own message and exit code", () => {
    const error = new CliError('not linked', 2);
    assert.equal(cleanExitOf(error), error);
    const linkError = new LinkCommandError('cannot read bootstrap.json');
    assert.deepEqual([cleanExitOf(linkError)?.message, cleanExitOf(linkError)?.exitCode], ['cannot read bootstrap.json', 1]);
  });
  it("maps the lower layers' operator errors to exit code 1 with their message", () => {
    for (const error of [
      new ConfigError('--port must be a whole number, got "x"'),
      new DomainError('ORG_NOT_FOUND', 'no organization with ID 1', ['1']),
      new StoreUnavailableError('the database does not answer'),
      new NoStoreError('no pushlink database in /tmp/x'),
      new AtlasUnreachable('no answer from http://127.0.0.1:1 within 5 ms'),
    ]) {
      const exit = cleanExitOf(error);
      assert.ok(exit, error.name);
      assert.equal(exit.message, error.message);
      assert.equal(exit.exitCode, 1);
    }
  });
  it('leaves anything else to crash with its stack (a bug, not an operator mistake)', () => {
    assert.equal(cleanExitOf(new TypeError('x is undefined')), undefined);
    assert.equal(cleanExitOf('a string'), undefined);
  });
});
