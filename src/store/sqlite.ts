import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
import { GroupCommitter } from './groupCommit.js';
import type { GroupStore } from './groups.js';
import type { LiveMigrationStore } from './liveMigrations.js';
import type { Org, ApiKeyRecord } from './orgs.js';
import type { TokenSubject } from './serviceAccounts.js';
import { SqliteEventStore } from './sqlite/events.js';
import { SqliteGroupStore } from './sqlite/groups.js';
import { SqliteHousekeepingStore } from './sqlite/housekeeping.js';
import { SqliteLinkStore } from './sqlite/links.js';
import { SqliteLiveMigrationStore } from './sqlite/liveMigrations.js';
import { SqliteOrgStore } from './sqlite/orgs.js';
import { SqliteServiceAccountStore } from './sqlite/serviceAccounts.js';
import { SqliteSourceStore } from './sqlite/source.js';
import { SQLITE_MIGRATIONS, SQLITE_SCHEMA_STEPS, SQLITE_SCHEMA_VERSION } from './migrations/sqlite.js';
import { DataVersionWatch, TurnValidatedCache } from './turnCache.js';
import { StoreUnavailableError, type CommitObserver, type Store } from './store.js';

export const SQLITE_FILE_NAME = 'pushlink.db';

/**
 * SQLite in WAL mode: an acknowledged write survives a killed process and a power cut (see
 * groupCommit.ts for how the WAL is synced). Reads run at once; writes go through group commit.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly db: Database;
  readonly committer: GroupCommitter;
  readonly orgs: SqliteOrgStore;
  readonly serviceAccounts: SqliteServiceAccountStore;
  readonly links: SqliteLinkStore;
  readonly source: SqliteSourceStore;
  readonly housekeeping: SqliteHousekeepingStore;
  readonly groups: GroupStore;
  readonly liveMigrations: LiveMigrationStore;
  readonly events: SqliteEventStore;
  private readonly caches: {
    orgs: TurnValidatedCache<Org>;
    apiKeys: TurnValidatedCache<ApiKeyRecord>;
    tokenSubjects: TurnValidatedCache<TokenSubject>;
  };
  private readonly schemaVersion: Statement;
  /** Set when group commit failed for good (a failed fsync): every operation then fails with it. */
  private failure: StoreUnavailableError | undefined;
  private readonly failureListeners = new Set<(failure: StoreUnavailableError) => void>();
  private closing = false;

  private constructor(db: Database, file: string) {
    this.db = db;
    this.committer = new GroupCommitter(db, `${file}-wal`, (failure) => this.failed(failure));
    // Every aggregate's reads call it first: after a failed fsync they refuse, as writes do.
    const guard = () => {
      if (this.failure) throw this.failure;
    };
    const dataVersion = db.prepare('PRAGMA data_version').pluck();
    const watch = new DataVersionWatch(() => dataVersion.get() as number);
    this.caches = { orgs: new TurnValidatedCache(watch), apiKeys: new TurnValidatedCache(watch), tokenSubjects: new TurnValidatedCache(watch) };
    this.orgs = new SqliteOrgStore(db, this.committer, guard, this.caches.orgs, this.caches.apiKeys);
    this.serviceAccounts = new SqliteServiceAccountStore(db, this.committer, guard, this.caches.tokenSubjects);
    this.links = new SqliteLinkStore(db, this.committer, guard, this.orgs, this.caches.apiKeys);
    this.source = new SqliteSourceStore(db, this.committer, guard);
    this.housekeeping = new SqliteHousekeepingStore(db, this.committer, guard, () => this.closing);
    this.groups = new SqliteGroupStore(db, this.committer, guard);
    this.liveMigrations = new SqliteLiveMigrationStore(db, this.committer, guard);
    this.events = new SqliteEventStore(db, this.committer, guard, () => this.closing);
    this.committer.recordEventsWith((change) => this.events.record(change));
    this.schemaVersion = db.prepare(
      `SELECT (SELECT MAX(version) FROM schema_migrations) AS latest,
              (SELECT COUNT(*) FROM schema_migrations WHERE version IN (${SQLITE_MIGRATIONS.map((m) => m.version).join(', ')})) AS known`,
    );
  }

  static open(dataDir: string): SqliteStore {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const file = path.join(dataDir, SQLITE_FILE_NAME);
    restrictDatabaseFiles(file);
    const db = new BetterSqlite3(file);
    try {
      configureConnection(db);
      migrate(db);
      // The WAL file may have just been created: make its directory entry durable too.
      syncDirectory(dataDir);
      return new SqliteStore(db, file);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /**
   * The caches may hold what the failed batch changed (a deleted key, a revoked token), and this
   * store's own commits do not move data_version: they are emptied, and every read refuses from
   * now on (each aggregate's reads call the guard set up in the constructor, before any cache or
   * statement), so nothing the failed batch undid keeps authenticating.
   */
  private failed(failure: StoreUnavailableError): void {
    this.failure = failure;
    this.caches.orgs.clear();
    this.caches.apiKeys.clear();
    this.caches.tokenSubjects.clear();
    for (const listener of this.failureListeners) {
      try {
        listener(failure);
      } catch {
        // A listener (a log line) cannot change the failure.
      }
    }
  }

  observeFailure(listener: (failure: StoreUnavailableError) => void): () => void {
    if (this.failure) listener(this.failure);
    else this.failureListeners.add(listener);
    return () => this.failureListeners.delete(listener);
  }

  async ping(): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.db.open) throw new Error('the database is closed');
    const row = this.schemaVersion.get() as { latest: number; known: number };
    // Ready on a schema a newer release extended (an admin command of a newer release on the same
    // data dir): steps are additive by policy. Unready only when a step this code needs is missing.
    if (row.known !== SQLITE_SCHEMA_STEPS) {
      throw new Error(
        `database schema is at version ${row.latest} (${row.known} of the ${SQLITE_SCHEMA_STEPS} steps this code needs), expected version ${SQLITE_SCHEMA_VERSION} or later`,
      );
    }
  }

  observeCommits(observer: CommitObserver): () => void {
    return this.committer.onCommit(observer);
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    this.closing = true;
    await this.committer.close();
    this.db.close();
  }
}

