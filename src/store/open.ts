import { PostgresStore } from './postgres.js';
import { SqliteStore } from './sqlite.js';
import type { Store } from './store.js';

/** Where the state lives: PostgreSQL when a database URL is given, else SQLite in the data dir. */
export interface StoreLocation {
  dataDir: string;
  databaseUrl?: string | undefined;
}

/** Opens the store a location names, migrated to the current schema. */
export async function openStore(location: StoreLocation): Promise<Store> {
  if (location.databaseUrl !== undefined) return PostgresStore.open(location.databaseUrl);
  return SqliteStore.open(location.dataDir);
}
