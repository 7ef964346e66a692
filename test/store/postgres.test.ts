import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { mintApiKey } from '../../src/domain/apiKeys.js';
import { bootstrapIfEmpty, type BootstrapCredentials } from '../../src/domain/bootstrap.js';
import { newObjectId } from '../../src/domain/ids.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/migrations/postgres.js';
import { SQLITE_MIGRATIONS } from '../../src/store/migrations/sqlite.js';
import { PostgresStore, STATEMENT_TIMEOUT_MS } from '../../src/store/postgres.js';
import { SQL as HOUSEKEEPING_SQL } from '../../src/store/postgres/housekeeping.js';
import { SQL as LINK_SQL } from '../../src/store/postgres/links.js';
import { apiKeyValues } from '../../src/store/postgres/orgs.js';
import { StoreUnavailableError } from '../../src/store/store.js';
import { ATLAS_JSON, digestRequest } from '../helpers/http.js';
import { createTestDatabase, postgresUnavailableReason, type TestDatabase } from '../helpers/postgres.js';
import { startServer } from '../helpers/server.js';

// The PostgreSQL back end's own behaviour (its contract is in the aggregates' files): what only
// matters with several instances on one database (each PostgresStore below stands for one
// pushlink process: its own pool).

const skip = await postgresUnavailableReason();

