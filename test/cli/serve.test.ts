import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../helpers/server.js';
import { hasCurl, runCli, runCurl, startProcess, type ServerProcess } from '../helpers/process.js';
import { ATLAS_JSON, digestRequest, request, requestAccessToken } from '../helpers/http.js';
import { TEST_STORE, testStoreEnv } from '../helpers/store.js';
import pg from 'pg';

// The real binary: start, bootstrap, the Atlas docs' two curl commands, the embedded key,
// admin commands against a running server, restart persistence and graceful shutdown. Each
// server gets a fresh store of the suite's back end (with PostgreSQL, through PUSHLINK_DATABASE_URL).

interface Bootstrap {
  orgId: string;
  orgName: string;
  apiKey: { publicKey: string; privateKey: string };
  serviceAccount: { clientId: string; clientSecret: string };
}

const readBootstrap = (dir: string): Bootstrap => JSON.parse(fs.readFileSync(path.join(dir, 'bootstrap.json'), 'utf8'));

describe('pushlink serve (real process)', async () => {
  const curl = await hasCurl();
  let dataDir: string;
  let backend: Awaited<ReturnType<typeof testStoreEnv>>;
  let server: ServerProcess;
  let boot: Bootstrap;
  before(async () => {
    dataDir = tempDir();
    backend = await testStoreEnv();
    server = await startProcess(['serve', '--port', '0', '--data-dir', dataDir], { env: backend.env });
    boot = readBootstrap(dataDir);
  });
  after(async () => {
    await server.stop();
    await backend.dispose();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints its URL on 127.0.0.1 and bootstraps an owner key and service account into a 0600 file', () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const stat = fs.statSync(path.join(dataDir, 'bootstrap.json'));
    assert.equal(stat.mode & 0o777, 0o600);
    assert.match(boot.orgId, /^[a-f0-9]{24}$/);
    assert.match(boot.apiKey.publicKey, /^[a-z]{8}$/);
    assert.match(boot.serviceAccount.clientId, /^mdb_sa_id_[a-f0-9]{24}$/);
    assert.match(server.output(), /bootstrap\.json/);
    for (const secret of [boot.apiKey.privateKey, boot.serviceAccount.clientSecret]) {
      assert.ok(!server.output().includes(secret), 'no secret in the log');
    }
  });

  it('runs the Atlas docs digest curl command: 201 and a four-field token', { skip: !curl && 'curl is not installed' }, async () => {
    const res = await runCurl([
      '--user', `${boot.apiKey.publicKey}:${boot.apiKey.privateKey}`, '--digest',
      '--header', 'Accept: application/vnd.atlas.2024-10-23+json',
      '--header', 'Content-Type: application/json',
      '-X', 'POST', `${server.url}/api/atlas/v2/orgs/${boot.orgId}/liveMigrations/linkTokens`,
      '-d', '{"accessListIps":["127.0.0.1"]}',
    ]);
    assert.equal(res.status, 201, res.body);
    const token = JSON.parse(Buffer.from(JSON.parse(res.body).linkToken, 'base64').toString());
    assert.deepEqual(Object.keys(token), ['orgId', 'orgName', 'privateApiKey', 'publicApiKey']);
    // The embedded key authenticates GET /orgs by digest from 127.0.0.1, which is on its list.
    const orgs = await runCurl([
      '--user', `${token.publicApiKey}:${token.privateApiKey}`, '--digest',
      '--header', 'Accept: application/vnd.atlas.2023-01-01+json', `${server.url}/api/atlas/v2/orgs`,
    ]);
    assert.equal(orgs.status, 200);
    assert.equal(JSON.parse(orgs.body).results[0].id, boot.orgId);
  });

  it('runs the bearer curl command with a token from /api/oauth/token', { skip: !curl && 'curl is not installed' }, async () => {
    const tokenRes = await runCurl([
      '--user', `${boot.serviceAccount.clientId}:${boot.serviceAccount.clientSecret}`,
      '--data', 'grant_type=client_credentials', `${server.url}/api/oauth/token`,
    ]);
    assert.equal(tokenRes.status, 200);
    const accessToken = JSON.parse(tokenRes.body).access_token;
    const res = await runCurl([
      '--header', `Authorization: Bearer ${accessToken}`,
      '--header', 'Accept: application/vnd.atlas.2024-10-23+json',
      '--header', 'Content-Type: application/json',
      '-X', 'POST', `${server.url}/api/atlas/v2/orgs/${boot.orgId}/liveMigrations/linkTokens`,
      '-d', '{"accessListIps":["10.20.30.40"]}',
    ]);
    assert.equal(res.status, 201);
    const token = JSON.parse(Buffer.from(JSON.parse(res.body).linkToken, 'base64').toString());
    // 127.0.0.1 is not on this key's list: 403.
    const orgs = await runCurl([
      '--user', `${token.publicApiKey}:${token.privateApiKey}`, '--digest',
      '--header', 'Accept: application/vnd.atlas.2023-01-01+json', `${server.url}/api/atlas/v2/orgs`,
    ]);
    assert.equal(orgs.status, 403);
    assert.equal(JSON.parse(orgs.body).errorCode, 'IP_ADDRESS_NOT_ON_ACCESS_LIST');
  });

  it('lets admin commands work on the data dir while the server runs', async () => {
    const org = await runCli(['org', 'create', '--name', 'Second Org', '--data-dir', dataDir, '--json'], backend.env);
    assert.equal(org.code, 0, org.stderr);
    const orgId = JSON.parse(org.stdout).id;
    const key = await runCli(['apikey', 'create', '--org', orgId, '--role', 'ORG_OWNER', '--access-list', '127.0.0.1', '::1', '--data-dir', dataDir, '--json'], backend.env);
    assert.equal(key.code, 0, key.stderr);
    const created = JSON.parse(key.stdout);
    assert.deepEqual(created.accessList, ['127.0.0.1', '::1']);
    assert.deepEqual(created.roles, [{ orgId, roleName: 'ORG_OWNER' }], 'create prints roles in the shape list prints them');
    const res = await digestRequest(`${server.url}/api/atlas/v2/orgs/${orgId}/liveMigrations/linkTokens`, created, {
      method: 'POST',
      headers: { accept: ATLAS_JSON, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 201);
    const list = await runCli(['apikey', 'list', '--org', orgId, '--data-dir', dataDir, '--json'], backend.env);
    const keys = JSON.parse(list.stdout);
    assert.equal(keys.length, 2);
    assert.deepEqual(keys.find((k: { publicKey: string }) => k.publicKey === created.publicKey).roles, created.roles);
    assert.equal(keys.filter((k: { liveMigrationLinkKey: boolean }) => k.liveMigrationLinkKey).length, 1, 'the link key is listed');
    assert.ok(!list.stdout.includes(created.privateKey), 'list never shows a private key');

    const sa = await runCli(['service-account', 'create', '--org', orgId, '--role', 'ORG_OWNER', '--data-dir', dataDir, '--json'], backend.env);
    const account = JSON.parse(sa.stdout);
    const tokenRes = await requestAccessToken(server.url, account);
    assert.equal(tokenRes.status, 200);

    const del = await runCli(['apikey', 'delete', '--org', orgId, '--public-key', created.publicKey, '--data-dir', dataDir, '--json'], backend.env);
    assert.equal(del.code, 0);
    const after = await digestRequest(`${server.url}/api/atlas/v2/orgs`, created, { headers: { accept: ATLAS_JSON } });
    assert.equal(after.status, 401, 'a deleted key stops working at once on the running server');
  });

  it('refuses bad admin input with a clear message and exit code 1', async () => {
    const badRole = await runCli(['apikey', 'create', '--org', boot.orgId, '--role', 'ORG_BOSS', '--data-dir', dataDir], backend.env);
    assert.equal(badRole.code, 1);
    assert.match(badRole.stderr, /unknown org role ORG_BOSS/);
    const badIp = await runCli(['apikey', 'create', '--org', boot.orgId, '--role', 'ORG_OWNER', '--access-list', '1.2.3.4/40', '--data-dir', dataDir], backend.env);
    assert.equal(badIp.code, 1);
    assert.match(badIp.stderr, /invalid access list entry 1\.2\.3\.4\/40/);
    const noOrg = await runCli(['apikey', 'list', '--org', 'aaaaaaaaaaaaaaaaaaaaaaaa', '--data-dir', dataDir], backend.env);
    assert.equal(noOrg.code, 1);
    assert.match(noOrg.stderr, /no organization/);
  });
});

describe('pushlink commands on a place that holds no store, or a broken one', () => {
  it('reading commands on an empty location say so, exit 1, and create nothing there', async () => {
    const backend = await testStoreEnv();
    const dir = path.join(tempDir(), 'typo');
    try {
      const token = Buffer.from(JSON.stringify({ orgId: 'a'.repeat(24), orgName: 'O', privateApiKey: crypto.randomUUID(), publicApiKey: 'abcdefgh' })).toString('base64');
      const where = backend.databaseUrl ? ['--database-url', backend.databaseUrl] : ['--data-dir', dir];
      for (const args of [['org', 'list'], ['apikey', 'list', '--org', 'aaaaaaaaaaaaaaaaaaaaaaaa'], ['source', 'inventory', '--org', 'aaaaaaaaaaaaaaaaaaaaaaaa'], ['token', 'inspect', token]]) {
        const res = await runCli([...args, ...where], backend.env);
        assert.equal(res.code, 1, args.join(' '));
        assert.match(res.stderr, TEST_STORE === 'sqlite' ? /^pushlink: no pushlink database in \S+typo \(check --data-dir/ : /^pushlink: no pushlink schema in the database /);
      }
      assert.equal(fs.existsSync(path.join(dir, 'pushlink.db')), false);
      if (backend.databaseUrl) {
        const client = new pg.Client({ connectionString: backend.databaseUrl });
        await client.connect();
        const { rows } = await client.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'");
        await client.end();
        assert.equal(rows[0].n, 0, 'no table was created');
      }
      // Creating an organization is what starts a store.
      assert.equal((await runCli(['org', 'create', '--name', 'First', '--data-dir', dir], backend.env)).code, 0);
      const listed = await runCli(['org', 'list', '--data-dir', dir, '--json'], backend.env);
      assert.equal(listed.code, 0, listed.stderr);
      assert.equal(JSON.parse(listed.stdout)[0].name, 'First');
    } finally {
      await backend.dispose();
    }
  });

  it('a damaged database file or a data dir that is a file: one line naming it, exit 1', { skip: TEST_STORE !== 'sqlite' && 'about SQLite files' }, async () => {
    const damaged = tempDir();
    fs.writeFileSync(path.join(damaged, 'pushlink.db'), 'this is not a database, and it is long enough to have a header'.repeat(20));
    for (const args of [['serve', '--port', '0'], ['org', 'list']]) {
      const res = await runCli([...args, '--data-dir', damaged]);
      assert.equal(res.code, 1, args.join(' '));
      assert.equal(res.stderr, `pushlink: cannot open the SQLite database ${path.join(damaged, 'pushlink.db')}: file is not a database (SQLITE_NOTADB)\n`);
    }
    const file = path.join(tempDir(), 'a-file');
    fs.writeFileSync(file, '');
    const res = await runCli(['serve', '--port', '0', '--data-dir', file]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, new RegExp(`^pushlink: cannot use the data dir ${file}: EEXIST`));
  });

  it('a --host that does not resolve: one line, exit 1', async () => {
    const backend = await testStoreEnv();
    try {
      const res = await runCli(['serve', '--host', 'no-such-host.invalid', '--port', '0', '--data-dir', tempDir()], backend.env);
      assert.equal(res.code, 1);
      assert.equal(res.stderr, 'pushlink: cannot listen on no-such-host.invalid:0: no such host name (check --host)\n');
    } finally {
      await backend.dispose();
    }
  });
});

describe('pushlink serve configuration and lifecycle', () => {
  it('reads PUSHLINK_HOST, PUSHLINK_PORT and PUSHLINK_DATA_DIR', async () => {
    const dir = tempDir();
    const backend = await testStoreEnv();
    const server = await startProcess(['serve'], {
      env: { ...backend.env, PUSHLINK_HOST: '127.0.0.1', PUSHLINK_PORT: '0', PUSHLINK_DATA_DIR: dir },
    });
    try {
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.ok(fs.existsSync(path.join(dir, 'bootstrap.json')));
    } finally {
      assert.equal(await server.stop(), 0);
      await backend.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('passes extra arguments through npm start', async () => {
    const dir = tempDir();
    const backend = await testStoreEnv();
    const server = await startProcess(['--', '--port', '0', '--data-dir', dir], { command: ['npm', 'start', '--silent'], env: backend.env });
    try {
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await server.stop();
      await backend.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops when npm start alone gets SIGTERM (a supervisor signals the process it started)', async () => {
    const dir = tempDir();
    const backend = await testStoreEnv();
    const server = await startProcess(['--', '--port', '0', '--data-dir', dir], { command: ['npm', 'start', '--silent'], env: backend.env });
    try {
      const serverPid = (JSON.parse(fs.readFileSync(path.join(dir, 'admin.json'), 'utf8')) as { pid: number }).pid;
      assert.notEqual(serverPid, server.child.pid, 'the server runs as a child of npm');
      const npmExited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
      process.kill(server.child.pid!, 'SIGTERM'); // npm only, not its process group
      const deadline = Date.now() + 15_000;
      const alive = () => {
        try {
          process.kill(serverPid, 0);
          return true;
        } catch {
          return false;
        }
      };
      while (alive() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(alive(), false, 'the server stopped with npm');
      assert.equal(fs.existsSync(path.join(dir, 'admin.json')), false, 'and shut down cleanly (admin.json removed)');
      await npmExited;
    } finally {
      await server.stop('SIGKILL');
      await backend.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('logs no secret even at trace level', async () => {
    const dir = tempDir();
    const backend = await testStoreEnv();
    const server = await startProcess(['serve', '--port', '0', '--data-dir', dir, '--log-level', 'trace'], { env: backend.env });
    try {
      const boot = readBootstrap(dir);
      const created = await digestRequest(`${server.url}/api/atlas/v2/orgs/${boot.orgId}/liveMigrations/linkTokens`, boot.apiKey, {
        method: 'POST',
        headers: { accept: ATLAS_JSON, 'content-type': 'application/json' },
        body: '{}',
      });
      const tokenRes = await requestAccessToken(server.url, boot.serviceAccount);
      const accessToken = tokenRes.json.access_token as string;
      await request(`${server.url}/api/atlas/v2/orgs`, { headers: { accept: ATLAS_JSON, authorization: `Bearer ${accessToken}` } });
      const linkToken = created.json.linkToken as string;
      const linkPrivateKey = JSON.parse(Buffer.from(linkToken, 'base64').toString()).privateApiKey as string;
      await new Promise((resolve) => setTimeout(resolve, 200));
      const log = server.output();
      assert.match(log, /"msg":"request"/, 'requests are logged at this level');
      for (const secret of [boot.apiKey.privateKey, boot.serviceAccount.clientSecret, accessToken, linkToken, linkPrivateKey]) {
        assert.ok(!log.includes(secret), 'a secret reached the log');
      }
    } finally {
      await server.stop();
      await backend.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad flags with a message and exit code 1', async () => {
    for (const args of [['--port', 'abc'], ['--port', '70000'], ['--rate-limit', 'maybe'], ['--log-level', 'loud'], ['--database-url', 'mysql://db/x']]) {
      const res = await runCli(['serve', ...args, '--data-dir', tempDir()]);
      assert.equal(res.code, 1, args.join(' '));
      assert.match(res.stderr, /^pushlink: /);
    }
  });

  it('says in one line, exit code 1, when its port is taken or its host is not this machine', async () => {
    const backend = await testStoreEnv();
    const dir = tempDir();
    const otherDir = tempDir();
    const first = await startProcess(['serve', '--port', '0', '--data-dir', dir], { env: backend.env });
    try {
      const port = new URL(first.url).port;
      const taken = await runCli(['serve', '--port', port, '--data-dir', otherDir], backend.env);
      assert.equal(taken.code, 1);
      assert.equal(taken.stderr, `pushlink: cannot listen on 127.0.0.1:${port}: the address is already in use (another server on that port? choose one with --port)\n`);
      // 192.0.2.1 (TEST-NET-1, RFC 5737) is never an address of this machine.
      const foreign = await runCli(['serve', '--host', '192.0.2.1', '--port', '0', '--data-dir', otherDir], backend.env);
      assert.equal(foreign.code, 1);
      assert.match(foreign.stderr, /^pushlink: cannot listen on 192\.0\.2\.1:0: this machine has no such address \(check --host\)\n$/);
      // The one that listens first is unharmed.
      assert.equal((await request(`${first.url}/healthz`)).status, 200);
    } finally {
      await first.stop();
      await backend.dispose();
      for (const d of [dir, otherDir]) fs.rmSync(d, { recursive: true, force: true });
    }
  });

  it('shuts down gracefully on SIGINT and SIGTERM, and keeps every token across a restart', async () => {
    const dir = tempDir();
    const backend = await testStoreEnv();
    let server = await startProcess(['serve', '--port', '0', '--data-dir', dir], { env: backend.env });
    const boot = readBootstrap(dir);
    const created = await digestRequest(`${server.url}/api/atlas/v2/orgs/${boot.orgId}/liveMigrations/linkTokens`, boot.apiKey, {
      method: 'POST',
      headers: { accept: ATLAS_JSON, 'content-type': 'application/json' },
      body: '{"accessListIps":["127.0.0.1"]}',
    });
    assert.equal(created.status, 201);
    const token = JSON.parse(Buffer.from(created.json.linkToken, 'base64').toString());
    assert.equal(await server.stop('SIGINT'), 0);

    server = await startProcess(['serve', '--port', '0', '--data-dir', dir], { env: backend.env });
    try {
      assert.deepEqual(readBootstrap(dir), boot, 'no second bootstrap');
      assert.ok(!server.output().includes('bootstrapped a new organization'));
      const res = await digestRequest(`${server.url}/api/atlas/v2/orgs`, { publicKey: token.publicApiKey, privateKey: token.privateApiKey }, {
        headers: { accept: ATLAS_JSON },
      });
      assert.equal(res.status, 200, 'the link key created before the restart still works');
    } finally {
      assert.equal(await server.stop('SIGTERM'), 0);
      await backend.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('pushlink with a PostgreSQL database that does not answer', () => {
  it('serve and admin commands stop with a clear message, exit code 1 and no password', async () => {
    const url = 'postgres://pushlink:s3cret@127.0.0.1:1/pushlink';
    const dir = tempDir();
    for (const args of [['serve', '--port', '0', '--database-url', url], ['org', 'list', '--database-url', url]]) {
      const res = await runCli([...args, '--data-dir', dir]);
      assert.equal(res.code, 1, args.join(' '));
      assert.match(res.stderr, /^pushlink: cannot connect to PostgreSQL at postgres:\/\/pushlink:\*\*\*@127\.0\.0\.1:1\/pushlink: /);
      assert.ok(!res.stderr.includes('s3cret'));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
