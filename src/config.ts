import path from 'node:path';
import type { FaultRule } from './domain/faults.js';
import { ATLAS_ORG_RATE_LIMIT, type RateLimitConfig } from './http/ratelimit.js';
import { ConfigError } from './configError.js';
import { integer, parseAtlasUrl, parseDatabaseUrl, parsePublicUrl, readFaultFile, resolveAtlasCa, resolveClock, resolveTls } from './configValues.js';
import type { TlsSetting } from './tls/serverTls.js';

// Server configuration: flags first, then PUSHLINK_* environment variables, then defaults;
// validated once here so nothing downstream re-checks it.

/** Which side(s) of a live-migration link this process plays. */
export type ServerRole = 'atlas' | 'source' | 'both';

/** Where the server's certificate comes from: files the operator made, or a local CA in the data dir. */

/** json: one JSON object a line; pretty: readable lines (pino-pretty); auto: pretty on a terminal. */
export type LogFormat = 'auto' | 'json' | 'pretty';

export interface ServerConfig {
  role: ServerRole;
  host: string;
  port: number;
  /** The origin (and path prefix) links in answers start with; undefined: from Host (publicOrigin.ts). */
  publicUrl: string | undefined;
  /** HTTPS when set; plain HTTP otherwise. */
  tls: TlsSetting | undefined;
  /** Serve /metrics on its own plain-HTTP listener (same host) instead of the API port. */
  metricsPort: number | undefined;
  /** Atlas side's data (and the source side's, with --role source). */
  dataDir: string;
  /** PostgreSQL connection URL; undefined = SQLite in dataDir. */
  databaseUrl?: string | undefined;
  /** With --role both: the source side's own data dir. */
  sourceDataDir: string;
  /** Source side: the Atlas side's base URL (real link-tokens carry none). */
  atlasUrl: URL | undefined;
  /** Source side: the CA certificates (PEM) to trust for an https Atlas URL (--atlas-ca). */
  atlasCa: string[] | undefined;
  /** Source side: how often every link re-pushes its inventory. */
  syncIntervalMs: number;
  /** Source side: upper bound of one call to Atlas. */
  syncTimeoutMs: number;
  rateLimit: RateLimitConfig;
  /** How long a digest nonce is fresh; after that a correct answer gets stale=true. */
  nonceTtlMs: number;
  /** Lifetime of OAuth access tokens (Atlas: one hour). */
  accessTokenTtlSeconds: number;
  bodyLimitBytes: number;
  /** How long a new cluster is CREATING before it is IDLE. Short by default: a test's watcher waits seconds. */
  clusterProvisioningMs: number;
  /** How long a deleted cluster is DELETING before it is gone. */
  clusterDeletionMs: number;
  /** How long a live-migration validation is PENDING before it settles. */
  validationMs: number;
  /** Atlas side: how long a migration stays ready for cutover before it is EXPIRED (Atlas: 120 h). */
  cutoverWindowMs: number;
  /** Source side: how often the migration host polls Atlas for its jobs and reports. */
  migrationPollMs: number;
  /** Source side: how long a migration takes from WORKING to ready for cutover. */
  migrationSyncMs: number;
  /** Source side: how long a migration takes from cutover to COMPLETE. */
  migrationCutoverMs: number;
  logLevel: string;
  logFormat: LogFormat;
  bootstrapOrgName: string;
  /** `--seed FILE`: orgs, keys and accounts to create on start instead of the random bootstrap. */
  seedFile?: string;
  /** `--dev-credentials`: bootstrap with the well-known development credentials (domain/devCredentials.ts). */
  devCredentials: boolean;
  /** The wall clock, or one tests can move (--clock controllable) or run faster (--clock-rate). */
  clock: { controllable: boolean; rate: number };
  /** Fault rules to start with (--faults FILE). */
  faults: FaultRule[];
  /** How long events are kept (--event-retention, days). */
  eventRetentionMs: number;
}