describe('PostgresStore with several instances on one database', { skip }, () => {
  let database: TestDatabase;
  let a: PostgresStore;
  let b: PostgresStore;
  before(async () => {
    database = await createTestDatabase();
    // Both open (and so migrate) at the same moment, like two instances starting together.
    [a, b] = await Promise.all([PostgresStore.open(database.url), PostgresStore.open(database.url)]);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  const newOrg = () => ({ id: newObjectId(), name: 'Org', createdAt: new Date().toISOString() });
  const linkKey = (orgId: string) =>
    mintApiKey({ orgId, roles: ['ORG_READ_ONLY'], accessList: [], description: 'link', purpose: 'LIVE_MIGRATION_LINK' });

  it('migrates once when two instances start at once, and a restart runs no step again', async () => {
    await a.ping();
    await b.ping();
    const third = await PostgresStore.open(database.url);
    await third.ping();
    await third.close();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(rows, POSTGRES_MIGRATIONS.map((m) => ({ version: m.version })));
    } finally {
      await client.end();
    }
  });

  it('stays ready when another instance migrated the schema further (additive steps), unready while a step it needs is missing', async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const latest = POSTGRES_MIGRATIONS[POSTGRES_MIGRATIONS.length - 1]!.version;
    try {
      // A newer release's instance applied a step this code does not know.
      await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES (999, now())');
      await a.ping();
      await b.ping();
      await client.query('DELETE FROM schema_migrations WHERE version = $1', [latest]);
      await assert.rejects(
        a.ping(),
        new RegExp(`^Error: database schema is at version 999 \\(${POSTGRES_MIGRATIONS.length - 1} of the ${POSTGRES_MIGRATIONS.length} steps this code needs\\), expected version ${latest} or later$`),
      );
      await client.query('DELETE FROM schema_migrations WHERE version = 999');
      await assert.rejects(b.ping(), /steps this code needs/);
    } finally {
      await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, now()) ON CONFLICT DO NOTHING', [latest]);
      await client.query('DELETE FROM schema_migrations WHERE version = 999');
      await client.end();
    }
    await a.ping();
  });

  it('bootstraps once when two instances start at once on an empty database', async () => {
    const persisted: BootstrapCredentials[] = [];
    const persist = async (credentials: BootstrapCredentials) => {
      persisted.push(credentials);
      // A slow disk: the other instance must still wait for this bootstrap to commit.
      await new Promise((resolve) => setTimeout(resolve, 50));
    };
    const results = await Promise.all([bootstrapIfEmpty(a, 'First', persist), bootstrapIfEmpty(b, 'Second', persist)]);
    const created = results.filter((r) => r !== undefined);
    assert.equal(created.length, 1);
    assert.deepEqual(persisted, created);
    assert.deepEqual((await b.orgs.listOrgs()).map((o) => o.id), [created[0]!.orgId]);
    assert.ok(await a.orgs.findApiKeyByPublicKey(created[0]!.apiKey.publicKey));
    assert.equal(await bootstrapIfEmpty(b, 'Later', persist), undefined, 'a later start bootstraps nothing');
  });

  it('shows a change made through one instance to the other at once (no per-process cache)', async () => {
    const org = newOrg();
    await a.orgs.createOrg(org);
    const first = linkKey(org.id);
    await a.links.replaceLink(first.record);
    assert.deepEqual(await b.orgs.findApiKeyByPublicKey(first.record.publicKey), first.record);
    const second = linkKey(org.id);
    const replaced = await b.links.replaceLink(second.record);
    assert.equal(replaced?.replacedPublicKey, first.record.publicKey);
    assert.equal(await a.orgs.findApiKeyByPublicKey(first.record.publicKey), undefined, 'rotated on B, gone on A');
    assert.equal(await a.links.deleteLink(org.id), true);
    assert.equal(await b.orgs.findApiKeyByPublicKey(second.record.publicKey), undefined, 'deleted on A, gone on B');
    assert.equal(await b.links.getLink(org.id), undefined);
  });

  it('keeps one link and one link key when both instances replace it at once', async () => {
    const org = newOrg();
    await a.orgs.createOrg(org);
    const keys = Array.from({ length: 30 }, () => linkKey(org.id));
    const results = await Promise.all(
      keys.map((k, i) =>
        (i % 2 ? a : b).links.replaceLink(k.record),
      ),
    );
    assert.equal(results.filter((r) => r?.replacedPublicKey === undefined).length, 1, 'only the first replaced nothing');
    const linkKeys = (await b.orgs.listApiKeys(org.id)).filter((k) => k.purpose === 'LIVE_MIGRATION_LINK');
    assert.equal(linkKeys.length, 1);
    assert.equal((await a.links.getLink(org.id))?.apiKeyId, linkKeys[0]!.id);
  });

  it('accepts a digest (nonce, nc) once across instances', async () => {
    const expires = Date.now() + 60_000;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).housekeeping.useDigestNonce('shared', '00000001', expires)));
    assert.equal(results.filter(Boolean).length, 1);
  });

  it('keeps one rate-limit bucket across instances: exactly capacity succeed', async () => {
    const policy = { capacity: 40, refillAmount: 10, refillPeriodMs: 60_000 };
    const now = Date.now();
    const decisions = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).housekeeping.takeRateLimitToken('shared', policy, now)));
    assert.equal(decisions.filter((d) => d.allowed).length, 40);
    assert.deepEqual(
      decisions.filter((d) => d.allowed).map((d) => d.remaining).sort((x, y) => x - y),
      Array.from({ length: 40 }, (_, i) => i),
    );
  });

  it('shares server secrets: whichever instance creates one first, both use it', async () => {
    const [fromA, fromB] = await Promise.all([
      a.housekeeping.getOrCreateSecret('shared-key', () => Buffer.from('made by a')),
      b.housekeeping.getOrCreateSecret('shared-key', () => Buffer.from('made by b')),
    ]);
    assert.deepEqual(fromA, fromB);
  });

  it('sees a revocation made through the other instance at once', async () => {
    const org = newOrg();
    await a.orgs.createOrg(org);
    const account = {
      clientId: `mdb_sa_id_${newObjectId()}`,
      orgId: org.id,
      secretHash: 'e'.repeat(64),
      roles: ['ORG_OWNER' as const],
      accessList: [],
      name: 'sa',
      createdAt: new Date().toISOString(),
    };
    await a.serviceAccounts.insertServiceAccount(account);
    assert.equal((await b.serviceAccounts.findTokenSubject(account.clientId, 'j1')).revoked, false);
    await a.serviceAccounts.revokeAccessToken('j1', Date.now() + 60_000);
    assert.equal((await b.serviceAccounts.findTokenSubject(account.clientId, 'j1')).revoked, true);
    await a.serviceAccounts.deleteServiceAccount(org.id, account.clientId);
    assert.equal((await b.serviceAccounts.findTokenSubject(account.clientId, 'j2')).account, undefined);
  });
});

/** Resolves once a session of `database` waits for a lock (bounded: rejects after 5 s). */
async function someoneWaitsForALock(database: TestDatabase): Promise<void> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const { rows } = await client.query(
        "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
      );
      if (rows.length > 0) return;
      if (Date.now() > deadline) throw new Error('no session waited for a lock within 5 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await client.end();
  }
}

describe('PostgresStore races', { skip }, () => {
  let database: TestDatabase;
  let store: PostgresStore;
  before(async () => {
    database = await createTestDatabase();
    store = await PostgresStore.open(database.url);
  });
  after(async () => {
    await store?.close();
    await database?.drop();
  });

  it('deletes a link key that a rotation is replacing only if the rotation did not: no false true, no second retirement', async () => {
    const org = { id: newObjectId(), name: 'Org', createdAt: new Date().toISOString() };
    await store.orgs.createOrg(org);
    const linkKey = () => mintApiKey({ orgId: org.id, roles: ['ORG_READ_ONLY'], accessList: [], description: 'link', purpose: 'LIVE_MIGRATION_LINK' });
    const first = linkKey();
    await store.links.replaceLink(first.record);
    const second = linkKey();

    // Another instance's rotation, caught between its statement and its COMMIT: it has deleted
    // the first key and holds the org's row lock.
    const rotation = new pg.Client({ connectionString: database.url });
    await rotation.connect();
    try {
      await rotation.query('BEGIN');
      await rotation.query('SELECT * FROM replace_link($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)', apiKeyValues(second.record));
      const deleting = store.orgs.deleteApiKey(org.id, first.record.publicKey);
      await someoneWaitsForALock(database);
      await rotation.query('COMMIT');
      assert.equal(await deleting, false, 'the rotation deleted that key, not this call');
      const { rows } = await rotation.query('SELECT reason FROM retired_link_keys WHERE public_key = $1', [first.record.publicKey]);
      assert.deepEqual(rows, [{ reason: 'ROTATED' }], 'retired once, as rotated');
      assert.equal((await store.links.getLink(org.id))?.apiKeyId, second.record.id, 'the new link stands');
    } finally {
      await rotation.end();
    }
  });
});

