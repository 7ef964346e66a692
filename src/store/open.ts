import { SqliteStore } from './sqlite.js';
import type { Store } from './store.js';

/** The store a data dir names: SQLite in `<dataDir>/pushlink.db`, migrated to the current schema. */
export async function openStore(options: { dataDir: string }): Promise<Store> {
  return SqliteStore.open(options.dataDir);
}
