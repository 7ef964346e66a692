import path from 'node:path';
import { Option } from 'commander';
import { SOURCE_DEFAULT_DATA_DIR } from '../config.js';
import { parseDatabaseUrl } from '../configValues.js';
import { ConfigError } from '../configError.js';
import type { StoreLocation } from '../store/open.js';
import type { Output } from './admin.js';

// The options several command groups share, and what they mean once parsed. Each is a factory:
// commander keeps an Option on the command it was added to, so every command gets its own.

/** What `--data-dir` and `--database-url` parse to. */
export interface StoreOptions {
  dataDir: string;
  databaseUrl?: string;
}

/** What `--json` parses to. */
export interface JsonOptions {
  json?: boolean;
}

export const dataDirOption = () =>
  new Option('--data-dir <dir>', 'data directory (env PUSHLINK_DATA_DIR)').default(process.env.PUSHLINK_DATA_DIR ?? './data', './data');
export const sourceDataDirOption = () =>
  new Option('--data-dir <dir>', "the source side's data directory").default(SOURCE_DEFAULT_DATA_DIR);
export const databaseUrlOption = () =>
  new Option('--database-url <url>', 'PostgreSQL URL instead of SQLite in the data dir (env PUSHLINK_DATABASE_URL)');
export const jsonOption = () => new Option('--json', 'print JSON');

/** The store an admin command works on: the server's data dir or its PostgreSQL database. */
export const storeLocation = (o: StoreOptions): StoreLocation => ({
  dataDir: path.resolve(o.dataDir),
  databaseUrl: parseDatabaseUrl(o.databaseUrl ?? process.env.PUSHLINK_DATABASE_URL),
});

export const output = (o: JsonOptions): Output => ({ json: !!o.json });

/** `--access-list a b` and `--access-list a,b` both work. */
export const splitList = (values: string[] | undefined): string[] =>
  (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v.length > 0);

/** An option parser for a count: digits only. */
export const wholeNumber = (name: string) => (value: string) => {
  if (!/^\d+$/.test(value)) throw new ConfigError(`${name} must be a whole number, got "${value}"`);
  return Number(value);
};
