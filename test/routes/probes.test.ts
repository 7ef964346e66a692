import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { buildApp } from '../../src/app.js';
import { DEFAULT_CONFIG } from '../../src/config.js';
import { bootstrapIfEmpty } from '../../src/domain/bootstrap.js';
import { READINESS_TIMEOUT_MS } from '../../src/routes/probes.js';
import { SQLITE_SCHEMA_VERSION } from '../../src/store/migrations/sqlite.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { injectFsyncFailure } from '../helpers/fsync.js';
import { ATLAS_JSON, digestRequest, request } from '../helpers/http.js';
import { startServer, tempDir } from '../helpers/server.js';

// /healthz and /readyz: no auth, no rate limit, JSON; /readyz follows the store.

describe('probes', () => {
  it('answers /healthz and /readyz without auth, as JSON, never rate limited', async () => {
    const server = await startServer({ rateLimit: { enabled: true, capacity: 1, refillAmount: 1, refillPeriodMs: 60_000 } });
    try {
      for (let i = 0; i < 5; i++) {
        const health = await request(`${server.url}/healthz`);
        assert.equal(health.status, 200);
        assert.deepEqual(health.json, { status: 'ok' });
        assert.match(String(health.headers['content-type']), /^application\/json/);
        const ready = await request(`${server.url}/readyz`);
        assert.equal(ready.status, 200);
        assert.deepEqual(ready.json, { status: 'ready' });
        assert.equal(ready.headers['cache-control'], 'no-store');
      }
    } finally {
      await server.close();
    }
  });

  it('turns /readyz to 503 with the reason when the store is closed; /healthz stays 200', async () => {
    const server = await startServer();
    try {
      await server.store.close();
      const ready = await request(`${server.url}/readyz`);
      assert.equal(ready.status, 503);
      assert.equal(ready.json.status, 'unavailable');
      assert.match(ready.json.reason, /closed/);
      assert.equal((await request(`${server.url}/healthz`)).status, 200);
    } finally {
      await server.close();
    }
  });

  it('stays ready on a newer schema (additive steps), turns /readyz to 503 while a step the code needs is missing, and back', async () => {
    const dir = tempDir();
    const store = SqliteStore.open(dir);
    const server = await startServer({ dataDir: dir }, { store });
    try {
      store.db.prepare("INSERT INTO schema_migrations VALUES (999, '2030-01-01T00:00:00.000Z')").run();
      assert.equal((await request(`${server.url}/readyz`)).status, 200, 'a newer release migrated: still ready');
      const step = store.db.prepare('SELECT * FROM schema_migrations WHERE version = ?').get(SQLITE_SCHEMA_VERSION);
      store.db.prepare('DELETE FROM schema_migrations WHERE version = ?').run(SQLITE_SCHEMA_VERSION);
      const ready = await request(`${server.url}/readyz`);
      assert.equal(ready.status, 503);
      assert.match(ready.json.reason, new RegExp(`steps this code needs\\), expected version ${SQLITE_SCHEMA_VERSION} or later$`));
      store.db.prepare('INSERT INTO schema_migrations VALUES (@version, @applied_at)').run(step);
      assert.equal((await request(`${server.url}/readyz`)).status, 200);
    } finally {
      await server.close();
    }
  });

  it('turns /readyz to 503 when the store fails or hangs, without hanging itself', async () => {
    const dir = tempDir();
    const store = SqliteStore.open(dir);
    const server = await startServer({ dataDir: dir }, { store });
    try {
      store.ping = async () => {
        throw new Error('disk on fire');
      };
      const failed = await request(`${server.url}/readyz`);
      assert.equal(failed.status, 503);
      assert.deepEqual(failed.json, { status: 'unavailable', reason: 'disk on fire' });

      store.ping = () => new Promise<void>(() => {});
      const started = Date.now();
      const hung = await request(`${server.url}/readyz`);
      const waited = Date.now() - started;
      assert.equal(hung.status, 503);
      assert.match(hung.json.reason, /did not answer within/);
      assert.ok(waited >= READINESS_TIMEOUT_MS - 50 && waited < READINESS_TIMEOUT_MS + 2000, `waited ${waited} ms`);
    } finally {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('after a failed fsync (SQLite): logs it once, answers 503 to every call and /readyz 503 saying to restart', async (t) => {
    const dir = tempDir();
    const store = SqliteStore.open(dir);
    const boot = (await bootstrapIfEmpty(store, 'Org', async () => {}))!;
    let log = '';
    const stream = new Writable({
      write(chunk, _encoding, done) {
        log += chunk.toString();
        done();
      },
    });
    const app = await buildApp({ ...DEFAULT_CONFIG, dataDir: dir, logLevel: 'silent' }, store, { logger: { level: 'info', stream } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    try {
      const getOrgs = () => digestRequest(`${url}/api/atlas/v2/orgs`, boot.apiKey, { headers: { accept: ATLAS_JSON } });
      assert.equal((await getOrgs()).status, 200);
      let failing = true;
      await injectFsyncFailure(t, () => failing);
      // Every digest call records its nonce use: the write whose fsync fails.
      const failed = await getOrgs();
      assert.equal(failed.status, 503, failed.text);
      assert.equal(failed.json.errorCode, 'SERVICE_UNAVAILABLE');
      failing = false;
      assert.equal((await getOrgs()).status, 503, 'no recovery without a restart');
      const ready = await request(`${url}/readyz`);
      assert.equal(ready.status, 503);
      assert.match(ready.json.reason, /^the data could not be synced to disk \(.*\); pushlink must be restarted$/);
      assert.equal((await request(`${url}/healthz`)).status, 200);
      const errors = log
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { level: number; msg: string })
        .filter((line) => line.level >= 50);
      assert.equal(errors.length, 1, log);
      assert.match(errors[0]!.msg, /^the store failed: the data could not be synced to disk .*pushlink must be restarted$/);
    } finally {
      await app.close();
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
