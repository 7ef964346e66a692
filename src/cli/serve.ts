import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { buildApp, SECRET_LOG_PATHS } from '../app.js';
import type { ServerConfig } from '../config.js';
import { bootstrapIfEmpty } from '../domain/bootstrap.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { describeDatabaseUrl } from '../store/postgres.js';
import { BOOTSTRAP_FILE_NAME, writeBootstrapFile } from './bootstrapFile.js';

const PRUNE_INTERVAL_MS = 60_000;

/** First start on an empty data dir: an org with its owner credentials, written to bootstrap.json. */
async function bootstrap(
  store: Store,
  dataDir: string,
  side: 'atlas' | 'source',
  config: ServerConfig,
  log: FastifyBaseLogger,
): Promise<string> {
  const file = path.join(dataDir, BOOTSTRAP_FILE_NAME);
  const created = await bootstrapIfEmpty(
    store,
    side === 'atlas' ? config.bootstrapOrgName : `${config.bootstrapOrgName} source`,
    (credentials) => writeBootstrapFile(dataDir, credentials).then(() => undefined),
    // Cloud Manager / Ops Manager's public API takes API keys only: no service account there.
    { serviceAccount: side === 'atlas' },
  );
  if (created) {
    log.info({ file, orgId: created.orgId, side }, 'bootstrapped a new organization; its credentials are in the bootstrap file');
  }
  return file;
}

/** Runs the server until SIGINT/SIGTERM, then drains requests and closes the store(s). */
export async function serve(config: ServerConfig): Promise<void> {
  const store = await openStore(config);
  const sourceStore = config.role === 'both' ? await openStore({ dataDir: config.sourceDataDir }) : undefined;
  const stores = sourceStore ? [store, sourceStore] : [store];
  const app = await buildApp(config, store, {
    logger: {
      level: config.logLevel,
      redact: { paths: SECRET_LOG_PATHS, censor: '[redacted]' },
    },
    ...(sourceStore ? { sourceStore } : {}),
  });
  const log = app.log;

  const bootstrapFiles = [await bootstrap(store, config.dataDir, config.role === 'source' ? 'source' : 'atlas', config, log)];
  if (sourceStore) bootstrapFiles.push(await bootstrap(sourceStore, config.sourceDataDir, 'source', config, log));

  const pruner = setInterval(() => {
    for (const s of stores) {
      s.pruneExpired(Date.now()).catch((error: unknown) => log.warn({ err: error }, 'pruning expired records failed'));
    }
  }, PRUNE_INTERVAL_MS);
  pruner.unref();

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    clearInterval(pruner);
    try {
      await app.close();
      for (const s of stores) await s.close();
      process.exit(0);
    } catch (error) {
      log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  const address = await app.listen({ host: config.host, port: config.port });
  // With --role both and no --atlas-url, the source side links to the Atlas side in this process.
  if (config.role === 'both' && !app.atlasBaseUrl) app.atlasBaseUrl = new URL(address);
  // Plain lines for people and scripts (with --port 0 it is the only way to learn the port).
  process.stdout.write(`pushlink listening on ${address} (role ${config.role})\n`);
  if (app.atlasBaseUrl && config.role !== 'atlas') process.stdout.write(`pushlink source side syncs with Atlas at ${app.atlasBaseUrl.href}\n`);
  if (config.databaseUrl !== undefined) process.stdout.write(`pushlink database ${describeDatabaseUrl(config.databaseUrl)}\n`);
  process.stdout.write(`pushlink data dir ${config.dataDir} (credentials of the bootstrap org: ${bootstrapFiles.join(', ')})\n`);
}
