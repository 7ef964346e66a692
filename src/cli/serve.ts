import path from 'node:path';
import { buildApp, buildMetricsApp } from '../app.js';
import type { ServerConfig } from '../config.js';
import { bootstrapIfEmpty } from '../domain/bootstrap.js';
import { loggerOptions } from '../observability/logging.js';
import { Metrics } from '../observability/metrics.js';
import { openStore } from '../store/open.js';
import { loadServerTls, trustInstructions } from '../tls/serverTls.js';
import { BOOTSTRAP_FILE_NAME, writeBootstrapFile } from './bootstrapFile.js';

const PRUNE_INTERVAL_MS = 60_000;

/** Runs the server until SIGINT/SIGTERM, then drains requests and closes the store. */
export async function serve(config: ServerConfig): Promise<void> {
  // Certificates first: a bad --tls-cert is a startup error before anything else is touched.
  const tls = config.tls && (await loadServerTls(config.tls, config.dataDir));
  const store = await openStore(config);
  const metrics = new Metrics();
  const app = await buildApp(config, store, {
    logger: await loggerOptions(config.logLevel, config.logFormat),
    https: tls && { cert: tls.cert, key: tls.key },
    metrics,
    serveMetrics: config.metricsPort === undefined,
  });
  const metricsApp = config.metricsPort === undefined ? undefined : await buildMetricsApp(metrics);
  const log = app.log;

  const selfSigned = tls?.selfSigned;
  if (selfSigned?.createdCa) log.info({ file: selfSigned.files.caCert }, 'created a local CA for --tls self-signed');
  else if (selfSigned?.issuedServerCertificate) log.info({ file: selfSigned.files.serverCert }, 'issued a new server certificate from the local CA');

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
      await Promise.all([app.close(), metricsApp?.close()]);
      await store.close();
      process.exit(0);
    } catch (error) {
      log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  // Plain lines for people and scripts (with --port 0 they are the only way to learn the ports).
  // "listening" comes last, so whoever waits for it has read the others.
  const lines: string[] = [];
  if (metricsApp) lines.push(`pushlink metrics on ${await metricsApp.listen({ host: config.host, port: config.metricsPort })}/metrics`);
  if (selfSigned) lines.push(...trustInstructions(selfSigned.files.caCert));
  lines.push(`pushlink data dir ${config.dataDir} (credentials of the bootstrap org: ${bootstrapFile})`);
  lines.push(`pushlink listening on ${await app.listen({ host: config.host, port: config.port })}`);
  process.stdout.write(lines.join('\n') + '\n');
}
