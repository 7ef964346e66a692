import type { Database, Statement } from 'better-sqlite3';
import type { Audit, AuditChange } from './events.js';
import { WalFile } from './sqlite/walFile.js';
import { StoreUnavailableError, UniqueViolationError, type CommitObserver } from './store.js';

// Group commit for SQLite. Making a commit durable (an fsync of the WAL) is what a write costs
// most, so:
//  - the writes that arrive in one turn of the event loop (or during the previous fsync) run in
//    one transaction; when one fails, the batch runs again with a SAVEPOINT per write, so the
//    failing write rolls back alone and its caller gets the error;
//  - the COMMIT itself only writes the WAL (synchronous=NORMAL), and the WAL is then fsynced on
//    libuv's thread pool while the event loop goes on serving requests; commits that finish while
//    an fsync runs share the next one;
//  - no write's promise resolves before an fsync that started after its COMMIT has returned.
// An acknowledged write therefore survives a killed process and a power cut, exactly as with
// synchronous=FULL, without the event loop ever waiting for the disk.
//
// A failed fsync is final, as PostgreSQL treats it: the kernel may already have dropped the dirty
// pages it could not write ("fsyncgate"), so a later fsync that succeeds proves nothing, and the
// writes of that batch are committed (other reads see them) but perhaps not on disk. The committer
// then refuses every write, and its owner (sqlite.ts) every read, until pushlink is restarted and
// SQLite recovers from what the disk really holds.

interface PendingWrite {
  /** An aggregate's synchronous write (store/sqlite/*.ts). */
  run: () => unknown;
  /** The write's events, computed from its result and written in its transaction (store/events.ts). */
  audit?: Audit<never> | undefined;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

interface CommittedWrite {
  write: PendingWrite;
  outcome: Outcome;
}

export interface GroupCommitStats {
  commits: number;
  writes: number;
  fsyncs: number;
  lastBatchSize: number;
  lastCommitMs: number;
}

function asStoreError(error: unknown): unknown {
  const code = (error as { code?: string } | null)?.code;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new UniqueViolationError((error as Error).message);
  }
  // Another connection (an admin command on the same data dir) kept the write lock past
  // busy_timeout: the request is fine, the store cannot take it now (503, like a PostgreSQL timeout).
  if (code?.startsWith('SQLITE_BUSY')) {
    return new StoreUnavailableError(`the database stayed locked by another connection (${(error as Error).message})`, { cause: error });
  }
  return error;
}

export class GroupCommitter {
  private pending: PendingWrite[] = [];
  private scheduled = false;
  /** Committed to the WAL, waiting for the next fsync. */
  private awaitingSync: CommittedWrite[] = [];
  private syncing: Promise<void> | null = null;
  private closed = false;
  /** Set once the database can no longer be trusted; every write is refused with it. */
  private failure: StoreUnavailableError | null = null;
  private readonly begin: Statement;
  private readonly commit: Statement;
  private readonly rollback: Statement;
  private readonly savepoint: Statement;
  private readonly release: Statement;
  private readonly rollbackToSavepoint: Statement;
  private readonly observers: CommitObserver[] = [];
  private recordEvents: ((change: AuditChange) => void) | undefined;
  private readonly wal: WalFile;
  readonly stats: GroupCommitStats = { commits: 0, writes: 0, fsyncs: 0, lastBatchSize: 0, lastCommitMs: 0 };

  constructor(
    private readonly db: Database,
    walFile: string,
    /** Told once, when the committer fails for good (see fail()). */
    private readonly onFailure: (failure: StoreUnavailableError) => void = () => {},
  ) {
    this.wal = new WalFile(walFile);
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT write');
    this.release = db.prepare('RELEASE write');
    this.rollbackToSavepoint = db.prepare('ROLLBACK TO write');
  }

  /** Calls `observer` after every committed batch; the returned function stops it. */
  onCommit(observer: CommitObserver): () => void {
    this.observers.push(observer);
    return () => {
      const index = this.observers.indexOf(observer);
      if (index >= 0) this.observers.splice(index, 1);
    };
  }

  /** Where audited writes' events go (the store's event table), inside the write's transaction. */
  recordEventsWith(recorder: (change: AuditChange) => void): void {
    this.recordEvents = recorder;
  }

  /**
   * Runs `run` (synchronous statements of an aggregate's own, store/sqlite/*.ts) as one write of
   * the next batch: in its transaction, acknowledged only after its fsync. With `audit`, the events
   * it computes from `run`'s result are written right after it, in the same transaction.
   */
  transact<T>(run: () => T, audit?: Audit<T>): Promise<T> {
    return this.enqueue({ run, audit: audit as Audit<never> | undefined }) as Promise<T>;
  }

