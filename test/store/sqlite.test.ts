import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { SQLITE_MIGRATIONS } from '../../src/store/migrations/sqlite.js';
import { SqliteStore, SQLITE_FILE_NAME } from '../../src/store/sqlite.js';
import { tempDir } from '../helpers/server.js';
import { storeContract } from './contract.js';

const dirs = new Map<object, string>();
storeContract(
  'sqlite',
  async () => {
    const dir = tempDir();
    const store = SqliteStore.open(dir);
    dirs.set(store, dir);
    return store;
  },
  async (store) => {
    await store.close();
    fs.rmSync(dirs.get(store)!, { recursive: true, force: true });
  },
);

describe('SqliteStore specifics', () => {
  it('uses WAL and acknowledges a write only after an fsync of the WAL that followed its commit', async () => {
    const dir = tempDir();
    const store = SqliteStore.open(dir);
    assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
    // NORMAL: COMMIT does not wait for the disk; group commit fsyncs the WAL before acknowledging.
    assert.equal(store.db.pragma('synchronous', { simple: true }), 1);
    let commitsAtCommit = -1;
    store.committer.onCommit(() => (commitsAtCommit = store.committer.stats.fsyncs));
    const fsyncsAtAck = await store.revokeAccessToken('j', Date.now() + 1000).then(() => store.committer.stats.fsyncs);
    assert.equal(commitsAtCommit, 0);
    assert.equal(fsyncsAtAck, 1);
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gathers the writes that arrive during an fsync into the next commit', async () => {
    const dir = tempDir();
    const store = SqliteStore.open(dir);
    const first = store.revokeAccessToken('a', Date.now() + 1000);
    await new Promise((resolve) => setImmediate(resolve)); // first batch committed, its fsync running
    const more = Array.from({ length: 20 }, (_, i) => store.revokeAccessToken(`b${i}`, Date.now() + 1000));
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
    await store.createOrg(org);
    const { mintApiKey } = await import('../../src/domain/apiKeys.js');
    const a = mintApiKey({ orgId: org.id, roles: ['ORG_OWNER'], accessList: [], description: '', purpose: 'USER' }).record;
    const b = mintApiKey({ orgId: org.id, roles: ['ORG_OWNER'], accessList: [], description: '', purpose: 'USER' }).record;
    await store.insertApiKey(a);
    await store.insertApiKey(b);
    assert.ok(await store.findApiKeyByPublicKey(a.publicKey));
    assert.ok(await store.findApiKeyByPublicKey(b.publicKey));
    await store.deleteApiKey(org.id, a.publicKey);
    assert.equal(await store.findApiKeyByPublicKey(a.publicKey), undefined);
    await other.deleteApiKey(org.id, b.publicKey);
    await new Promise((resolve) => setImmediate(resolve)); // the next turn of the event loop
    assert.equal(await store.findApiKeyByPublicKey(b.publicKey), undefined, 'a delete by another connection is seen');
    await other.close();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('migrates once and reopens without re-running steps', async () => {
    const dir = tempDir();
    const first = SqliteStore.open(dir);
    await first.createOrg({ id: 'a'.repeat(24), name: 'kept', createdAt: new Date().toISOString() });
    await first.close();
    const second = SqliteStore.open(dir);
    assert.equal((await second.getOrg('a'.repeat(24)))?.name, 'kept');
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
    assert.equal((await store.getOrg('d'.repeat(24)))?.name, 'old');
    assert.equal(await store.findRetiredLinkKey('abcdefgh'), undefined, 'step 3 ran: its table answers');
    assert.deepEqual(
      store.db.prepare('SELECT version FROM schema_migrations ORDER BY version').all(),
      SQLITE_MIGRATIONS.map((m) => ({ version: m.version })),
    );
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('fails ping when the store is closed or the schema is not the one this code knows', async () => {
    const dir = tempDir();
    const store = SqliteStore.open(dir);
    store.db.prepare("INSERT INTO schema_migrations VALUES (999, '2030-01-01T00:00:00.000Z')").run();
    await assert.rejects(store.ping(), /schema is at version 999/);
    store.db.prepare('DELETE FROM schema_migrations WHERE version = 999').run();
    await store.ping();
    await store.close();
    await assert.rejects(store.ping(), /closed/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('batches the writes of one event-loop turn into one commit', async () => {
    const dir = tempDir();
    const store = SqliteStore.open(dir);
    const before = store.committer.stats.commits;
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.revokeAccessToken(`jti-${i}`, Date.now() + 1000)));
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
      store.createOrg(org),
      store.createOrg(org),
      store.revokeAccessToken('j', Date.now() + 1000),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.ok(await store.getOrg(org.id));
    assert.equal((await store.findTokenSubject('x', 'j')).revoked, true);
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('flushes queued writes on close', async () => {
    const dir = tempDir();
    const store = SqliteStore.open(dir);
    const pending = store.revokeAccessToken('on-close', Date.now() + 1000);
    await store.close();
    await pending;
    const reopened = SqliteStore.open(dir);
    assert.equal((await reopened.findTokenSubject('x', 'on-close')).revoked, true);
    await reopened.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