/** A TCP proxy to `url`'s server that can start dropping every byte both ways, as a blackholed route does. */
async function blackholingProxy(url: string): Promise<{ url: string; silent(on: boolean): void; close(): Promise<void> }> {
  const target = new URL(url);
  const sockets = new Set<net.Socket>();
  let blackholed = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(from);
      from.on('data', (data) => {
        if (!blackholed) to.write(data);
      });
      from.on('error', () => {});
      from.on('close', () => to.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxied = new URL(url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String((server.address() as net.AddressInfo).port);
  return {
    url: proxied.toString(),
    silent: (on) => (blackholed = on),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Another session holding an org's row lock (as a stuck transaction would) until release(). */
async function holdOrgLock(database: TestDatabase, orgId: string): Promise<{ release(): Promise<void> }> {
  const holder = new pg.Client({ connectionString: database.url });
  await holder.connect();
  await holder.query('BEGIN');
  await holder.query('SELECT 1 FROM orgs WHERE id = $1 FOR UPDATE', [orgId]);
  return {
    async release() {
      await holder.query('ROLLBACK');
      await holder.end();
    },
  };
}

describe('PostgresStore timeouts', { skip }, () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase();
  });
  after(async () => {
    await database?.drop();
  });

  it(`gives requests' sessions a statement timeout (${STATEMENT_TIMEOUT_MS / 1000} s) and an idle-in-transaction timeout`, async () => {
    const store = await PostgresStore.open(database.url);
    try {
      const pool = (store as unknown as { pool: pg.Pool }).pool;
      assert.equal((await pool.query('SHOW statement_timeout')).rows[0].statement_timeout, `${STATEMENT_TIMEOUT_MS / 1000}s`);
      assert.equal((await pool.query('SHOW idle_in_transaction_session_timeout')).rows[0].idle_in_transaction_session_timeout, '30s');
    } finally {
      await store.close();
    }
  });

  it('fails a write stuck behind another session\'s row lock with StoreUnavailableError once the statement times out, and recovers', { timeout: 20_000 }, async () => {
    const store = await PostgresStore.open(database.url, { statementTimeoutMs: 300 });
    const org = { id: newObjectId(), name: 'Locked', createdAt: new Date().toISOString() };
    await store.orgs.createOrg(org);
    const linkKey = () => mintApiKey({ orgId: org.id, roles: ['ORG_READ_ONLY'], accessList: [], description: 'link', purpose: 'LIVE_MIGRATION_LINK' }).record;
    const lock = await holdOrgLock(database, org.id);
    try {
      const started = Date.now();
      const stuck = await Promise.allSettled([
        store.links.deleteLink(org.id),
        store.orgs.deleteApiKey(org.id, 'abcdefgh'),
        ...Array.from({ length: 4 }, () => store.links.replaceLink(linkKey())),
      ]);
      for (const result of stuck) {
        assert.equal(result.status, 'rejected');
        assert.ok(result.reason instanceof StoreUnavailableError, String(result.reason));
        assert.match(result.reason.message, /^PostgreSQL did not answer: canceling statement due to statement timeout$/);
      }
      // The replacements that queued behind the first fail together, not each after the other.
      assert.ok(Date.now() - started < 3_000, `${Date.now() - started} ms`);
      await store.ping();
    } finally {
      await lock.release();
    }
    assert.ok(await store.links.replaceLink(linkKey()));
    await store.close();
  });

  it('answers 503, not 500, to a request whose statement timed out', { timeout: 20_000 }, async () => {
    const scratch = await createTestDatabase();
    const store = await PostgresStore.open(scratch.url, { statementTimeoutMs: 300 });
    const server = await startServer({}, { store });
    try {
      const lock = await holdOrgLock(scratch, server.bootstrap.orgId);
      try {
        const res = await digestRequest(`${server.url}/api/atlas/v2/orgs/${server.bootstrap.orgId}/liveMigrations/linkTokens`, server.bootstrap.apiKey, {
          method: 'POST',
          headers: { accept: ATLAS_JSON, 'content-type': ATLAS_JSON },
          body: '{}',
        });
        assert.equal(res.status, 503, res.text);
        assert.equal(res.json.errorCode, 'SERVICE_UNAVAILABLE');
      } finally {
        await lock.release();
      }
    } finally {
      await server.close();
      await scratch.drop();
    }
  });

  it('fails a query with StoreUnavailableError when the network goes silent, instead of waiting for ever', { timeout: 20_000 }, async (t) => {
    const proxy = await blackholingProxy(database.url);
    const store = await PostgresStore.open(proxy.url, { queryTimeoutMs: 300 });
    try {
      // Two open connections: one for each case below.
      await Promise.all([store.orgs.getOrg(newObjectId()), store.orgs.getOrg(newObjectId())]);
      proxy.silent(true);
      await assert.rejects(store.orgs.getOrg(newObjectId()), (error: Error) => {
        assert.ok(error instanceof StoreUnavailableError, String(error));
        assert.match(error.message, /^PostgreSQL did not answer: Query read timeout$/);
        return true;
      });
      proxy.silent(false);

      // The network goes silent inside a transaction: its connection is dropped, not asked to
      // ROLLBACK (which would only wait for another timeout).
      const sent: unknown[] = [];
      const realQuery = pg.Client.prototype.query;
      t.mock.method(pg.Client.prototype, 'query', function (this: pg.Client, ...args: unknown[]) {
        const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text: string }).text;
        sent.push(text);
        if (text.startsWith('INSERT INTO source_projects')) proxy.silent(true);
        return (realQuery as (...a: unknown[]) => unknown).apply(this, args);
      });
      const project = { id: newObjectId(), orgId: newObjectId(), name: 'P', createdAt: new Date().toISOString() };
      await assert.rejects(store.source.createSourceProject(project), (error: Error) => {
        assert.ok(error instanceof StoreUnavailableError, String(error));
        assert.match(error.message, /^PostgreSQL did not answer: Query read timeout$/);
        return true;
      });
      assert.equal(sent[0], 'BEGIN');
      assert.ok(!sent.includes('ROLLBACK'), `sent: ${JSON.stringify(sent)}`);
    } finally {
      await proxy.close();
      await store.close();
    }
  });
});

