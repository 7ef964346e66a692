import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { mintApiKey } from '../../src/domain/apiKeys.js';
import { SQLITE_MIGRATIONS } from '../../src/store/migrations/sqlite.js';
import { SqliteStore, SQLITE_FILE_NAME } from '../../src/store/sqlite.js';
import { StoreUnavailableError } from '../../src/store/store.js';
import { injectFsyncFailure } from '../helpers/fsync.js';
import { tempDir } from '../helpers/server.js';

describe('SqliteStore specifics', () => {
  it('uses WAL and acknowledges a write only after an fsync of the WAL that followed its commit', async () => {
    const dir = tempDir();
    const store = SqliteStore.open(dir);
    assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
    // NORMAL: COMMIT does not wait for the disk; group commit fsyncs the WAL before acknowledging.
    assert.equal(store.db.pragma('synchronous', { simple: true }), 1);
    let commitsAtCommit = -1;
    store.committer.onCommit(() => (commitsAtCommit = store.committer.stats.fsyncs));
    const fsyncsAtAck = await store.serviceAccounts.revokeAccessToken('j', Date.now() + 1000).then(() => store.committer.stats.fsyncs);
    assert.equal(commitsAtCommit, 0);
    assert.equal(fsyncsAtAck, 1);
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gathers the writes that arrive during an fsync into the next commit', async () => {
    const dir = tempDir();
    const store = SqliteStore.open(dir);
    const first = store.serviceAccounts.revokeAccessToken('a', Date.now() + 1000);
    await new Promise((resolve) => setImmediate(resolve)); // first batch committed, its fsync running
    const more = Array.from({ length: 20 }, (_, i) => store.serviceAccounts.revokeAccessToken(`b${i}`, Date.now() + 1000));
    await Promise.all([first, ...more]);
    assert.equal(store.committer.stats.commits, 2);
    assert.equal(store.committer.stats.lastBatchSize, 20);
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves cached keys exactly: sees deletes through this store and through another process', async () => {
    const dir = tempDir();
    const store = SqliteStore.open(dir);
    const other = SqliteStore.open(dir); // like an admin command on the same data dir
    const org = { id: 'c'.repeat(24), name: 'x', createdAt: new Date().toISOString() };
    await store.orgs.createOrg(org);
    const { mintApiKey } = await import('../../src/domain/apiKeys.js');
    const a = mintApiKey({ orgId: org.id, roles: ['ORG_OWNER'], accessList: [], description: '', purpose: 'USER' }).record;
    const b = mintApiKey({ orgId: org.id, roles: ['ORG_OWNER'], accessList: [], description: '', purpose: 'USER' }).record;
    await store.orgs.insertApiKey(a);
    await store.orgs.insertApiKey(b);
    assert.ok(await store.orgs.findApiKeyByPublicKey(a.publicKey));
    assert.ok(await store.orgs.findApiKeyByPublicKey(b.publicKey));
    await store.orgs.deleteApiKey(org.id, a.publicKey);
    assert.equal(await store.orgs.findApiKeyByPublicKey(a.publicKey), undefined);
    await other.orgs.deleteApiKey(org.id, b.publicKey);
    await new Promise((resolve) => setImmediate(resolve)); // the next turn of the event loop
    assert.equal(await store.orgs.findApiKeyByPublicKey(b.publicKey), undefined, 'a delete by another connection is seen');
    await other.close();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('migrates once and reopens without re-running steps', async () => {
    const dir = tempDir();
    const first = SqliteStore.open(dir);
    await first.orgs.createOrg({ id: 'a'.repeat(24), name: 'kept', createdAt: new Date().toISOString() });
    await first.close();
    const second = SqliteStore.open(dir);
    assert.equal((await second.orgs.getOrg('a'.repeat(24)))?.name, 'kept');
    await second.ping();
    await second.close();
    const raw = new BetterSqlite3(path.join(dir, SQLITE_FILE_NAME), { readonly: true });
    assert.deepEqual(
      raw.prepare('SELECT version FROM schema_migrations ORDER BY version').all(),
      SQLITE_MIGRATIONS.map((m) => ({ version: m.version })),
    );
    raw.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('upgrades a database made by an older release, skipping the reserved gap, and keeps its data', async () => {
    const dir = tempDir();
    const raw = new BetterSqlite3(path.join(dir, SQLITE_FILE_NAME));
    raw.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
    raw.exec(SQLITE_MIGRATIONS[0]!.sql);
    raw.prepare("INSERT INTO schema_migrations VALUES (1, '2025-01-01T00:00:00.000Z')").run();
    raw.prepare("INSERT INTO orgs VALUES (?, 'old', '2025-01-01T00:00:00.000Z')").run('d'.repeat(24));
    raw.close();
    const store = SqliteStore.open(dir);
    await store.ping();
    assert.equal((await store.orgs.getOrg('d'.repeat(24)))?.name, 'old');
    assert.equal(await store.links.findRetiredLinkKey('d'.repeat(24), 'abcdefgh'), undefined, 'step 3 ran: its table answers');
    assert.deepEqual(
      store.db.prepare('SELECT version FROM schema_migrations ORDER BY version').all(),
      SQLITE_MIGRATIONS.map((m) => ({ version: m.version })),
    );
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers ping on its schema or a newer one (steps are additive); fails it when a step it needs is missing or the store is closed', async () => {
    const dir = tempDir();
    const store = SqliteStore.open(dir);
    const latest = SQLITE_MIGRATIONS[SQLITE_MIGRATIONS.length - 1]!.version;
    store.db.prepare("INSERT INTO schema_migrations VALUES (999, '2030-01-01T00:00:00.000Z')").run();
    await store.ping();
    store.db.prepare('DELETE FROM schema_migrations WHERE version = ?').run(latest);
    await assert.rejects(
      store.ping(),
      new RegExp(`^Error: database schema is at version 999 \\(${SQLITE_MIGRATIONS.length - 1} of the ${SQLITE_MIGRATIONS.length} steps this code needs\\), expected version ${latest} or later$`),
    );
    store.db.prepare('DELETE FROM schema_migrations WHERE version = 999').run();
    await assert.rejects(store.ping(), new RegExp(`schema is at version ${SQLITE_MIGRATIONS[SQLITE_MIGRATIONS.length - 2]!.version} `));
    store.db.prepare("INSERT INTO schema_migrations VALUES (?, '2030-01-01T00:00:00.000Z')").run(latest);
    await store.ping();
    await store.close();
    await assert.rejects(store.ping(), /closed/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('batches the writes of one event-loop turn into one commit', async () => {
    const dir = tempDir();
    const store = SqliteStore.open(dir);
    const before = store.committer.stats.commits;
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.serviceAccounts.revokeAccessToken(`jti-${i}`, Date.now() + 1000)));
    assert.equal(store.committer.stats.commits - before, 1);
    assert.equal(store.committer.stats.lastBatchSize, 50);
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('rolls back only the failing write of a batch', async () => {
    const dir = tempDir();
    const store = SqliteStore.open(dir);
    const org = { id: 'b'.repeat(24), name: 'x', createdAt: new Date().toISOString() };
    const results = await Promise.allSettled([
      store.orgs.createOrg(org),
      store.orgs.createOrg(org),
      store.serviceAccounts.revokeAccessToken('j', Date.now() + 1000),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.ok(await store.orgs.getOrg(org.id));
    assert.equal((await store.serviceAccounts.findTokenSubject('x', 'j')).revoked, true);
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('fails for good after a failed fsync: refuses every operation, serves nothing from its caches, and says so', async (t) => {
    const dir = tempDir();
    const store = SqliteStore.open(dir);
    const failures: StoreUnavailableError[] = [];
    store.observeFailure((failure) => failures.push(failure));
    const org = { id: 'e'.repeat(24), name: 'x', createdAt: new Date().toISOString() };
    await store.orgs.createOrg(org);
    const key = mintApiKey({ orgId: org.id, roles: ['ORG_OWNER'], accessList: [], description: '', purpose: 'USER' }).record;
    await store.orgs.insertApiKey(key);
    const account = { clientId: 'mdb_sa_id_x', orgId: org.id, secretHash: 'f'.repeat(64), roles: ['ORG_OWNER' as const], accessList: [], name: 'sa', createdAt: org.createdAt };
    await store.serviceAccounts.insertServiceAccount(account);
    // Cached now: the key and the token subject behind every request.
    assert.ok(await store.orgs.findApiKeyByPublicKey(key.publicKey));
    assert.equal((await store.serviceAccounts.findTokenSubject(account.clientId, 'jti')).revoked, false);

    let failing = true;
    await injectFsyncFailure(t, () => failing);
    const sameBatch = [store.orgs.deleteApiKey(org.id, key.publicKey), store.serviceAccounts.revokeAccessToken('jti', Date.now() + 60_000)];
    const results = await Promise.allSettled(sameBatch);
    for (const result of results) {
      assert.equal(result.status, 'rejected');
      assert.ok(result.reason instanceof StoreUnavailableError);
      assert.match(result.reason.message, /^the data could not be synced to disk \(fsync failed: EIO: i\/o error, fsync\); pushlink must be restarted$/);
    }
    assert.equal(failures.length, 1);
    assert.equal(failures[0], (results[0] as PromiseRejectedResult).reason);

    // The delete and the revocation were committed, then refused: neither the cached key nor the
    // cached subject may answer now, nor anything else, even once the disk "works" again.
    failing = false;
    await assert.rejects(store.orgs.findApiKeyByPublicKey(key.publicKey), StoreUnavailableError);
    await assert.rejects(store.serviceAccounts.findTokenSubject(account.clientId, 'jti'), StoreUnavailableError);
    await assert.rejects(store.orgs.getOrg(org.id), StoreUnavailableError);
    await assert.rejects(store.orgs.listApiKeys(org.id), StoreUnavailableError);
    await assert.rejects(store.housekeeping.getOrCreateSecret('s', () => Buffer.from('x')), StoreUnavailableError);
    await assert.rejects(store.serviceAccounts.revokeAccessToken('later', Date.now() + 60_000), StoreUnavailableError);
    await assert.rejects(store.housekeeping.useDigestNonce('n', '00000001', Date.now() + 60_000), StoreUnavailableError);
    await assert.rejects(store.events.listEvents({ orgId: org.id, now: new Date().toISOString(), skip: 0, limit: 10 }), StoreUnavailableError);
    await assert.rejects(store.events.pruneEvents(new Date().toISOString(), 10), StoreUnavailableError);
    await assert.rejects(store.ping(), /could not be synced to disk.*pushlink must be restarted/);
    let toldLate: StoreUnavailableError | undefined;
    store.observeFailure((failure) => (toldLate = failure));
    assert.equal(toldLate, failures[0], 'a listener added later is told at once');
    assert.equal(failures.length, 1, 'told once');

    await store.close();
    const reopened = SqliteStore.open(dir);
    await reopened.ping();
    await reopened.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses the writes that wait for a failed fsync, and those queued behind it', async (t) => {
    const dir = tempDir();
    const store = SqliteStore.open(dir);
    await injectFsyncFailure(t);
    const first = store.serviceAccounts.revokeAccessToken('a', Date.now() + 1000);
    await new Promise((resolve) => setImmediate(resolve)); // committed, its fsync running
    const queued = Array.from({ length: 5 }, (_, i) => store.serviceAccounts.revokeAccessToken(`q${i}`, Date.now() + 1000));
    const results = await Promise.allSettled([first, ...queued]);
    assert.deepEqual(
      results.map((r) => r.status === 'rejected' && r.reason instanceof StoreUnavailableError),
      results.map(() => true),
    );
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('settles a batch whose ROLLBACK fails, and stops for good rather than run the next batch inside that transaction', async (t) => {
    const dir = tempDir();
    const store = SqliteStore.open(dir);
    const rollback = (store.committer as unknown as { rollback: { run(): unknown } }).rollback;
    t.mock.method(rollback, 'run', () => {
      throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
    });
    const org = { id: 'f'.repeat(24), name: 'x', createdAt: new Date().toISOString() };
    // The duplicate makes the batch roll back; the ROLLBACK itself then fails.
    const batch = [store.orgs.createOrg(org), store.orgs.createOrg(org), store.serviceAccounts.revokeAccessToken('j', Date.now() + 1000)];
    const settled = await Promise.race([
      Promise.allSettled(batch),
      new Promise<'stalled'>((resolve) => setTimeout(() => resolve('stalled'), 5_000).unref()),
    ]);
    assert.notEqual(settled, 'stalled', 'every write of the batch is settled');
    for (const result of settled as PromiseSettledResult<void>[]) {
      assert.equal(result.status, 'rejected');
      assert.ok(result.reason instanceof StoreUnavailableError);
      assert.match(result.reason.message, /^a failed transaction could not be rolled back \(disk I\/O error\); pushlink must be restarted$/);
    }
    await assert.rejects(store.serviceAccounts.revokeAccessToken('later', Date.now() + 1000), StoreUnavailableError);
    await assert.rejects(store.ping(), StoreUnavailableError);
    t.mock.restoreAll();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('finds expired records and a retired link key through an index, and prunes retired link keys from the table start without a sort', async () => {
    const dir = tempDir();
    const store = SqliteStore.open(dir);
    // Each aggregate keeps its statements as `s`: these are pruning's (housekeeping) and token inspect's (links).
    const statementsOf = (aggregate: object) => (aggregate as unknown as { s: Record<string, { source: string }> }).s;
    const statements = { ...statementsOf(store.housekeeping), ...statementsOf(store.links) };
    const plan = (name: string, ...values: unknown[]) =>
      (store.db.prepare(`EXPLAIN QUERY PLAN ${statements[name]!.source}`).all(...values) as Array<{ detail: string }>).map((r) => r.detail);
    for (const [name, index] of [
      ['pruneNonceUses', 'digest_nonce_uses_expires_at (expires_at<?)'],
      ['pruneRevokedTokens', 'revoked_access_tokens_expires_at (expires_at<?)'],
    ] as const) {
      const steps = plan(name, 0, 1);
      assert.ok(steps.some((detail) => detail.includes(`INDEX ${index}`)), `${name}: ${steps.join('; ')}`);
      assert.ok(!steps.some((detail) => detail.startsWith('SCAN')), `${name}: ${steps.join('; ')}`);
    }
    const lookup = plan('findRetiredLinkKey', 'o', 'abcdefgh');
    assert.ok(lookup.some((detail) => detail.includes('INDEX retired_link_keys_org (org_id=?)')), lookup.join('; '));
    assert.ok(!lookup.some((detail) => detail.startsWith('SCAN') || detail.includes('TEMP B-TREE')), lookup.join('; '));
    // Its scan is the chunk's LIMIT in rowid order (the contract suite shows it reads no further);
    // a sort would mean reading the whole table first.
    const prune = plan('pruneRetiredLinkKeys', { before: '2025-01-01T00:00:00.000Z', limit: 1 });
    assert.ok(prune.some((detail) => detail === 'SCAN retired_link_keys'), prune.join('; '));
    assert.ok(!prune.some((detail) => detail.includes('TEMP B-TREE') || detail.includes('INDEX')), prune.join('; '));
    const indexes = store.db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'retired_link_keys'").pluck().all();
    assert.deepEqual(indexes, ['retired_link_keys_org'], 'a rotation pays for one index on retired link keys');
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a write with StoreUnavailableError (503) when another connection keeps the write lock past busy_timeout, and goes on after', async () => {
    const dir = tempDir();
    const store = SqliteStore.open(dir);
    store.db.pragma('busy_timeout = 50');
    const admin = new BetterSqlite3(path.join(dir, SQLITE_FILE_NAME));
    admin.exec('BEGIN IMMEDIATE');
    try {
      await assert.rejects(store.serviceAccounts.revokeAccessToken('locked-out', Date.now() + 1000), (error: Error) => {
        assert.ok(error instanceof StoreUnavailableError, String(error));
        assert.match(error.message, /^the database stayed locked by another connection \(database is locked\)$/);
        return true;
      });
    } finally {
      admin.exec('ROLLBACK');
      admin.close();
    }
    await store.serviceAccounts.revokeAccessToken('after', Date.now() + 1000);
    await store.ping();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps its files 0600 in a data dir that already existed world-readable, and narrows an older install\'s', async (t) => {
    const previousUmask = process.umask(0o022);
    t.after(() => process.umask(previousUmask));
    const modes = (dir: string) =>
      ['', '-wal', '-shm'].map((suffix) => fs.statSync(path.join(dir, SQLITE_FILE_NAME + suffix)).mode & 0o777);

    const fresh = tempDir();
    fs.chmodSync(fresh, 0o755);
    const store = SqliteStore.open(fresh);
    await store.serviceAccounts.revokeAccessToken('j', Date.now() + 1000);
    assert.deepEqual(modes(fresh), [0o600, 0o600, 0o600]);
    await store.close();
    assert.equal(fs.statSync(fresh).mode & 0o777, 0o755, 'the data dir is the operator\'s: left as it was');
    fs.rmSync(fresh, { recursive: true, force: true });

    // An older release made its files with the umask, and they are open (WAL and shared memory
    // present) when the new one starts.
    const older = tempDir();
    const raw = new BetterSqlite3(path.join(older, SQLITE_FILE_NAME));
    raw.pragma('journal_mode = WAL');
    raw.exec('CREATE TABLE t (x)');
    assert.deepEqual(modes(older), [0o644, 0o644, 0o644]);
    const upgraded = SqliteStore.open(older);
    assert.deepEqual(modes(older), [0o600, 0o600, 0o600]);
    await upgraded.close();
    raw.close();
    fs.rmSync(older, { recursive: true, force: true });
  });

  it('flushes queued writes on close', async () => {
    const dir = tempDir();
    const store = SqliteStore.open(dir);
    const pending = store.serviceAccounts.revokeAccessToken('on-close', Date.now() + 1000);
    await store.close();
    await pending;
    const reopened = SqliteStore.open(dir);
    assert.equal((await reopened.serviceAccounts.findTokenSubject('x', 'on-close')).revoked, true);
    await reopened.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
