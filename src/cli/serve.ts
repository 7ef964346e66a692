import path from 'node:path';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { buildApp, buildMetricsApp } from '../app.js';
import type { ServerConfig } from '../config.js';
import { ConfigError } from '../configError.js';
import { bootstrapIfEmpty } from '../domain/bootstrap.js';
import { loggerOptions } from '../observability/logging.js';
import { Metrics } from '../observability/metrics.js';
import { openStore } from '../store/open.js';
import { describeDatabaseUrl } from '../store/postgres.js';
import { PRUNE_CHUNK_ROWS } from '../store/housekeeping.js';
import { type Store } from '../store/store.js';
import { loadServerTls, trustInstructions } from '../tls/serverTls.js';
import { readTrustedCa } from '../tls/trust.js';
import net from 'node:net';
import { DEV_CREDENTIALS } from '../domain/devCredentials.js';
import { BOOTSTRAP_FILE_NAME, writeBootstrapFile } from './bootstrapFile.js';
import { describeSeeding, loadSeed, seedStore } from './seed.js';
import { removeAdminFile, writeAdminFile } from './adminFile.js';
import { adminTokenHash, newAdminToken } from '../auth/localAdmin.js';

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
    { serviceAccount: side === 'atlas', ...(config.devCredentials ? { fixed: DEV_CREDENTIALS[side] } : {}) },
  );
  if (created) {
    log.info({ file, orgId: created.orgId, side }, 'bootstrapped a new organization; its credentials are in the bootstrap file');
  }
  return file;
}

/** Why listen() fails for reasons a person can fix, as they would put it. */
const LISTEN_FAILURES: Record<string, string> = {
  EADDRINUSE: 'the address is already in use (another server on that port? choose one with --port)',
  EACCES: 'permission denied (ports below 1024 need privileges; choose one with --port)',
  EADDRNOTAVAIL: 'this machine has no such address (check --host)',
  ENOTFOUND: 'no such host name (check --host)',
};

/** listen(), with a port in use or a wrong --host as a one-line startup error instead of a stack trace. */
async function listen(server: FastifyInstance, host: string, port: number): Promise<string> {
  try {
    return await server.listen({ host, port });
  } catch (error) {
    const reason = LISTEN_FAILURES[(error as NodeJS.ErrnoException).code ?? ''];
    if (reason === undefined) throw error;
    throw new ConfigError(`cannot listen on ${host}:${port}: ${reason}`);
  }
}

/**
 * Fails early when the port is taken, before anything is written to the data dir (a bootstrap
 * file for a server that then cannot listen misleads). listen() still reports the rarer case of
 * the port being taken between this check and it.
 */
async function assertPortFree(host: string, port: number | undefined): Promise<void> {
  if (port === undefined || port === 0) return;
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  }).catch((error: NodeJS.ErrnoException) => {
    const reason = LISTEN_FAILURES[error.code ?? ''];
    if (reason === undefined) throw error;
    throw new ConfigError(`cannot listen on ${host}:${port}: ${reason}`);
  });
}

