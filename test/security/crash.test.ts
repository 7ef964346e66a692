import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { createApiKey } from '../../src/domain/apiKeys.js';
import { createOrg } from '../../src/domain/orgs.js';
import { createServiceAccount } from '../../src/domain/serviceAccounts.js';
import { openStore } from '../../src/store/open.js';
import { SQLITE_FILE_NAME } from '../../src/store/sqlite.js';
import { tempDir } from '../helpers/server.js';
import { startProcess, type ServerProcess } from '../helpers/process.js';
import { ATLAS_JSON, digestRequest, request, requestAccessToken } from '../helpers/http.js';
import { TEST_STORE, testStoreEnv } from '../helpers/store.js';

// Crash safety: many orgs, one client each, creating link-tokens as fast as they can while the
// server is SIGKILLed at random moments. After every kill: the data dir opens and is not corrupt,
// no key exists without its link nor a link without its key, every org's last token acknowledged
// with 201 is its live link (unless a later request for that org was in flight at the kill, which
// may have won), and every superseded key is dead — checked in the database and over HTTP. On the
// PostgreSQL pass the server's store is a PostgreSQL database (the SQLite file checks do not apply).

const ORGS = 8;
const KILLS = Number(process.env.PUSHLINK_CRASH_KILLS ?? 22);

interface OrgState {
  orgId: string;
  accessToken: string;
  /** Public keys (and private keys) of tokens acknowledged with 201, oldest first. */
  acked: Array<{ publicKey: string; privateKey: string }>;
  /** A create that was in flight when the server died: it may or may not have committed. */
  unknown: Array<{ publicKey?: string }>;
}

function decode(linkToken: string): { publicApiKey: string; privateApiKey: string } {
  return JSON.parse(Buffer.from(linkToken, 'base64').toString('utf8'));
}

