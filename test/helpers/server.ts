import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { adminTokenHash } from '../../src/auth/localAdmin.js';
import { DEFAULT_CONFIG, type ServerConfig } from '../../src/config.js';
import { bootstrapIfEmpty, type BootstrapCredentials } from '../../src/domain/bootstrap.js';
import type { Clock } from '../../src/domain/clock.js';
import { ensureSelfSignedTls } from '../../src/tls/selfSigned.js';
import type { Store } from '../../src/store/store.js';
import { openTestStore } from './store.js';

// An in-process pushlink on 127.0.0.1 with a fresh store of the suite's back end (helpers/store.ts)
// and a bootstrapped org.

export interface TestServer {
  url: string;
  app: FastifyInstance;
  store: Store;
  config: ServerConfig;
  bootstrap: Required<BootstrapCredentials>;
  dataDir: string;
  close(): Promise<void>;
}

export function tempDir(prefix = 'pushlink-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function startServer(
  overrides: Partial<ServerConfig> = {},
  options: { host?: string; store?: Store; clock?: Clock; orgName?: string; selfSignedTls?: boolean; adminToken?: string } = {},
): Promise<TestServer> {
  const dataDir = overrides.dataDir ?? tempDir();
  const config: ServerConfig = {
    ...DEFAULT_CONFIG,
    rateLimit: { ...DEFAULT_CONFIG.rateLimit },
    ...overrides,
    dataDir,
    logLevel: 'silent',
  };
  const opened = options.store ? { store: options.store, dispose: () => options.store!.close() } : await openTestStore(dataDir);
  const store = opened.store;
  const bootstrap = await bootstrapIfEmpty(store, options.orgName ?? 'Test Org', async () => {});
  if (!bootstrap?.serviceAccount) throw new Error('test server expects an empty store');
  // As `--tls self-signed` does: a local CA in <dataDir>/tls (ca.pem) and a certificate for 127.0.0.1.
  const tls = options.selfSignedTls ? await ensureSelfSignedTls(dataDir) : undefined;
  const app = await buildApp(config, store, {
    ...(tls ? { https: { cert: tls.cert, key: tls.key } } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.adminToken ? { adminTokenHash: adminTokenHash(options.adminToken) } : {}),
  });
  const host = options.host ?? '127.0.0.1';
  await app.listen({ host, port: 0 });
  const address = app.server.address() as { port: number };
  const url = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  return {
    url,
    app,
    store,
    config,
    bootstrap: bootstrap as Required<BootstrapCredentials>,
    dataDir,
    async close() {
      await app.close();
      await opened.dispose();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
