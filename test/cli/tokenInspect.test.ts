import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { BootstrapCredentials } from '../../src/domain/bootstrap.js';
import { ATLAS_JSON, digestRequest } from '../helpers/http.js';
import { CLI, readBootstrap, runCli, startProcess, type ServerProcess } from '../helpers/process.js';
import { tempDir } from '../helpers/server.js';

// `pushlink token inspect`: offline decoding, stdin, JSON, and the key's state against a data dir
// that a running server uses.

/** Runs the CLI with `input` on standard input. */
function runWithStdin(args: string[], input: string): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], (error, stdout, stderr) => {
      resolve({ stdout, stderr, code: error ? ((error as { code?: number }).code ?? 1) : 0 });
    });
    child.stdin!.end(input);
  });
}

describe('pushlink token inspect', () => {
  let dir: string;
  let server: ServerProcess;
  let boot: BootstrapCredentials;
  const create = async (): Promise<string> => {
    const res = await digestRequest(`${server.url}/api/atlas/v2/orgs/${boot.orgId}/liveMigrations/linkTokens`, boot.apiKey, {
      method: 'POST',
      headers: { accept: ATLAS_JSON, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 201);
    return res.json.linkToken as string;
  };
  const privateKeyOf = (token: string) => JSON.parse(Buffer.from(token, 'base64').toString()).privateApiKey as string;

  before(async () => {
    dir = tempDir();
    server = await startProcess(['serve', '--port', '0', '--data-dir', dir, '--log-level', 'warn']);
    boot = readBootstrap(dir);
  });
  after(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('decodes a token offline, private key masked, status not checked', async () => {
    const token = await create();
    const res = await runCli(['token', 'inspect', token]);
    assert.equal(res.code, 0, res.stderr);
    const contents = JSON.parse(Buffer.from(token, 'base64').toString());
    assert.match(res.stdout, new RegExp(`orgId +${contents.orgId}`));
    assert.match(res.stdout, /orgName +pushlink/);
    assert.match(res.stdout, new RegExp(`publicApiKey +${contents.publicApiKey}`));
    assert.match(res.stdout, new RegExp(`privateApiKey +\\*{8}-\\*{4}-\\*{4}-\\*{4}-\\*{8}${contents.privateApiKey.slice(-4)}`));
    assert.match(res.stdout, /status +not checked/);
    assert.ok(!res.stdout.includes(contents.privateApiKey), 'the private key is masked');
  });

  it('reads the token from stdin with -, and says current, then superseded, then deleted, against the data dir', async () => {
    const first = await create();
    const current = await runWithStdin(['token', 'inspect', '-', '--data-dir', dir, '--json'], `${first}\n`);
    assert.equal(current.code, 0, current.stderr);
    const shown = JSON.parse(current.stdout);
    assert.deepEqual(Object.keys(shown), ['orgId', 'orgName', 'privateApiKey', 'publicApiKey', 'status']);
    assert.deepEqual(shown.status, { state: 'current' });
    assert.ok(!current.stdout.includes(privateKeyOf(first)));

    const second = await create();
    const superseded = await runCli(['token', 'inspect', first, '--data-dir', dir]);
    assert.equal(superseded.code, 0);
    assert.match(superseded.stdout, /status +superseded: a newer link-token replaced it at \d{4}-\d\d-\d\dT/);

    const del = await digestRequest(`${server.url}/api/atlas/v2/orgs/${boot.orgId}/liveMigrations/linkTokens`, boot.apiKey, {
      method: 'DELETE',
      headers: { accept: ATLAS_JSON },
    });
    assert.equal(del.status, 204);
    const deleted = await runCli(['token', 'inspect', second, '--data-dir', dir, '--json']);
    assert.equal(JSON.parse(deleted.stdout).status.state, 'deleted');
    assert.equal(JSON.parse((await runCli(['token', 'inspect', first, '--data-dir', dir, '--json'])).stdout).status.state, 'superseded');
  });

  it('says honestly what unknown means: no record, never issued here or retired longer ago than records are kept', async () => {
    const token = Buffer.from(
      JSON.stringify({ orgId: boot.orgId, orgName: 'pushlink', privateApiKey: '00000000-1111-4222-8333-444444449876', publicApiKey: 'qqqqqqqq' }),
    ).toString('base64');
    const res = await runCli(['token', 'inspect', token, '--data-dir', dir]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(
      res.stdout,
      /status +unknown: not this organization's current link key, and no record of it is kept: never issued here \(a token from another server\?\) or retired more than 90 days ago \(retired link keys are kept 90 days\)\n/,
    );
    assert.deepEqual(JSON.parse((await runCli(['token', 'inspect', token, '--data-dir', dir, '--json'])).stdout).status, { state: 'unknown' });
  });

  it('refuses garbage with a clear message and exit code 1, whatever the input', async () => {
    const cases: Array<[string, RegExp]> = [
      ['definitely not base64!', /not standard base64/],
      [Buffer.from('not json').toString('base64'), /does not decode to JSON/],
      [Buffer.from('[1,2]').toString('base64'), /not decode to a JSON object/],
      [Buffer.from('{"orgId":"x"}').toString('base64'), /field orgName is missing/],
      [Buffer.from(JSON.stringify({ orgId: 'a'.repeat(24), orgName: 'o', privateApiKey: 'secret-not-a-uuid', publicApiKey: 'abcdefgh' })).toString('base64'), /privateApiKey is not a UUID/],
    ];
    for (const [input, message] of cases) {
      const res = await runCli(['token', 'inspect', input]);
      assert.equal(res.code, 1, input);
      assert.match(res.stderr, /^pushlink: invalid link-token: /);
      assert.match(res.stderr, message);
      assert.equal(res.stdout, '');
      assert.doesNotMatch(res.stderr, /secret-not-a-uuid/, 'the message never echoes the token');
    }
    const empty = await runWithStdin(['token', 'inspect', '-'], '');
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /non-empty/);
  });

  it('refuses a data dir without a database, and creates none', async () => {
    const token = await create();
    const empty = tempDir();
    try {
      const res = await runCli(['token', 'inspect', token, '--data-dir', empty]);
      assert.equal(res.code, 1);
      assert.match(res.stderr, /^pushlink: no pushlink database in /);
      assert.deepEqual(fs.readdirSync(empty), []);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
