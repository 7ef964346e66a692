import path from 'node:path';
import { buildApp, SECRET_LOG_PATHS } from '../app.js';
import type { ServerConfig } from '../config.js';
import { bootstrapIfEmpty } from '../domain/bootstrap.js';
import { openStore } from '../store/open.js';
import { describeDatabaseUrl } from '../store/postgres.js';
import { BOOTSTRAP_FILE_NAME, writeBootstrapFile } from './bootstrapFile.js';

const PRUNE_INTERVAL_MS = 60_000;

/** Runs the server until SIGINT/SIGTERM, then drains requests and closes the store. */
export async function serve(config: ServerConfig): Promise<void> {
  const store = await openStore(config);
  const app = await buildApp(config, store, {
    logger: {
      level: config.logLevel,
      redact: { paths: SECRET_LOG_PATHS, censor: '[redacted]' },
    },
  });
  const log = app.log;

  const bootstrapped = await bootstrapIfEmpty(store, config.bootstrapOrgName, async (credentials) => {
    await writeBootstrapFile(config.dataDir, credentials);
  });
  const bootstrapFile = path.join(config.dataDir, BOOTSTRAP_FILE_NAME);
  if (bootstrapped) {
    log.info({ file: bootstrapFile, orgId: bootstrapped.orgId }, 'bootstrapped a new organization; its credentials are in the bootstrap file');
  }

  const pruner = setInterval(() => {
    store.pruneExpired(Date.now()).catch((error: unknown) => log.warn({ err: error }, 'pruning expired records failed'));
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
      await store.close();
      process.exit(0);
    } catch (error) {
      log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  const address = await app.listen({ host: config.host, port: config.port });
  // One plain line for people and scripts (with --port 0 it is the only way to learn the port).
  process.stdout.write(`pushlink listening on ${address}\n`);
  if (config.databaseUrl !== undefined) process.stdout.write(`pushlink database ${describeDatabaseUrl(config.databaseUrl)}\n`);
  process.stdout.write(`pushlink data dir ${config.dataDir} (credentials of the bootstrap org: ${bootstrapFile})\n`);
}
