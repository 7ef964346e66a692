import crypto from 'node:crypto';
import pg from 'pg';

// PostgreSQL for tests: the server named by PUSHLINK_TEST_DATABASE_URL (its database is only used
// to create and drop others), and a fresh database per test store, dropped afterwards, so runs and
// tests never see each other's data.

export const TEST_DATABASE_URL = process.env.PUSHLINK_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function withAdminClient<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

let unavailable: Promise<string | undefined> | undefined;

/** Why PostgreSQL tests cannot run here, or undefined when the test server answers. */
export function postgresUnavailableReason(): Promise<string | undefined> {
  unavailable ??= withAdminClient(async (client) => {
    await client.query('SELECT 1');
    return undefined;
  }).catch((error: Error) => `no PostgreSQL server answers at ${TEST_DATABASE_URL} (PUSHLINK_TEST_DATABASE_URL): ${error.message}`);
  return unavailable;
}

export interface TestDatabase {
  url: string;
  /** Drops the database, closing whatever connections are still open to it. */
  drop(): Promise<void>;
}

/** A new, empty database on the test server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `pushlink_t_${crypto.randomBytes(6).toString('hex')}`;
  await withAdminClient((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** Every row of every table in the database's public schema, as text (to search it for secrets). */
export async function dumpDatabase(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ name: string }>(
      "SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    );
    const parts: string[] = [];
    for (const { name } of tables) {
      const { rows } = await client.query<{ row: string }>(`SELECT t::text AS row FROM ${name} t`);
      parts.push(`${name}:`, ...rows.map((r) => r.row));
    }
    return parts.join('\n');
  } finally {
    await client.end();
  }
}
