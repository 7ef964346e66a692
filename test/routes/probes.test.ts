import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { READINESS_TIMEOUT_MS } from '../../src/routes/probes.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { request } from '../helpers/http.js';
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

  it('turns /readyz to 503 when the schema is not the one this code expects, and back when it is', async () => {
    const dir = tempDir();
    const store = SqliteStore.open(dir);
    const server = await startServer({ dataDir: dir }, { store });
    try {
      store.db.prepare("INSERT INTO schema_migrations VALUES (999, '2030-01-01T00:00:00.000Z')").run();
      const ready = await request(`${server.url}/readyz`);
      assert.equal(ready.status, 503);
      assert.match(ready.json.reason, /schema is at version 999/);
      store.db.prepare('DELETE FROM schema_migrations WHERE version = 999').run();
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
});
