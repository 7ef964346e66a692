import pg from 'pg';
import type { Audit } from './events.js';
import type { GroupStore } from './groups.js';
import type { LiveMigrationStore } from './liveMigrations.js';
import { POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION } from './migrations/postgres.js';
import { asStoreError, connectionLost, LOCK_NAMESPACE, MIGRATION_LOCK, query, type PostgresAccess } from './postgres/access.js';
import { PostgresEventStore, recordEvents } from './postgres/events.js';
import { PostgresGroupStore } from './postgres/groups.js';
import { PostgresHousekeepingStore } from './postgres/housekeeping.js';
import { PostgresLinkStore } from './postgres/links.js';
import { PostgresLiveMigrationStore } from './postgres/liveMigrations.js';
import { PostgresOrgStore } from './postgres/orgs.js';
import { PostgresServiceAccountStore } from './postgres/serviceAccounts.js';
import { PostgresSourceStore } from './postgres/source.js';
import { StoreUnavailableError, type CommitObserver, type Store } from './store.js';

// PostgreSQL, for several pushlink instances behind one database. Everything that must hold
// across instances is decided by the database, never by this process: no cache of keys, accounts
// or orgs (a rotation or deletion made through one instance is seen by all at once), unique
// constraints and row locks for every race. Each multi-row change is one transaction.

const POOL_SIZE = 10;
/** Opening a connection, or waiting for a free one in the pool. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * The longest a request's statement may run, waiting for locks included (PostgreSQL's
 * statement_timeout), so a session that holds an org's row lock, or a runaway query, makes
 * requests fail with 503 instead of hanging them. Far above anything a healthy request takes (a
 * link replacement that queues behind others of its org is milliseconds), below what a client
 * waits for an answer. It also bounds the bootstrap lock wait at start. Migrations run without
 * it (see open()). No separate lock_timeout: this one already counts lock waits, and a shorter one
 * would only fail a link replacement queued behind a busy org sooner.
 */
export const STATEMENT_TIMEOUT_MS = 30_000;
/**
 * Client side, how long after the statement timeout this process still waits for an answer: a
 * statement the server cancelled answers at once, so silence this long means the network or the
 * server is gone (a blackholed route), which no server-side timeout can report.
 */
const QUERY_TIMEOUT_MARGIN_MS = 5_000;
/**
 * PostgreSQL ends a session of ours left idle inside a transaction this long, releasing its
 * locks, should this process stall or lose the network mid-transaction (its transactions never
 * wait on anything but the database).
 */
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 30_000;

// $1: the versions of the steps this code knows; `known` counts those that are applied.
const SCHEMA_VERSION = {
  name: 'schema-version',
  text: 'SELECT max(version) AS latest, count(*) FILTER (WHERE version = ANY($1::int[]))::int AS known FROM schema_migrations',
} as const;

export interface PostgresStoreOptions {
  /** STATEMENT_TIMEOUT_MS unless given (tests use a short one). */
  statementTimeoutMs?: number;
  /** The statement timeout plus a margin unless given. */
  queryTimeoutMs?: number;
}

