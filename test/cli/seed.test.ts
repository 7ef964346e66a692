import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEV_CREDENTIALS } from '../../src/domain/devCredentials.js';
import { hasCurl, runCli, runCurl, startProcess } from '../helpers/process.js';
import { SEED_YAML } from '../helpers/seed.js';
import { tempDir } from '../helpers/server.js';
import { TEST_STORE, testStoreEnv } from '../helpers/store.js';

// Issue 16's "done when": a server started with --seed is used with the credentials of its own
// file (curl --digest, as a CI job would), no bootstrap.json read; the same file again changes
// nothing, a conflicting one is refused whole; reset, --dev-credentials and a busy port.

const ORG = '5f0000000000000000000001';
const DIGEST_USER = 'abcdwxyz:00000000-1111-4222-8333-444444444444';
const ACCEPT = 'Accept: application/vnd.atlas.2024-10-23+json';

async function createLinkToken(url: string, user: string, orgId: string) {
  return runCurl(['--digest', '--user', user, '--header', ACCEPT, '--header', 'Content-Type: application/json', '-X', 'POST', `${url}/api/atlas/v2/orgs/${orgId}/liveMigrations/linkTokens`, '-d', '{"accessListIps":["127.0.0.1"]}']);
}

describe('pushlink serve --seed (real process)', { skip: (await hasCurl()) ? false : 'curl is not installed' }, () => {
  let dir: string;
  let dataDir: string;
  let seedFile: string;
  let backend: Awaited<ReturnType<typeof testStoreEnv>>;
  before(async () => {
    dir = tempDir();
    dataDir = path.join(dir, 'data');
    seedFile = path.join(dir, 'seed.yaml');
    fs.writeFileSync(seedFile, SEED_YAML);
    backend = await testStoreEnv();
  });
  after(async () => {
    await backend.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves the seed\'s credentials at once: curl --digest creates a link-token, no bootstrap.json', async () => {
    const server = await startProcess(['serve', '--port', '0', '--data-dir', dataDir, '--seed', seedFile], { env: backend.env });
    try {
      assert.match(server.output(), /seeded from .*seed\.yaml: created 1 org\(s\), 1 API key\(s\), 1 service account\(s\), 0 project\(s\); 0 already stored/);
      const created = await createLinkToken(server.url, DIGEST_USER, ORG);
      assert.equal(created.status, 201, created.body);
      const token = JSON.parse(Buffer.from(JSON.parse(created.body).linkToken, 'base64').toString()) as { orgId: string; orgName: string };
      assert.deepEqual([token.orgId, token.orgName], [ORG, 'Acme']);
      // The service account of the file, too.
      const oauth = await runCurl(['--user', 'mdb_sa_id_0123456789abcdef01234567:mdb_sa_sk_anything-the-file-says', '--data', 'grant_type=client_credentials', `${server.url}/api/oauth/token`]);
      assert.equal(oauth.status, 200, oauth.body);
      assert.equal(fs.existsSync(path.join(dataDir, 'bootstrap.json')), false);
      // The secrets of the file are in no log line.
      assert.doesNotMatch(server.output(), /444444444444|anything-the-file-says/);
      // A running server holds the data dir: reset refuses.
      const refused = await runCli(['reset', '--data-dir', dataDir, '--yes']);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /a pushlink server \(pid \d+\) is running on .*: stop it first/);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  it('changes nothing when started again with the same file', async () => {
    const server = await startProcess(['serve', '--port', '0', '--data-dir', dataDir], { env: { ...backend.env, PUSHLINK_SEED: seedFile } });
    try {
      assert.match(server.output(), /created 0 org\(s\), 0 API key\(s\), 0 service account\(s\), 0 project\(s\); 3 already stored as given/);
      assert.equal((await createLinkToken(server.url, DIGEST_USER, ORG)).status, 201);
    } finally {
      await server.stop();
    }
  });

  it('refuses to start on a seed that conflicts with the stored state, naming the field, quoting no secret', async () => {
    const changed = path.join(dir, 'changed.yaml');
    fs.writeFileSync(changed, SEED_YAML.replace('444444444444\n', '444444444445\n'));
    const started = await runCli(['serve', '--port', '0', '--data-dir', dataDir, '--seed', changed], backend.env);
    assert.equal(started.code, 1);
    assert.match(started.stderr, /^pushlink: --seed .*changed\.yaml: orgs\[0\]\.apiKeys\[0\]\.privateKey: API key abcdwxyz is stored with another private key; nothing was applied\n$/);
    assert.doesNotMatch(started.stderr + started.stdout, /444444444445/);
  });

  it('reset empties the data dir once the server stopped; the next start seeds afresh', { skip: TEST_STORE === 'postgres' ? 'reset empties SQLite data dirs; with PostgreSQL it refuses (checked below)' : false }, async () => {
    const dryRun = await runCli(['reset', '--data-dir', dataDir]);
    assert.equal(dryRun.code, 1);
    assert.match(dryRun.stderr, /this deletes .*pushlink\.db.*run again with --yes/);
    assert.ok(fs.existsSync(path.join(dataDir, 'pushlink.db')));
    const done = await runCli(['reset', '--data-dir', dataDir, '--yes', '--json']);
    assert.equal(done.code, 0, done.stderr);
    assert.ok((JSON.parse(done.stdout) as { deleted: string[] }).deleted.some((f) => f.endsWith('pushlink.db')));
    assert.equal(fs.existsSync(path.join(dataDir, 'pushlink.db')), false);
    const server = await startProcess(['serve', '--port', '0', '--data-dir', dataDir, '--seed', seedFile], { env: backend.env });
    await server.stop();
    assert.match(server.output(), /created 1 org\(s\)/);
  });

  it('reset refuses a PostgreSQL store, saying what to do instead', async () => {
    const refused = await runCli(['reset', '--data-dir', dataDir, '--yes', '--database-url', 'postgres://u@127.0.0.1:5432/x']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /reset empties a SQLite data dir only; for PostgreSQL drop and re-create the database/);
  });

  it('--dev-credentials bootstraps the well-known credentials, with a warning', async () => {
    const devDir = path.join(dir, 'dev');
    const devBackend = await testStoreEnv();
    const server = await startProcess(['serve', '--port', '0', '--data-dir', devDir, '--dev-credentials'], { env: devBackend.env });
    try {
      assert.match(server.output(), /WARNING: --dev-credentials/);
      const dev = DEV_CREDENTIALS.atlas;
      assert.deepEqual(JSON.parse(fs.readFileSync(path.join(devDir, 'bootstrap.json'), 'utf8')), dev);
      assert.equal((await createLinkToken(server.url, `${dev.apiKey.publicKey}:${dev.apiKey.privateKey}`, dev.orgId)).status, 201);
    } finally {
      await server.stop();
      await devBackend.dispose();
    }
  });

  it('on a busy port fails before writing anything to the data dir', async () => {
    const first = await startProcess(['serve', '--port', '0', '--data-dir', path.join(dir, 'first'), '--seed', seedFile], { env: { PUSHLINK_DATABASE_URL: '' } });
    try {
      const busyDir = path.join(dir, 'busy');
      const second = await runCli(['serve', '--port', new URL(first.url).port, '--data-dir', busyDir], { PUSHLINK_DATABASE_URL: '' });
      assert.equal(second.code, 1);
      assert.match(second.stderr, /cannot listen on 127\.0\.0\.1:\d+: the address is already in use/);
      assert.equal(fs.existsSync(busyDir), false);
    } finally {
      await first.stop();
    }
  });
});
