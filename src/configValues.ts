import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './configError.js';
import { MAX_CLOCK_RATE } from './domain/clock.js';
import { FaultRuleError, parseFaultFile, type FaultRule } from './domain/faults.js';
import { newObjectId } from './domain/ids.js';
import type { TlsSetting } from './tls/serverTls.js';
import { readTrustedCa, TrustedCaError } from './tls/trust.js';

// One setting each: how a flag's (or PUSHLINK_* variable's) text becomes a value, or the
// ConfigError that names the flag. config.ts decides which flag, variable and default apply.

export function parseAtlasUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`--atlas-url must be a URL, got "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError('--atlas-url must be http:// or https://');
  return url;
}

/**
 * `--public-url`: where clients reach this server (a proxy's URL), as scheme, authority and an
 * optional path prefix, kept without a trailing slash so links append `/api/…` to it.
 */
export function parsePublicUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`--public-url must be a URL, got "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError('--public-url must be http:// or https://');
  if (url.username || url.password || url.search || url.hash) {
    throw new ConfigError('--public-url takes scheme, host, port and path only (no credentials, query or fragment)');
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** `--atlas-ca FILE`: read and checked now, so a bad file is a startup error, not a failed sync. */
export function resolveAtlasCa(file: string | undefined, atlasUrl: URL | undefined): string[] | undefined {
  if (file === undefined) return undefined;
  if (atlasUrl?.protocol !== 'https:') throw new ConfigError('--atlas-ca goes with an https:// --atlas-url');
  try {
    return readTrustedCa(path.resolve(file));
  } catch (error) {
    if (error instanceof TrustedCaError) throw new ConfigError(`--atlas-ca: ${error.message}`);
    throw error;
  }
}

/** A whole number of `name` between min and max (inclusive). */
export function integer(name: string, text: string, min: number, max: number): number {
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

/** `--clock wall|controllable`; `--clock-rate N` runs a controllable clock N times as fast. */
export function resolveClock(mode: string | undefined, rateText: string | undefined): { controllable: boolean; rate: number } {
  const kind = (mode ?? (rateText !== undefined ? 'controllable' : 'wall')).toLowerCase();
  if (kind !== 'wall' && kind !== 'controllable') throw new ConfigError(`--clock is wall or controllable, got "${mode}"`);
  if (rateText === undefined) return { controllable: kind === 'controllable', rate: 1 };
  if (kind === 'wall') throw new ConfigError('--clock-rate needs a controllable clock (leave out --clock wall)');
  const rate = Number(rateText);
  if (!/^\d+(\.\d+)?$/.test(rateText.trim()) || !(rate > 0 && rate <= MAX_CLOCK_RATE)) {
    throw new ConfigError(`--clock-rate must be a number above 0 and at most ${MAX_CLOCK_RATE}, got "${rateText}"`);
  }
  return { controllable: true, rate };
}

/** `--faults FILE`: YAML or JSON, read and checked at start, so a bad rule is a startup error naming its field. */
export function readFaultFile(file: string): FaultRule[] {
  let document: unknown;
  try {
    document = parseYaml(fs.readFileSync(path.resolve(file), 'utf8'));
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new ConfigError(`--faults ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message.split('\n', 1)[0]}`);
  }
  try {
    return parseFaultFile(document, () => newObjectId());
  } catch (error) {
    if (error instanceof FaultRuleError) throw new ConfigError(`--faults ${file}: ${error.message}`);
    throw error;
  }
}

/** `--tls self-signed`, or `--tls-cert` with `--tls-key`; neither means plain HTTP. */
export function resolveTls(mode: string | undefined, certFile: string | undefined, keyFile: string | undefined): TlsSetting | undefined {
  if (mode !== undefined) {
    if (mode.toLowerCase() !== 'self-signed') throw new ConfigError(`--tls takes self-signed, got "${mode}" (for your own certificate use --tls-cert and --tls-key)`);
    if (certFile !== undefined || keyFile !== undefined) throw new ConfigError('--tls self-signed and --tls-cert/--tls-key exclude each other');
    return { kind: 'self-signed' };
  }
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) throw new ConfigError('--tls-cert and --tls-key go together');
  return { kind: 'files', certFile: path.resolve(certFile), keyFile: path.resolve(keyFile) };
}