export const DEFAULT_CONFIG: ServerConfig = {
  role: 'atlas',
  host: '127.0.0.1',
  port: 8080,
  publicUrl: undefined,
  tls: undefined,
  metricsPort: undefined,
  dataDir: './data',
  sourceDataDir: './data/source',
  atlasUrl: undefined,
  atlasCa: undefined,
  syncIntervalMs: 10_000,
  syncTimeoutMs: 5_000,
  rateLimit: ATLAS_ORG_RATE_LIMIT,
  nonceTtlMs: 300_000,
  accessTokenTtlSeconds: 3600,
  bodyLimitBytes: 64 * 1024,
  clusterProvisioningMs: 5_000,
  clusterDeletionMs: 3_000,
  validationMs: 2_000,
  cutoverWindowMs: 432_000_000,
  migrationPollMs: 1_000,
  migrationSyncMs: 15_000,
  migrationCutoverMs: 5_000,
  logLevel: 'info',
  logFormat: 'auto',
  bootstrapOrgName: 'pushlink',
  devCredentials: false,
  clock: { controllable: false, rate: 1 },
  faults: [],
  eventRetentionMs: 90 * 86_400_000,
};

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const LOG_FORMATS: readonly LogFormat[] = ['auto', 'json', 'pretty'];

export interface ServeOptions {
  role?: string;
  atlasUrl?: string;
  atlasCa?: string;
  syncInterval?: string;
  syncTimeout?: string;
  host?: string;
  port?: string;
  publicUrl?: string;
  tls?: string;
  tlsCert?: string;
  tlsKey?: string;
  metricsPort?: string;
  dataDir?: string;
  databaseUrl?: string;
  rateLimit?: string;
  rateLimitCapacity?: string;
  rateLimitRefill?: string;
  rateLimitPeriod?: string;
  nonceTtl?: string;
  tokenTtl?: string;
  clusterProvisioning?: string;
  clusterDeletion?: string;
  validationDuration?: string;
  cutoverWindow?: string;
  migrationPoll?: string;
  migrationSync?: string;
  migrationCutover?: string;
  logLevel?: string;
  logFormat?: string;
  seed?: string;
  devCredentials?: boolean;
  clock?: string;
  clockRate?: string;
  faults?: string;
  eventRetention?: string;
}

export const SOURCE_DEFAULT_PORT = 8081;
export const SOURCE_DEFAULT_DATA_DIR = './data-source';

