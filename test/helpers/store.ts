import { PostgresStore } from '../../src/store/postgres.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/store.js';
import { createTestDatabase } from './postgres.js';

// The back end the integration suite runs against: PUSHLINK_TEST_STORE=postgres or sqlite (the
// default). `npm test` runs the suite once for each (test/run.ts).

export type TestStoreKind = 'sqlite' | 'postgres';

function testStoreKind(): TestStoreKind {
  const kind = process.env.PUSHLINK_TEST_STORE ?? 'sqlite';
  if (kind !== 'sqlite' && kind !== 'postgres') throw new Error(`PUSHLINK_TEST_STORE is sqlite or postgres, got "${kind}"`);
  return kind;
}

export const TEST_STORE: TestStoreKind = testStoreKind();

/** A fresh, empty store of the suite's back end; `dispose` closes it and removes its data. */
export async function openTestStore(dataDir: string): Promise<{ store: Store; dispose(): Promise<void> }> {
  if (TEST_STORE === 'sqlite') {
    const store = SqliteStore.open(dataDir);
    return { store, dispose: () => store.close() };
  }
  const database = await createTestDatabase();
  const store = await PostgresStore.open(database.url);
  return {
    store,
    async dispose() {
      await store.close();
      await database.drop();
    },
  };
}

/**
 * Environment for `pushlink` processes that should use a fresh store of the suite's back end
 * (with SQLite: their --data-dir; never a PUSHLINK_DATABASE_URL inherited from the developer's
 * shell), and the database URL for opening that store from the test (undefined with SQLite).
 */
export async function testStoreEnv(): Promise<{ env: NodeJS.ProcessEnv; databaseUrl: string | undefined; dispose(): Promise<void> }> {
  if (TEST_STORE === 'sqlite') return { env: { PUSHLINK_DATABASE_URL: '' }, databaseUrl: undefined, dispose: async () => {} };
  const database = await createTestDatabase();
  return { env: { PUSHLINK_DATABASE_URL: database.url }, databaseUrl: database.url, dispose: () => database.drop() };
}
