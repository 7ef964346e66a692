import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
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
  it('uses WAL with synchronous=FULL (an acknowledged write survives a crash)', () => {
    const dir = tempDir();
    const store = SqliteStore.open(dir);
    assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(store.db.pragma('synchronous', { simple: true }), 2);
    void store.close();
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
    assert.deepEqual(raw.prepare('SELECT version FROM schema_migrations').all(), [{ version: 1 }]);
    raw.close();
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
    assert.equal(await store.isAccessTokenRevoked('j'), true);
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
    assert.equal(await reopened.isAccessTokenRevoked('on-close'), true);
    await reopened.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