/** Runs the server until SIGINT/SIGTERM, then drains requests and closes the store(s). */
export async function serve(config: ServerConfig): Promise<void> {
  // Certificates first: a bad --tls-cert is a startup error before anything else is touched.
  const tls = config.tls && (await loadServerTls(config.tls, config.dataDir));
  await assertPortFree(config.host, config.metricsPort);
  await assertPortFree(config.host, config.port);
  const seed = config.seedFile === undefined ? undefined : await loadSeed(config.seedFile);
  const store = await openStore(config);
  const sourceStore = config.role === 'both' ? await openStore({ dataDir: config.sourceDataDir }) : undefined;
  const stores = sourceStore ? [store, sourceStore] : [store];
  const metrics = new Metrics();
  const adminToken = newAdminToken();
  const app = await buildApp(config, store, {
    adminTokenHash: adminTokenHash(adminToken),
    logger: await loggerOptions(config.logLevel, config.logFormat),
    https: tls && { cert: tls.cert, key: tls.key },
    metrics,
    serveMetrics: config.metricsPort === undefined,
    ...(sourceStore ? { sourceStore } : {}),
  });
  const metricsApp = config.metricsPort === undefined ? undefined : await buildMetricsApp(metrics);
  const log = app.log;

  const selfSigned = tls?.selfSigned;
  if (selfSigned?.createdCa) log.info({ file: selfSigned.files.caCert }, 'created a local CA for --tls self-signed');
  else if (selfSigned?.issuedServerCertificate) log.info({ file: selfSigned.files.serverCert }, 'issued a new server certificate from the local CA');

  // A seed replaces the main store's random bootstrap: its credentials are the file's, and no
  // bootstrap.json is written for it (with --role both the source side still bootstraps).
  const startLines: string[] = [];
  const bootstrapFiles: string[] = [];
  try {
    if (config.seedFile !== undefined && seed !== undefined) {
      const plan = await seedStore(store, config.seedFile, seed, new Date());
      log.info({ file: config.seedFile, orgs: plan.orgs.length, apiKeys: plan.apiKeys.length, serviceAccounts: plan.serviceAccounts.length, unchanged: plan.unchanged }, 'applied the seed file');
      startLines.push(describeSeeding(config.seedFile, plan));
    } else {
      bootstrapFiles.push(await bootstrap(store, config.dataDir, config.role === 'source' ? 'source' : 'atlas', config, log));
    }
    if (sourceStore) bootstrapFiles.push(await bootstrap(sourceStore, config.sourceDataDir, 'source', config, log));
  } catch (error) {
    await Promise.allSettled([app.close(), metricsApp?.close()]);
    for (const s of stores) await s.close().catch(() => undefined);
    throw error;
  }
  if (config.devCredentials) {
    log.warn('serving the well-known development credentials (--dev-credentials): anyone who can reach this port is organization owner; never use them outside development');
    startLines.push('pushlink WARNING: --dev-credentials: the well-known development credentials are in use; for development only');
  }

  const pruner = setInterval(() => {
    const nowMs = app.clock.now().getTime();
    for (const s of stores) {
      s.housekeeping.pruneExpired(nowMs).catch((error: unknown) => log.warn({ err: error }, 'pruning expired records failed'));
      s.events
        .pruneEvents(new Date(nowMs - config.eventRetentionMs).toISOString(), PRUNE_CHUNK_ROWS)
        .catch((error: unknown) => log.warn({ err: error }, 'pruning old events failed'));
    }
  }, PRUNE_INTERVAL_MS);
  pruner.unref();

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    clearInterval(pruner);
    removeAdminFile(config.dataDir, adminToken);
    try {
      // New requests get 503 until the server is quiet; then listening stops (http/drain.ts).
      await app.drain();
      await Promise.all([app.close(), metricsApp?.close()]);
      for (const s of stores) await s.close();
      process.exit(0);
    } catch (error) {
      log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  let address: string;
  let metricsAddress: string | undefined;
  try {
    if (metricsApp) metricsAddress = await listen(metricsApp, config.host, config.metricsPort!);
    address = await listen(app, config.host, config.port);
  } catch (error) {
    // Nothing is served: close what was opened, the stores last, before the CLI reports it.
    clearInterval(pruner);
    await Promise.allSettled([app.close(), metricsApp?.close()]);
    for (const s of stores) await s.close().catch(() => undefined);
    throw error;
  }
  // With --role both and no --atlas-url, the source side links to the Atlas side in this process
  // (trusting this process's own CA when it serves --tls self-signed).
  if (config.role === 'both' && !app.atlasBaseUrl) {
    app.atlasBaseUrl = new URL(address);
    if (selfSigned && !app.atlasCa) app.atlasCa = readTrustedCa(selfSigned.files.caCert);
  }

  // The first sync round now, not one --sync-interval after start: a link's status (and its
  // NOT_SYNCED reason) from before a restart is otherwise what the source answers for that long.
  // Here, because only now is the Atlas URL known with --role both.
  if (app.linkSyncer) void app.linkSyncer.syncAll();

  // The local administrator's way in (pushlink fault|clock): written once the URL is known.
  await writeAdminFile(config.dataDir, {
    url: address,
    token: adminToken,
    pid: process.pid,
    ...(selfSigned ? { caFile: selfSigned.files.caCert } : {}),
  });

  // Plain lines for people and scripts (with --port 0 they are the only way to learn the ports).
  // "listening" comes last, so whoever waits for it has read the others.
  const lines: string[] = [];
  if (metricsAddress) lines.push(`pushlink metrics on ${metricsAddress}/metrics`);
  if (selfSigned) lines.push(...trustInstructions(selfSigned.files.caCert));
  if (config.databaseUrl !== undefined) lines.push(`pushlink database ${describeDatabaseUrl(config.databaseUrl)}`);
  lines.push(...startLines);
  lines.push(
    bootstrapFiles.length > 0
      ? `pushlink data dir ${config.dataDir} (credentials of the bootstrap org: ${bootstrapFiles.join(', ')})`
      : `pushlink data dir ${config.dataDir} (credentials: those of the seed file)`,
  );
  if (app.atlasBaseUrl && config.role !== 'atlas') lines.push(`pushlink source side syncs with Atlas at ${app.atlasBaseUrl.href}`);
  lines.push(`pushlink listening on ${address} (role ${config.role})`);
  process.stdout.write(lines.join('\n') + '\n');
}