/** The URL without its password, for messages. */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the configured PostgreSQL URL';
  }
}

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  private closed = false;
  private readonly commitObservers = new Set<CommitObserver>();

  readonly orgs: PostgresOrgStore;
  readonly serviceAccounts: PostgresServiceAccountStore;
  readonly links: PostgresLinkStore;
  readonly source: PostgresSourceStore;
  readonly housekeeping: PostgresHousekeepingStore;
  readonly groups: GroupStore;
  readonly liveMigrations: LiveMigrationStore;
  readonly events: PostgresEventStore;

  private constructor(private readonly pool: pg.Pool) {
    const access: PostgresAccess = {
      pool,
      transaction: (run, audit) => this.audited(run, audit),
      transactionAs: (run, begin, writes) => this.transaction(run, begin, writes),
      write: (statement, values) => this.write(statement, values),
      committed: (writes, started) => this.committed(writes, started),
      connect: () => this.connect(),
      isClosed: () => this.closed,
    };
    this.orgs = new PostgresOrgStore(access);
    this.serviceAccounts = new PostgresServiceAccountStore(access);
    this.links = new PostgresLinkStore(access);
    this.source = new PostgresSourceStore(access);
    this.housekeeping = new PostgresHousekeepingStore(access);
    this.groups = new PostgresGroupStore(access);
    this.liveMigrations = new PostgresLiveMigrationStore(access);
    this.events = new PostgresEventStore(access);
  }

  /**
   * Connects, migrates to the current schema (once, even with several instances starting at once).
   * Migrations run on a connection of their own without the request timeouts: building an index on
   * a large table may take longer, and waiting for another instance's migration must not fail.
   */
  static async open(databaseUrl: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const migrator = await connectClient(databaseUrl);
    try {
      await migrate(migrator);
    } finally {
      await migrator.end();
    }
    const statementTimeoutMs = options.statementTimeoutMs ?? STATEMENT_TIMEOUT_MS;
    const pool = new pg.Pool({
      connectionString: databaseUrl,
      max: POOL_SIZE,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      application_name: 'pushlink',
      statement_timeout: statementTimeoutMs,
      query_timeout: options.queryTimeoutMs ?? statementTimeoutMs + QUERY_TIMEOUT_MARGIN_MS,
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
      // Notices a peer that vanished on an idle connection, so it is not handed out.
      keepAlive: true,
    });
    // An idle connection that breaks (a server restart) is dropped by the pool; the next query
    // opens a new one. Without a listener the error would end the process.
    pool.on('error', () => {});
    return new PostgresStore(pool);
  }

  /** A connection of the pool for a transaction; a pool that cannot give one in time is unavailable. */
  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (error) {
      throw asStoreError(error);
    }
  }

  /** A write in its own transaction (one statement), reported to commit observers. */
  private async write<R extends pg.QueryResultRow>(statement: { name: string; text: string }, values: unknown[]): Promise<pg.QueryResult<R>> {
    const started = performance.now();
    const result = await query<R>(this.pool, statement, values);
    this.committed(1, started);
    return result;
  }

  /** Observers are metrics: one that throws must not turn a committed write into a failure. */
  private committed(writes: number, started: number): void {
    const ms = performance.now() - started;
    for (const observer of this.commitObservers) {
      try {
        observer(writes, ms);
      } catch {
        // Ignored: the transaction is committed whatever an observer does.
      }
    }
  }

  observeCommits(observer: CommitObserver): () => void {
    this.commitObservers.add(observer);
    return () => this.commitObservers.delete(observer);
  }

  /** `run` and the events `audit` computes from its result, in one transaction. */
  private audited<T>(run: (client: pg.PoolClient) => Promise<T>, audit: Audit<T> | undefined): Promise<T> {
    return this.transaction(async (client) => {
      const result = await run(client);
      if (audit) await recordEvents(client, audit(result));
      return result;
    });
  }

  /** `writes`: how many writes the transaction holds, as commit observers are told; 0 for a read, which they are not told of. */
  private async transaction<T>(run: (client: pg.PoolClient) => Promise<T>, begin = 'BEGIN', writes = 1): Promise<T> {
    const client = await this.connect();
    let broken: Error | undefined;
    let result: T;
    const started = performance.now();
    try {
      await client.query(begin);
      result = await run(client);
      await client.query('COMMIT');
    } catch (error) {
      // A connection that cannot roll back, or that lost the server, is closed (release(broken)),
      // which ends the transaction; a ROLLBACK on a silent one would only wait its own timeout.
      if (connectionLost(error)) broken = error as Error;
      else await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw asStoreError(error);
    } finally {
      client.release(broken);
    }
    // Only after COMMIT, outside the try: nothing here can roll back or fail a committed transaction.
    if (writes > 0) this.committed(writes, started);
    return result;
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('the store is closed');
    const { rows } = await query<{ latest: number; known: number }>(this.pool, SCHEMA_VERSION, [POSTGRES_MIGRATIONS.map((m) => m.version)]);
    // Ready on a schema a newer release extended: steps are additive by policy (README, Several
    // instances), so during a rolling upgrade the first new instance's migration leaves the old
    // ones in service. Unready only when a step this code needs is missing (not migrated yet).
    if (rows[0]!.known !== POSTGRES_MIGRATIONS.length) {
      throw new Error(
        `database schema is at version ${rows[0]!.latest} (${rows[0]!.known} of the ${POSTGRES_MIGRATIONS.length} steps this code needs), expected version ${POSTGRES_SCHEMA_VERSION} or later`,
      );
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/** A connection of its own (migrations, schema checks), or a StoreUnavailableError naming the server. */
async function connectClient(databaseUrl: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, application_name: 'pushlink' });
  // A connection lost between statements is reported by the next one; without a listener the
  // client's error event would end the process.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    throw new StoreUnavailableError(`cannot connect to PostgreSQL at ${describeDatabaseUrl(databaseUrl)}: ${(error as Error).message}`);
  }
  return client;
}

/** Whether the database holds a pushlink schema, without creating or migrating anything. */
export async function holdsPushlinkSchema(databaseUrl: string): Promise<boolean> {
  const client = await connectClient(databaseUrl);
  try {
    const { rows } = await client.query<{ present: boolean }>("SELECT to_regclass('schema_migrations') IS NOT NULL AS present");
    return rows[0]!.present;
  } finally {
    await client.end();
  }
}

/**
 * Applies missing schema steps in one transaction under an advisory lock: instances starting at
 * once migrate one after the other, and the later ones find nothing left to do.
 */
async function migrate(client: pg.ClientBase): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL)');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => r.version));
    for (const step of POSTGRES_MIGRATIONS) {
      if (applied.has(step.version)) continue;
      await client.query(step.sql);
      await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, now())', [step.version]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