  private enqueue(write: Pick<PendingWrite, 'run' | 'audit'>): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return new Promise((resolve, reject) => {
      this.pending.push({ ...write, resolve, reject });
      // While an fsync runs, writes gather for the batch that follows it (one commit, one fsync).
      if (!this.scheduled && !this.syncing) {
        this.scheduled = true;
        setImmediate(() => this.runBatch());
      }
    });
  }

  private runBatch(): void {
    this.scheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    if (this.failure) {
      for (const write of batch) write.reject(this.failure);
      return;
    }
    const started = performance.now();
    let committed: CommittedWrite[];
    try {
      committed = this.runOptimistically(batch) ?? this.runWithSavepoints(batch);
    } catch (error) {
      // The transaction itself failed (I/O error, disk full, lock timeout): nothing in it is durable.
      const refusal = this.rollBackFailedTransaction(error);
      for (const write of batch) write.reject(refusal);
      return;
    }
    const commitMs = performance.now() - started;
    this.stats.commits += 1;
    this.stats.writes += batch.length;
    this.stats.lastBatchSize = batch.length;
    this.stats.lastCommitMs = commitMs;
    this.awaitingSync.push(...committed);
    this.tellObservers(batch.length, commitMs);
    void this.syncWal();
  }

  /**
   * Ends a transaction that failed, returning what its writes are refused with. A connection that
   * stays inside it (ROLLBACK failed too) holds the write lock and state nobody can vouch for:
   * the committer fails for good rather than run the next batch inside it.
   */
  private rollBackFailedTransaction(error: unknown): unknown {
    let rollbackError: unknown;
    if (this.db.inTransaction) {
      try {
        this.rollback.run();
      } catch (caught) {
        rollbackError = caught;
      }
    }
    if (this.db.inTransaction) {
      const why = (rollbackError as Error | undefined)?.message ?? (error as Error).message;
      return this.fail(`a failed transaction could not be rolled back (${why})`, rollbackError ?? error);
    }
    return asStoreError(error);
  }

  /** Observers are metrics: one that throws must not change what any write returns. */
  private tellObservers(batchSize: number, commitMs: number): void {
    for (const observer of this.observers) {
      try {
        observer(batchSize, commitMs);
      } catch {
        // Ignored: the batch is committed whatever an observer does.
      }
    }
  }

  private apply(write: PendingWrite): unknown {
    const value = write.run();
    if (write.audit) {
      if (!this.recordEvents) throw new Error('an audited write needs the event recorder');
      this.recordEvents((write.audit as Audit<unknown>)(value));
    }
    return value;
  }

  /**
   * The common case: every write succeeds, so none needs a savepoint. On the first failure the
   * whole transaction rolls back and undefined says "run it again with savepoints".
   */
  private runOptimistically(batch: PendingWrite[]): CommittedWrite[] | undefined {
    const committed: CommittedWrite[] = [];
    this.begin.run();
    for (const write of batch) {
      try {
        committed.push({ write, outcome: { ok: true, value: this.apply(write) } });
      } catch {
        this.rollback.run();
        return undefined;
      }
    }
    this.commit.run();
    return committed;
  }

  /** Each write in its own SAVEPOINT: a failing write rolls back alone and its caller gets the error. */
  private runWithSavepoints(batch: PendingWrite[]): CommittedWrite[] {
    const committed: CommittedWrite[] = [];
    this.begin.run();
    for (const write of batch) {
      this.savepoint.run();
      try {
        const value = this.apply(write);
        this.release.run();
        committed.push({ write, outcome: { ok: true, value } });
      } catch (error) {
        this.rollbackToSavepoint.run();
        this.release.run();
        committed.push({ write, outcome: { ok: false, error: asStoreError(error) } });
      }
    }
    this.commit.run();
    return committed;
  }

  /** Runs fsyncs back to back while committed writes wait for one; each settles what preceded it. */
  private syncWal(): Promise<void> {
    if (this.syncing) return this.syncing;
    this.syncing = (async () => {
      while (this.awaitingSync.length > 0 && !this.failure) {
        const covered = this.awaitingSync;
        this.awaitingSync = [];
        try {
          await this.wal.sync();
        } catch (error) {
          const failure = this.fail(`the data could not be synced to disk (fsync failed: ${(error as Error).message})`, error);
          for (const { write } of covered) write.reject(failure);
          break;
        }
        this.stats.fsyncs += 1;
        for (const { write, outcome } of covered) {
          if (outcome.ok) write.resolve(outcome.value);
          else write.reject(outcome.error);
        }
      }
      this.syncing = null;
      // Writes that gathered during the fsync; runBatch settles each of them and never throws.
      this.runBatch();
    })();
    return this.syncing;
  }

  /**
   * Stops the committer for good: every write waiting (to run, or for its fsync) and every later
   * one is refused with a StoreUnavailableError saying why and that pushlink must be restarted.
   */
  private fail(why: string, cause: unknown): StoreUnavailableError {
    if (this.failure) return this.failure;
    const failure = new StoreUnavailableError(`${why}; pushlink must be restarted`, { cause });
    this.failure = failure;
    const waiting = [...this.pending, ...this.awaitingSync.map(({ write }) => write)];
    this.pending = [];
    this.awaitingSync = [];
    for (const write of waiting) write.reject(failure);
    try {
      this.onFailure(failure);
    } catch {
      // Whoever is told cannot undo the failure; the writes are settled either way.
    }
    return failure;
  }

  /** Commits and syncs everything accepted so far; later writes are refused. */
  async close(): Promise<void> {
    this.runBatch();
    this.closed = true;
    await this.syncWal();
    await this.wal.close();
  }
}