/**
 * The database holds the JWT signing key, the digest nonce key and every HA1: its files are the
 * owner's alone. mkdirSync's mode only applies to a directory it creates (a data dir that already
 * existed may be world-readable), and SQLite creates files with the process umask (0644 usually).
 * So the database file is created 0600 before SQLite opens it (SQLite gives the -wal and -shm
 * files it creates the database file's permissions), and the files of an older install are
 * narrowed to 0600.
 */
function restrictDatabaseFiles(file: string): void {
  try {
    fs.closeSync(fs.openSync(file, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  for (const existing of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      if ((fs.statSync(existing).mode & 0o077) !== 0) fs.chmodSync(existing, 0o600);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // ENOENT: no such file (yet). EPERM: another user's file (an admin command run as someone
      // with access to it); the owner's server narrows it when it opens the store.
      if (code !== 'ENOENT' && code !== 'EPERM') throw error;
    }
  }
}

/**
 * WAL, so the server and admin commands can use the file at once. synchronous=NORMAL makes a
 * COMMIT write the WAL without waiting for the disk; group commit (groupCommit.ts) then fsyncs the
 * WAL before it acknowledges anything, which makes acknowledged writes as durable as FULL.
 */
function configureConnection(db: Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
}

function syncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function migrate(db: Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map((r) => r.version),
  );
  const missing = SQLITE_MIGRATIONS.filter((m) => !applied.has(m.version));
  if (missing.length === 0) return;
  // BEGIN IMMEDIATE takes the write lock first, so two processes starting at once migrate one by one.
  const run = db.transaction(() => {
    for (const step of missing) {
      const done = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(step.version);
      if (done) continue;
      db.exec(step.sql);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(
        step.version,
        new Date().toISOString(),
      );
    }
  });
  run.immediate();
}
