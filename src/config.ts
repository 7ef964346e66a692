import path from 'node:path';
import { ATLAS_ORG_RATE_LIMIT, type RateLimitConfig } from './http/ratelimit.js';

// Server configuration: flags first, then PUSHLINK_* environment variables, then defaults;
// validated once here so nothing downstream re-checks it.

export interface ServerConfig {
  host: string;
  port: number;
  dataDir: string;
  /** PostgreSQL connection URL; undefined = SQLite in dataDir. */
  databaseUrl?: string | undefined;
  rateLimit: RateLimitConfig;
  /** How long a digest nonce is fresh; after that a correct answer gets stale=true. */
  nonceTtlMs: number;
  /** Lifetime of OAuth access tokens (Atlas: one hour). */
  accessTokenTtlSeconds: number;
  bodyLimitBytes: number;
  logLevel: string;
  bootstrapOrgName: string;
}

export const DEFAULT_CONFIG: ServerConfig = {
  host: '127.0.0.1',
  port: 8080,
  dataDir: './data',
  rateLimit: ATLAS_ORG_RATE_LIMIT,
  nonceTtlMs: 300_000,
  accessTokenTtlSeconds: 3600,
  bodyLimitBytes: 64 * 1024,
  logLevel: 'info',
  bootstrapOrgName: 'pushlink',
};

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface ServeOptions {
  host?: string;
  port?: string;
  dataDir?: string;
  databaseUrl?: string;
  rateLimit?: string;
  rateLimitCapacity?: string;
  rateLimitRefill?: string;
  rateLimitPeriod?: string;
  nonceTtl?: string;
  tokenTtl?: string;
  logLevel?: string;
}

function integer(name: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim())) throw new ConfigError(`${name} must be a whole number, got "${text}"`);
  const value = Number(text);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** A PostgreSQL URL as `pg` takes it, or undefined (use SQLite) when none is given. */
export function parseDatabaseUrl(text: string | undefined): string | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const url = text.trim();
  if (!/^postgres(ql)?:\/\//.test(url)) throw new ConfigError('--database-url must be a postgres:// or postgresql:// URL');
  return url;
}

/** Builds the server config from command-line options and the environment. */
export function resolveServeConfig(options: ServeOptions, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const pick = (flag: string | undefined, envName: string): string | undefined => flag ?? env[envName] ?? undefined;
  const host = pick(options.host, 'PUSHLINK_HOST') ?? DEFAULT_CONFIG.host;
  const portText = pick(options.port, 'PUSHLINK_PORT');
  const port = portText === undefined ? DEFAULT_CONFIG.port : integer('--port', portText, 0, 65535);
  const dataDir = path.resolve(pick(options.dataDir, 'PUSHLINK_DATA_DIR') ?? DEFAULT_CONFIG.dataDir);
  const databaseUrl = parseDatabaseUrl(pick(options.databaseUrl, 'PUSHLINK_DATABASE_URL'));

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

  const nonceTtlText = pick(options.nonceTtl, 'PUSHLINK_NONCE_TTL');
  const tokenTtlText = pick(options.tokenTtl, 'PUSHLINK_TOKEN_TTL');
  const logLevel = (pick(options.logLevel, 'PUSHLINK_LOG_LEVEL') ?? DEFAULT_CONFIG.logLevel).toLowerCase();
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`--log-level is one of ${LOG_LEVELS.join(', ')}`);

  return {
    ...DEFAULT_CONFIG,
    host,
    port,
    dataDir,
    databaseUrl,
    rateLimit,
    nonceTtlMs: nonceTtlText ? integer('--nonce-ttl', nonceTtlText, 1, 86_400) * 1000 : DEFAULT_CONFIG.nonceTtlMs,
    accessTokenTtlSeconds: tokenTtlText ? integer('--token-ttl', tokenTtlText, 1, 86_400) : DEFAULT_CONFIG.accessTokenTtlSeconds,
    logLevel,
  };
}
