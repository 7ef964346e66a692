import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/process.js';
import { tempDir } from '../helpers/server.js';

// With --json a failing command prints its error as one JSON object (stderr), never plain text:
// a refusal of pushlink's own and one of commander's (issue 16).

describe('errors with --json', () => {
  it("a command's own refusal", async () => {
    const res = await runCli(['org', 'list', '--data-dir', tempDir(), '--json']);
    assert.equal(res.code, 1);
    assert.equal(res.stdout, '');
    const { error } = JSON.parse(res.stderr) as { error: { message: string; exitCode: number } };
    assert.match(error.message, /^no pushlink database in /);
    assert.equal(error.exitCode, 1);
  });

  it("commander's refusal of a missing option, without the help text", async () => {
    const res = await runCli(['org', 'create', '--json']);
    assert.equal(res.code, 1);
    assert.deepEqual(JSON.parse(res.stderr), { error: { message: "required option '--name <name>' not specified", exitCode: 1 } });
  });

  it('plain text without --json', async () => {
    const res = await runCli(['org', 'create']);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^error: required option '--name <name>' not specified\n/);
  });
});
