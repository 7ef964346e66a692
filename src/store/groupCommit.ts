import type { Database, Statement } from 'better-sqlite3';

// Group commit for SQLite: one durable COMMIT (one WAL fsync) is the cost that dominates a write,
// so the writes that arrive in the same turn of the event loop share one transaction. Each write
// still runs in its own SAVEPOINT, so one failing write rolls back alone and its caller gets the
// error, while the others commit. No promise resolves before the COMMIT has returned: an
// acknowledged write is on disk.

interface PendingWrite {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export interface GroupCommitStats {
  commits: number;
  writes: number;
  lastBatchSize: number;
  lastCommitMs: number;
}

export type CommitObserver = (batchSize: number, commitMs: number) => void;

export class GroupCommitter {
  private pending: PendingWrite[] = [];
  private scheduled = false;
  private closed = false;
  private readonly begin: Statement;
  private readonly commit: Statement;
  private readonly rollback: Statement;
  private readonly savepoint: Statement;
  private readonly release: Statement;
  private readonly rollbackToSavepoint: Statement;
  private observers: CommitObserver[] = [];
  readonly stats: GroupCommitStats = { commits: 0, writes: 0, lastBatchSize: 0, lastCommitMs: 0 };

  constructor(private readonly db: Database) {
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT write');
    this.release = db.prepare('RELEASE write');
    this.rollbackToSavepoint = db.prepare('ROLLBACK TO write');
  }

  onCommit(observer: CommitObserver): void {
    this.observers.push(observer);
  }

  write<T>(run: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ run, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits whatever is queued now; used on close so no accepted write is dropped. */
  flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    const started = performance.now();
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      this.begin.run();
      for (const write of batch) {
        this.savepoint.run();
        try {
          const value = write.run();
          this.release.run();
          outcomes.push({ ok: true, value });
        } catch (error) {
          this.rollbackToSavepoint.run();
          this.release.run();
          outcomes.push({ ok: false, error });
        }
      }
      this.commit.run();
    } catch (error) {
      // The transaction itself failed (disk full, I/O error, lock timeout): nothing in it is durable.
      if (this.db.inTransaction) this.rollback.run();
      for (const write of batch) write.reject(error);
      return;
    }
    const commitMs = performance.now() - started;
    this.stats.commits += 1;
    this.stats.writes += batch.length;
    this.stats.lastBatchSize = batch.length;
    this.stats.lastCommitMs = commitMs;
    for (const observer of this.observers) observer(batch.length, commitMs);
    batch.forEach((write, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) write.resolve(outcome.value);
      else write.reject(outcome.error);
    });
  }

  close(): void {
    this.flush();
    this.closed = true;
  }
}
