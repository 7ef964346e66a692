import type { EventStore } from './events.js';
import type { GroupStore } from './groups.js';
import type { HousekeepingStore } from './housekeeping.js';
import type { LinkStore } from './links.js';
import type { LiveMigrationStore } from './liveMigrations.js';
import type { OrgStore } from './orgs.js';
import type { ServiceAccountStore } from './serviceAccounts.js';
import type { SourceStore } from './source.js';

// The one persistence interface, composed of one port per aggregate (each in its own module, with
// its records and what it promises). Every back end (SQLite embedded, PostgreSQL scale-out)
// implements each port in a file of its own (store/sqlite/, store/postgres/) and passes the same
// contract tests (test/store/<aggregate>.test.ts, run on both). Methods are async even where a
// back end could answer synchronously, so callers never depend on which one is plugged in.

/** Called after each committed write transaction with how many writes it held and how long it took. */
export type CommitObserver = (batchSize: number, commitMs: number) => void;

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Organizations and their API keys. */
  readonly orgs: OrgStore;
  /** Service accounts and revoked access tokens. */
  readonly serviceAccounts: ServiceAccountStore;
  /** The Atlas side of live-migration links: the link keys, their retirements, the pushed inventories. */
  readonly links: LinkStore;
  /** The source side: projects, deployments, migration hosts, its links and their withdrawals. */
  readonly source: SourceStore;
  /** Digest nonce uses, rate limits, server secrets, pruning. */
  readonly housekeeping: HousekeepingStore;
  /** Atlas projects and their clusters. */
  readonly groups: GroupStore;
  /** The live-migration jobs of projects. */
  readonly liveMigrations: LiveMigrationStore;
  /** The audit trail (Atlas's Events API). Audited writes take an `Audit` and write its events in their transaction. */
  readonly events: EventStore;

  /**
   * Cheap round trip that proves the store answers and its schema has every step this code needs
   * (a newer schema is fine: steps are additive); throws otherwise.
   */
  ping(): Promise<void>;

  /**
   * Optional: calls `listener` once when the store stops serving for good (SQLite after a failed
   * fsync), with the StoreUnavailableError every operation then fails with; at once when it
   * already has. Returns a function that stops the call. Back ends that never stop may leave it out.
   */
  observeFailure?(listener: (failure: StoreUnavailableError) => void): () => void;

  /**
   * Optional: reports each committed write transaction (for metrics). Returns a function that
   * stops the reports. Back ends without group commit may leave it out.
   */
  observeCommits?(observer: CommitObserver): () => void;

  /** Flushes pending writes and releases the database. */
  close(): Promise<void>;
}

/**
 * Thrown when the store cannot serve: its database does not answer (in time), or the store stopped
 * for good (SQLite after a failed fsync). The HTTP layer answers 503.
 */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/** Thrown by a back end when a unique constraint refuses a write (e.g. a public key collision). */
export class UniqueViolationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UniqueViolationError';
  }
}
