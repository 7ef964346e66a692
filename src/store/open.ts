import fs from 'node:fs';
import path from 'node:path';
import { describeDatabaseUrl, holdsPushlinkSchema, PostgresStore } from './postgres.js';
import { SQLITE_FILE_NAME, SqliteStore } from './sqlite.js';
import { StoreUnavailableError, type Store } from './store.js';

/** Where the state lives: PostgreSQL when a database URL is given, else SQLite in the data dir. */
export interface StoreLocation {
  dataDir: string;
  databaseUrl?: string | undefined;
}

/** The location holds no pushlink store yet (a mistyped data dir, a database never served). */
export class NoStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoStoreError';
  }
}

/** Opens the store a location names, migrated to the current schema; creates it when there is none. */
export async function openStore(location: StoreLocation): Promise<Store> {
  if (location.databaseUrl !== undefined) return PostgresStore.open(location.databaseUrl);
  try {
    return await SqliteStore.open(location.dataDir);
  } catch (error) {
    throw explainSqliteOpenFailure(location.dataDir, error);
  }
}

/**
 * A data dir that is a file, unwritable, or holding a damaged or foreign database file is the
 * operator's to fix: said in one line that names the place, instead of a stack trace.
 */
function explainSqliteOpenFailure(dataDir: string, error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return error;
  const message = (error as Error).message;
  if (code.startsWith('SQLITE_')) {
    return new StoreUnavailableError(`cannot open the SQLite database ${path.join(dataDir, SQLITE_FILE_NAME)}: ${message} (${code})`);
  }
  if (['EEXIST', 'ENOTDIR', 'EACCES', 'EPERM', 'EROFS', 'ENOSPC'].includes(code)) {
    return new StoreUnavailableError(`cannot use the data dir ${dataDir}: ${message}`);
  }
  return error;
}

/**
 * Opens the store only when the location already holds one: commands that read or change what a
 * server keeps must not leave an empty database behind a typo and then report "nothing there".
 */
export async function openExistingStore(location: StoreLocation): Promise<Store> {
  if (location.databaseUrl === undefined) {
    if (!fs.existsSync(path.join(location.dataDir, SQLITE_FILE_NAME))) {
      throw new NoStoreError(`no pushlink database in ${location.dataDir} (check --data-dir, or start \`pushlink serve\` there first)`);
    }
  } else if (!(await holdsPushlinkSchema(location.databaseUrl))) {
    throw new NoStoreError(
      `no pushlink schema in the database ${describeDatabaseUrl(location.databaseUrl)} (check --database-url, or start \`pushlink serve\` on it first)`,
    );
  }
  return openStore(location);
}
