import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { DEFAULT_CONFIG, type ServerConfig } from '../../src/config.js';
import { bootstrapIfEmpty } from '../../src/domain/bootstrap.js';
import type { Clock } from '../../src/domain/clock.js';
import type { Store } from '../../src/store/store.js';
import { digestRequest, type Credentials, type TestResponse } from './http.js';
import { tempDir } from './server.js';
import { openTestStore } from './store.js';

// An in-process source side (Cloud Manager / Ops Manager role) on 127.0.0.1, syncing with `atlasUrl`.

export interface TestSourceServer {
  url: string;
  app: FastifyInstance;
  store: Store;
  orgId: string;
  ownerKey: Credentials;
  close(): Promise<void>;
  /** Calls the source's v1.0 API as its org owner (digest). */
  call(method: string, path: string, body?: unknown): Promise<TestResponse>;
}

export async function startSourceServer(
  atlasUrl: string,
  overrides: Partial<ServerConfig> = {},
  options: { wrapStore?: (store: Store) => Store; clock?: Clock } = {},
): Promise<TestSourceServer> {
  const dataDir = tempDir('pushlink-source-');
  const config: ServerConfig = {
    ...DEFAULT_CONFIG,
    role: 'source',
    atlasUrl: new URL(atlasUrl),
    syncIntervalMs: 200,
    syncTimeoutMs: 2000,
    ...overrides,
    dataDir,
    logLevel: 'silent',
  };
  const { store, dispose } = await openTestStore(dataDir);
  const boot = await bootstrapIfEmpty(store, 'Source Org', async () => {}, { serviceAccount: false });
  if (!boot) throw new Error('expected an empty source store');
  const app = await buildApp(config, options.wrapStore ? options.wrapStore(store) : store, options.clock ? { clock: options.clock } : {});
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  return {
    url,
    app,
    store,
    orgId: boot.orgId,
    ownerKey: boot.apiKey,
    async close() {
      await app.close();
      await dispose();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
    call(method, path, body) {
      return digestRequest(url + path, boot.apiKey, {
        method,
        headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    },
  };
}

/** Polls `check` until it returns true or `timeoutMs` passes; the last value is returned either way. */
export async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!accept(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await probe();
  }
  return value;
}
