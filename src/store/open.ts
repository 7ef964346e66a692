import { SqliteStore } from './sqlite.js';
import type { Store } from './store.js';

/**
 * Where a store lives. Today a data dir (SQLite in `<dataDir>/pushlink.db`); a database URL for
 * the PostgreSQL back end joins it here, and every command that takes a StoreLocation gets it.
 */
export interface StoreLocation {
  dataDir: string;
}

/** The store a location names, migrated to the current schema. */
export async function openStore(location: StoreLocation): Promise<Store> {
  return SqliteStore.open(location.dataDir);
}