describe('crash safety (SIGKILL under load)', () => {
  let dataDir: string;
  let backend: Awaited<ReturnType<typeof testStoreEnv>>;
  const orgs: OrgState[] = [];
  let saCredentials: Array<{ clientId: string; clientSecret: string }> = [];

  before(async () => {
    dataDir = tempDir('pushlink-crash-');
    backend = await testStoreEnv();
    const store = await openStore({ dataDir, databaseUrl: backend.databaseUrl });
    for (let i = 0; i < ORGS; i++) {
      const org = await createOrg(store, `Crash Org ${i}`);
      await createApiKey(store, { orgId: org.id, roles: ['ORG_OWNER'], accessList: [] });
      const sa = await createServiceAccount(store, { orgId: org.id, roles: ['ORG_OWNER'], accessList: [] });
      saCredentials.push({ clientId: sa.record.clientId, clientSecret: sa.clientSecret });
      orgs.push({ orgId: org.id, accessToken: '', acked: [], unknown: [] });
    }
    await store.close();
  });
  after(async () => {
    await backend?.dispose();
    fs.rmSync(dataDir, { recursive: true, force: true });
    saCredentials = [];
  });

  const start = () =>
    startProcess(['serve', '--port', '0', '--data-dir', dataDir, '--rate-limit', 'off', '--log-level', 'warn'], { env: backend.env });

  /** Creates tokens for one org back to back until the server dies. */
  async function drive(server: ServerProcess, org: OrgState): Promise<void> {
    for (;;) {
      const pending: { publicKey?: string } = {};
      org.unknown.push(pending);
      let res;
      try {
        res = await request(`${server.url}/api/atlas/v2/orgs/${org.orgId}/liveMigrations/linkTokens`, {
          method: 'POST',
          headers: { authorization: `Bearer ${org.accessToken}`, accept: ATLAS_JSON, 'content-type': 'application/json' },
          body: '{}',
        });
      } catch {
        return; // the server died with this request in flight: it stays "unknown"
      }
      org.unknown.pop();
      assert.equal(res.status, 201, res.text);
      const t = decode(res.json.linkToken);
      org.acked.push({ publicKey: t.publicApiKey, privateKey: t.privateApiKey });
    }
  }

  /** SQLite only: the file is not corrupt and every foreign key holds. */
  function checkSqliteFile(): void {
    const db = new BetterSqlite3(path.join(dataDir, SQLITE_FILE_NAME));
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      assert.deepEqual(db.pragma('foreign_key_check'), []);
    } finally {
      db.close();
    }
  }

  async function checkDatabase(): Promise<void> {
    if (TEST_STORE === 'sqlite') checkSqliteFile();
    const store = await openStore({ dataDir, databaseUrl: backend.databaseUrl });
    try {
      for (const org of orgs) {
        const link = await store.links.getLink(org.orgId);
        const keys = await store.orgs.listApiKeys(org.orgId);
        const linkKeys = keys.filter((k) => k.purpose === 'LIVE_MIGRATION_LINK');
        if (!link) {
          assert.equal(linkKeys.length, 0, 'a link key without its link');
          assert.equal(org.acked.length, 0, `org ${org.orgId} lost its acknowledged link`);
          continue;
        }
        assert.equal(linkKeys.length, 1, 'one link key per org');
        assert.equal(linkKeys[0]!.id, link.apiKeyId, 'the link points at its key');
        const live = linkKeys[0]!.publicKey;
        const last = org.acked[org.acked.length - 1];
        const inFlight = org.unknown.length > 0;
        if (last && live !== last.publicKey) {
          assert.ok(inFlight, `org ${org.orgId}: the last acknowledged key ${last.publicKey} is gone and nothing was in flight`);
        }
        // Every superseded acknowledged key is gone for good (a key never leaves its org).
        const stored = new Set(keys.map((k) => k.publicKey));
        const survivors = org.acked.filter((k) => k.publicKey !== live && stored.has(k.publicKey)).map((k) => k.publicKey);
        assert.deepEqual(survivors, [], 'a superseded key survived');
        // An in-flight create that won becomes the known last token: adopt it from the database.
        if (last?.publicKey !== live) org.acked.push({ publicKey: live, privateKey: '' });
      }
    } finally {
      await store.close();
    }
  }

  async function checkOverHttp(server: ServerProcess): Promise<void> {
    for (const org of orgs) {
      const last = org.acked[org.acked.length - 1];
      if (!last) continue;
      if (last.privateKey) {
        const res = await digestRequest(`${server.url}/api/atlas/v2/orgs`, last, { headers: { accept: ATLAS_JSON } });
        assert.equal(res.status, 200, `org ${org.orgId}: its last acknowledged token does not work after the restart`);
      }
      const previous = org.acked.filter((k) => k.privateKey && k.publicKey !== last.publicKey).slice(-1)[0];
      if (previous) {
        const res = await digestRequest(`${server.url}/api/atlas/v2/orgs`, previous, { headers: { accept: ATLAS_JSON } });
        assert.equal(res.status, 401, 'a superseded key still works');
      }
    }
  }

  it(`survives ${KILLS} kills with no acknowledged token lost`, { timeout: 180_000 }, async () => {
    let created = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      const server = await start();
      if (kill === 0) {
        for (const [i, org] of orgs.entries()) {
          const sa = saCredentials[i]!;
          const res = await requestAccessToken(server.url, sa);
          org.accessToken = res.json.access_token;
        }
      } else {
        await checkOverHttp(server);
      }
      for (const org of orgs) org.unknown = [];
      const before = orgs.reduce((n, o) => n + o.acked.length, 0);
      const clients = orgs.map((org) => drive(server, org));
      await new Promise((resolve) => setTimeout(resolve, 150 + Math.floor(Math.random() * 450)));
      server.child.kill('SIGKILL');
      await Promise.all([server.stop('SIGKILL'), ...clients]);
      created += orgs.reduce((n, o) => n + o.acked.length, 0) - before;
      await checkDatabase();
    }
    const server = await start();
    try {
      await checkOverHttp(server);
    } finally {
      await server.stop();
    }
    assert.ok(created > KILLS * ORGS, `enough load to mean something (${created} acknowledged creates)`);
    process.stdout.write(`# crash test: ${KILLS} kills survived, ${created} acknowledged creates, 0 lost\n`);
  });
});