describe('PostgreSQL indexes', { skip }, () => {
  it('let pruning find what expired (retired link keys: from the start, in seq order), and token inspect a retired link key, through an index, not a table scan', async () => {
    const database = await createTestDatabase();
    const store = await PostgresStore.open(database.url);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      // With sequential and bitmap scans priced out, the planner still scans (or sorts) when no
      // index serves the query as asked (an empty table gives it no other reason to choose).
      await client.query('SET enable_seqscan = off');
      await client.query('SET enable_bitmapscan = off');
      for (const [statement, index, values] of [
        [HOUSEKEEPING_SQL.pruneNonceUses, 'digest_nonce_uses_expires_at', [0, 1]],
        [HOUSEKEEPING_SQL.pruneRevokedTokens, 'revoked_access_tokens_expires_at', [0, 1]],
        [HOUSEKEEPING_SQL.pruneRetiredLinkKeys, 'retired_link_keys_pkey', [new Date(), 1]],
        [LINK_SQL.findRetiredLinkKey, 'retired_link_keys_org', ['o', 'abcdefgh']],
      ] as const) {
        const { rows } = await client.query(`EXPLAIN (FORMAT JSON) ${statement.text}`, [...values]);
        const plan = JSON.stringify(rows[0]['QUERY PLAN']);
        assert.ok(plan.includes(`"Index Name":"${index}"`), `${statement.name}: ${plan}`);
        assert.ok(!plan.includes('"Node Type":"Sort"'), `${statement.name}: ${plan}`);
      }
    } finally {
      await client.end();
      await store.close();
      await database.drop();
    }
  });
});

describe('PostgreSQL schema steps', () => {
  it('match the SQLite steps one for one, so both back ends are at the same schema version', () => {
    assert.deepEqual(
      POSTGRES_MIGRATIONS.map((m) => m.version),
      SQLITE_MIGRATIONS.map((m) => m.version),
    );
  });
});

describe('PostgresStore when the server does not answer', () => {
  it('fails to open with a clear message that hides the password', async () => {
    await assert.rejects(PostgresStore.open('postgres://pushlink:s3cret@127.0.0.1:1/pushlink'), (error: Error) => {
      assert.ok(error instanceof StoreUnavailableError);
      assert.match(error.message, /^cannot connect to PostgreSQL at postgres:\/\/pushlink:\*\*\*@127\.0\.0\.1:1\/pushlink: /);
      assert.ok(!error.message.includes('s3cret'));
      return true;
    });
  });
});
