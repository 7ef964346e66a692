import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hasCurl, readBootstrap, runCli, runCurl, startProcess, type ServerProcess } from '../helpers/process.js';
import { tempDir } from '../helpers/server.js';
import { testStoreEnv } from '../helpers/store.js';

// The unhappy paths with the real binary: a --faults file, `pushlink fault` and `pushlink clock`
// through admin.json, and `pushlink events` — as a CI job would use them, with curl --digest.

const FAULTS = `faults:
  - route: POST /api/atlas/v2/orgs/{orgId}/liveMigrations/linkTokens   # method + Atlas path template
    after: 2          # let the first 2 matching calls through
    times: 1          # then fault the next one
    status: 429
    errorCode: RATE_LIMITED
    retryAfter: 1
`;

describe('pushlink fault, clock and events (real process)', async () => {
  const curl = await hasCurl();
  let dataDir: string;
  let backend: Awaited<ReturnType<typeof testStoreEnv>>;
  let server: ServerProcess;
  let boot: ReturnType<typeof readBootstrap>;
  const cli = async (...args: string[]) => {
    const res = await runCli([...args, '--data-dir', dataDir, '--json'], backend.env);
    assert.equal(res.code, 0, res.stderr);
    return JSON.parse(res.stdout);
  };
  const createLinkToken = () =>
    runCurl([
      '--digest',
      '--user',
      `${boot.apiKey.publicKey}:${boot.apiKey.privateKey}`,
      '--header',
      'Accept: application/vnd.atlas.2023-01-01+json',
      '--header',
      'Content-Type: application/vnd.atlas.2023-01-01+json',
      '--data',
      '{}',
      `${server.url}/api/atlas/v2/orgs/${boot.orgId}/liveMigrations/linkTokens`,
    ]);

  before(async () => {
    dataDir = tempDir();
    backend = await testStoreEnv();
    const faultsFile = path.join(dataDir, '..', `${path.basename(dataDir)}-faults.yaml`);
    fs.writeFileSync(faultsFile, FAULTS);
    server = await startProcess(['serve', '--port', '0', '--data-dir', dataDir, '--faults', faultsFile, '--clock', 'controllable'], { env: backend.env });
    boot = readBootstrap(dataDir);
  });
  after(async () => {
    await server?.stop();
    await backend?.dispose();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes admin.json for its owner only', () => {
    const file = path.join(dataDir, 'admin.json');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const admin = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(admin.url, server.url);
    assert.match(admin.token, /^pladm_/);
  });

  it('makes the third link-token create answer 429 with Retry-After, and the fourth succeed', { skip: !curl && 'curl is not installed' }, async () => {
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await createLinkToken());
    assert.deepEqual(answers.map((a) => a.status), [201, 201, 429, 201]);
    assert.match(answers[2]!.headers, /^retry-after: 1$/im);
    assert.equal(JSON.parse(answers[2]!.body).errorCode, 'RATE_LIMITED');
    const [rule] = await cli('fault', 'list');
    assert.deepEqual([rule.matched, rule.faulted], [4, 1]);
    assert.match(server.output(), /injected fault/);
  });

  it('adds and clears rules at run time', { skip: !curl && 'curl is not installed' }, async () => {
    const added = await cli('fault', 'add', '--route', 'POST /api/atlas/v2/orgs/{orgId}/liveMigrations/linkTokens', '--status', '503', '--times', '1');
    assert.equal(added.errorCode, 'SERVICE_UNAVAILABLE');
    assert.equal((await createLinkToken()).status, 503);
    assert.equal((await createLinkToken()).status, 201);
    assert.deepEqual(await cli('fault', 'clear', added.id), { removed: 1 });
    assert.deepEqual(await cli('fault', 'clear'), { removed: 1 });
    assert.deepEqual(await cli('fault', 'list'), []);
    const bad = await runCli(['fault', 'add', '--route', 'POST /x', '--status', '418', '--data-dir', dataDir], backend.env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^pushlink: INVALID_FAULT_RULE: fault.errorCode: is required with status 418\n$/);
  });

  it("lets an org owner add a rule for their org with curl --digest (whose first request has an empty body)", { skip: !curl && 'curl is not installed' }, async () => {
    const added = await runCurl([
      '--digest',
      '--user',
      `${boot.apiKey.publicKey}:${boot.apiKey.privateKey}`,
      '--header',
      'Content-Type: application/json',
      '--data',
      '{"route":"GET /api/atlas/v2/groups","status":503}',
      `${server.url}/api/private/pushlink/orgs/${boot.orgId}/faults`,
    ]);
    assert.equal(added.status, 201, added.body);
    assert.equal(JSON.parse(added.body).orgId, boot.orgId);
    assert.deepEqual(await cli('fault', 'clear'), { removed: 1 });
  });

  it('moves the clock on, and the events show the run with their actors', async () => {
    const before = await cli('clock', 'show');
    assert.equal(before.controllable, true);
    const moved = await cli('clock', 'advance', '2h');
    assert.ok(moved.offsetMs >= 2 * 3_600_000 - 1000, `2 h ahead, got ${moved.offsetMs} ms`);
    const events = await cli('events', '--org', boot.orgId);
    const links = events.filter((e: { eventTypeName: string }) => e.eventTypeName.startsWith('LIVE_MIGRATION_LINK_'));
    // Four creates answered 201 (the 429 and the 503 created nothing): one link, rotated three times.
    assert.deepEqual(links.map((e: { eventTypeName: string }) => e.eventTypeName).reverse(), [
      'LIVE_MIGRATION_LINK_CREATED',
      ...Array(3).fill('LIVE_MIGRATION_LINK_ROTATED'),
    ]);
    assert.ok(links.every((e: { actor: { publicKey: string } }) => e.actor.publicKey === boot.apiKey.publicKey));
    const text = await runCli(['events', '--org', boot.orgId, '--type', 'LIVE_MIGRATION_LINK_CREATED', '--data-dir', dataDir], backend.env);
    assert.match(text.stdout, new RegExp(`LIVE_MIGRATION_LINK_CREATED +\\(org\\) +${boot.apiKey.publicKey}@127\\.0\\.0\\.1`));
  });

  it('says plainly when no server runs on the data dir', async () => {
    const res = await runCli(['clock', 'show', '--data-dir', tempDir()], backend.env);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^pushlink: no running pushlink server found for .* \(no admin\.json\)/);
  });

  it('refuses a fault file it cannot run at start, naming the field, and removes admin.json on stop', async () => {
    const file = path.join(tempDir(), 'bad.yaml');
    fs.writeFileSync(file, 'faults:\n  - route: GET /x\n    status: 429\n    retryAfter: soon\n');
    const res = await runCli(['serve', '--port', '0', '--data-dir', tempDir(), '--faults', file], backend.env);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^pushlink: --faults .*bad\.yaml: faults\[0\]\.retryAfter: must be a whole number from 0 to 86400\n$/);
    assert.equal(await server.stop(), 0);
    assert.equal(fs.existsSync(path.join(dataDir, 'admin.json')), false);
  });
});
