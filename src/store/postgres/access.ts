import type pg from 'pg';
import type { Audit } from '../events.js';
import { StoreUnavailableError, UniqueViolationError } from '../store.js';

// How the PostgreSQL aggregates (store/postgres/*.ts) reach the database: what the store hands
// each one, and the one query helper, which turns the driver's errors into the store's.

/** Advisory lock keys, (namespace, key): "push" and a number per purpose. */
export const LOCK_NAMESPACE = 0x70757368;
export const MIGRATION_LOCK = 1;
export const BOOTSTRAP_LOCK = 2;

/** What the store hands this aggregate: its pool, and its transaction (commit observers, 503 mapping). */
export interface PostgresAccess {
  pool: pg.Pool;
  /** With `audit`, the events it computes from `run`'s result are written in the same transaction. */
  transaction<T>(run: (client: pg.PoolClient) => Promise<T>, audit?: Audit<T>): Promise<T>;
  /**
   * A transaction with its own BEGIN (an isolation level) and the number of writes commit
   * observers are told it held (0: a read, which they are not told of).
   */
  transactionAs<T>(run: (client: pg.PoolClient) => Promise<T>, begin: string, writes: number): Promise<T>;
  /** One statement in its own transaction (no BEGIN needed), reported to commit observers. */
  write<R extends pg.QueryResultRow>(statement: { name: string; text: string }, values: unknown[]): Promise<pg.QueryResult<R>>;
  /** Tells commit observers of a write committed on the pool without these helpers. */
  committed(writes: number, started: number): void;
  /** A connection of the pool of its own (a session lock); StoreUnavailableError when none comes in time. */
  connect(): Promise<pg.PoolClient>;
  /** Whether close() was called (long jobs, pruning, stop quietly). */
  isClosed(): boolean;
}

export type Queryable = pg.Pool | pg.PoolClient;

/**
 * SQLSTATEs that say the database cannot serve now, not that the request is wrong: a statement or
 * lock wait that timed out, a connection lost or refused, a server shutting down or out of
 * resources (class 53). They answer 503.
 */
const UNAVAILABLE_SQLSTATE = /^(08...|53...|57014|55P03|25P03|57P0[1235])$/;
/** Errors of the client library and of Node's sockets with the same meaning, which carry no SQLSTATE. */
const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const CONNECTION_ERROR_MESSAGE = /^(Query read timeout|Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

/** The connection that saw `error` cannot be trusted to answer again (no SQLSTATE came back). */
export function connectionLost(error: unknown): boolean {
  if (error instanceof StoreUnavailableError) return connectionLost(error.cause);
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return true;
  return error instanceof Error && typeof code !== 'string' && CONNECTION_ERROR_MESSAGE.test(error.message);
}

export function asStoreError(error: unknown): unknown {
  if (error instanceof StoreUnavailableError || error instanceof UniqueViolationError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === '23505') return new UniqueViolationError((error as Error).message);
  if ((typeof code === 'string' && UNAVAILABLE_SQLSTATE.test(code)) || connectionLost(error)) {
    return new StoreUnavailableError(`PostgreSQL did not answer: ${(error as Error).message}`, { cause: error });
  }
  return error;
}

/** `statement`: one of SQL above, or an aggregate's own (store/postgres/*.ts): a name unique across the store, and its text. */
export async function query<R extends pg.QueryResultRow>(db: Queryable, statement: { name: string; text: string }, values: unknown[] = []): Promise<pg.QueryResult<R>> {
  try {
    return await db.query<R>({ name: statement.name, text: statement.text, values });
  } catch (error) {
    throw asStoreError(error);
  }
}