/** Builds the server config from command-line options and the environment. */
export function resolveServeConfig(options: ServeOptions, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const pick = (flag: string | undefined, envName: string): string | undefined => flag ?? env[envName] ?? undefined;
  const role = (pick(options.role, 'PUSHLINK_ROLE') ?? 'atlas') as ServerRole;
  if (!['atlas', 'source', 'both'].includes(role)) throw new ConfigError(`--role is atlas, source or both, got "${role}"`);
  const host = pick(options.host, 'PUSHLINK_HOST') ?? DEFAULT_CONFIG.host;
  const portText = pick(options.port, 'PUSHLINK_PORT');
  // The source side defaults to its own port and data dir, so both sides run side by side as is.
  const port = portText === undefined ? (role === 'source' ? SOURCE_DEFAULT_PORT : DEFAULT_CONFIG.port) : integer('--port', portText, 0, 65535);
  const dataDir = path.resolve(pick(options.dataDir, 'PUSHLINK_DATA_DIR') ?? (role === 'source' ? SOURCE_DEFAULT_DATA_DIR : DEFAULT_CONFIG.dataDir));
  const atlasUrlText = pick(options.atlasUrl, 'PUSHLINK_ATLAS_URL');
  const atlasUrl = atlasUrlText === undefined ? undefined : parseAtlasUrl(atlasUrlText);
  if (role === 'source' && !atlasUrl) throw new ConfigError('--role source needs --atlas-url (the Atlas side, e.g. http://127.0.0.1:8080)');
  const atlasCa = resolveAtlasCa(pick(options.atlasCa, 'PUSHLINK_ATLAS_CA'), atlasUrl);
  const syncIntervalText = pick(options.syncInterval, 'PUSHLINK_SYNC_INTERVAL');
  const syncTimeoutText = pick(options.syncTimeout, 'PUSHLINK_SYNC_TIMEOUT');
  const databaseUrl = parseDatabaseUrl(pick(options.databaseUrl, 'PUSHLINK_DATABASE_URL'));
  const publicUrlText = pick(options.publicUrl, 'PUSHLINK_PUBLIC_URL');

  const rateLimitText = (pick(options.rateLimit, 'PUSHLINK_RATE_LIMIT') ?? 'on').toLowerCase();
  if (rateLimitText !== 'on' && rateLimitText !== 'off') throw new ConfigError(`--rate-limit is on or off, got "${rateLimitText}"`);
  const capacityText = pick(options.rateLimitCapacity, 'PUSHLINK_RATE_LIMIT_CAPACITY');
  const refillText = pick(options.rateLimitRefill, 'PUSHLINK_RATE_LIMIT_REFILL');
  const periodText = pick(options.rateLimitPeriod, 'PUSHLINK_RATE_LIMIT_PERIOD');
  const rateLimit: RateLimitConfig = {
    enabled: rateLimitText === 'on',
    capacity: capacityText ? integer('--rate-limit-capacity', capacityText, 1, 1_000_000) : DEFAULT_CONFIG.rateLimit.capacity,
    refillAmount: refillText ? integer('--rate-limit-refill', refillText, 1, 1_000_000) : DEFAULT_CONFIG.rateLimit.refillAmount,
    refillPeriodMs: periodText
      ? integer('--rate-limit-period', periodText, 1, 86_400) * 1000
      : DEFAULT_CONFIG.rateLimit.refillPeriodMs,
  };

  const tls = resolveTls(pick(options.tls, 'PUSHLINK_TLS'), pick(options.tlsCert, 'PUSHLINK_TLS_CERT'), pick(options.tlsKey, 'PUSHLINK_TLS_KEY'));
  const metricsPortText = pick(options.metricsPort, 'PUSHLINK_METRICS_PORT');
  const metricsPort = metricsPortText === undefined ? undefined : integer('--metrics-port', metricsPortText, 0, 65535);
  if (metricsPort !== undefined && metricsPort !== 0 && metricsPort === port) throw new ConfigError('--metrics-port must differ from --port');

  const nonceTtlText = pick(options.nonceTtl, 'PUSHLINK_NONCE_TTL');
  const tokenTtlText = pick(options.tokenTtl, 'PUSHLINK_TOKEN_TTL');
  const provisioningText = pick(options.clusterProvisioning, 'PUSHLINK_CLUSTER_PROVISIONING');
  const deletionText = pick(options.clusterDeletion, 'PUSHLINK_CLUSTER_DELETION');
  const validationText = pick(options.validationDuration, 'PUSHLINK_VALIDATION_DURATION');
  const windowText = pick(options.cutoverWindow, 'PUSHLINK_CUTOVER_WINDOW');
  const pollText = pick(options.migrationPoll, 'PUSHLINK_MIGRATION_POLL');
  const syncText = pick(options.migrationSync, 'PUSHLINK_MIGRATION_SYNC');
  const cutoverText = pick(options.migrationCutover, 'PUSHLINK_MIGRATION_CUTOVER');
  const logLevel = (pick(options.logLevel, 'PUSHLINK_LOG_LEVEL') ?? DEFAULT_CONFIG.logLevel).toLowerCase();
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`--log-level is one of ${LOG_LEVELS.join(', ')}`);
  const logFormat = (pick(options.logFormat, 'PUSHLINK_LOG_FORMAT') ?? DEFAULT_CONFIG.logFormat).toLowerCase() as LogFormat;
  if (!LOG_FORMATS.includes(logFormat)) throw new ConfigError(`--log-format is one of ${LOG_FORMATS.join(', ')}`);

  const seedText = pick(options.seed, 'PUSHLINK_SEED');
  const devText = options.devCredentials ? 'true' : (env.PUSHLINK_DEV_CREDENTIALS ?? 'false').toLowerCase();
  if (!['true', 'false', '1', '0'].includes(devText)) throw new ConfigError(`PUSHLINK_DEV_CREDENTIALS is true or false, got "${devText}"`);
  const devCredentials = devText === 'true' || devText === '1';
  if (devCredentials && seedText !== undefined) throw new ConfigError('--seed and --dev-credentials exclude each other (a seed gives its own credentials)');

  const clock = resolveClock(pick(options.clock, 'PUSHLINK_CLOCK'), pick(options.clockRate, 'PUSHLINK_CLOCK_RATE'));
  const faultsFile = pick(options.faults, 'PUSHLINK_FAULTS');
  const retentionText = pick(options.eventRetention, 'PUSHLINK_EVENT_RETENTION');

  return {
    ...DEFAULT_CONFIG,
    ...(seedText !== undefined && seedText !== '' ? { seedFile: path.resolve(seedText) } : {}),
    devCredentials,
    clock,
    faults: faultsFile === undefined ? [] : readFaultFile(faultsFile),
    eventRetentionMs: retentionText ? integer('--event-retention', retentionText, 1, 3650) * 86_400_000 : DEFAULT_CONFIG.eventRetentionMs,
    role,
    host,
    port,
    publicUrl: publicUrlText === undefined ? undefined : parsePublicUrl(publicUrlText),
    tls,
    metricsPort,
    dataDir,
    databaseUrl,
    sourceDataDir: path.join(dataDir, 'source'),
    atlasUrl,
    atlasCa,
    syncIntervalMs: syncIntervalText ? integer('--sync-interval', syncIntervalText, 1, 86_400) * 1000 : DEFAULT_CONFIG.syncIntervalMs,
    syncTimeoutMs: syncTimeoutText ? integer('--sync-timeout', syncTimeoutText, 1, 600) * 1000 : DEFAULT_CONFIG.syncTimeoutMs,
    rateLimit,
    nonceTtlMs: nonceTtlText ? integer('--nonce-ttl', nonceTtlText, 1, 86_400) * 1000 : DEFAULT_CONFIG.nonceTtlMs,
    accessTokenTtlSeconds: tokenTtlText ? integer('--token-ttl', tokenTtlText, 1, 86_400) : DEFAULT_CONFIG.accessTokenTtlSeconds,
    clusterProvisioningMs: provisioningText ? integer('--cluster-provisioning', provisioningText, 0, 86_400) * 1000 : DEFAULT_CONFIG.clusterProvisioningMs,
    clusterDeletionMs: deletionText ? integer('--cluster-deletion', deletionText, 0, 86_400) * 1000 : DEFAULT_CONFIG.clusterDeletionMs,
    validationMs: validationText ? integer('--validation-duration', validationText, 0, 86_400) * 1000 : DEFAULT_CONFIG.validationMs,
    cutoverWindowMs: windowText ? integer('--cutover-window', windowText, 1, 31_536_000) * 1000 : DEFAULT_CONFIG.cutoverWindowMs,
    migrationPollMs: pollText ? integer('--migration-poll', pollText, 1, 3600) * 1000 : DEFAULT_CONFIG.migrationPollMs,
    migrationSyncMs: syncText ? integer('--migration-sync', syncText, 0, 31_536_000) * 1000 : DEFAULT_CONFIG.migrationSyncMs,
    migrationCutoverMs: cutoverText ? integer('--migration-cutover', cutoverText, 0, 31_536_000) * 1000 : DEFAULT_CONFIG.migrationCutoverMs,
    logLevel,
    logFormat,
  };
}
