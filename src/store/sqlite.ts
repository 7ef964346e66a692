import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { GroupCommitter } from './groupCommit.js';
import type { Audit } from './events.js';
import { SqliteEventStore } from './sqlite/events.js';
import type { GroupStore } from './groups.js';
import type { LiveMigrationStore } from './liveMigrations.js';
import { SqliteGroupStore } from './sqlite/groups.js';
import { SqliteLiveMigrationStore } from './sqlite/liveMigrations.js';
import { SQLITE_MIGRATIONS, SQLITE_SCHEMA_STEPS, SQLITE_SCHEMA_VERSION } from './migrations/sqlite.js';
import { DataVersionWatch, TurnValidatedCache } from './turnCache.js';
import {
  configureConnection,
  prepareStatements,
  toApiKey,
  toLink,
  toOrg,
  toRetiredLinkKey,
  toServiceAccount,
  toSourceDeployment,
  toSourceLink,
  toSourceLinkWithdrawal,
  toSourceProject,
  type ApiKeyRow,
  type LinkRow,
  type OrgRow,
  type RetiredLinkKeyRow,
  type ServiceAccountRow,
  type SourceLinkRow,
  type SourceLinkWithdrawalRow,
  type SourceProjectRow,
  type Statements,
} from './sqliteStatements.js';
import type {
  ApiKeyRecord,
  AvailableProject,
  CommitObserver,
  LinkRecord,
  Org,
  RateLimitDecision,
  RateLimitPolicy,
  RetiredLinkKey,
  ServiceAccountRecord,
  SourceDeployment,
  SourceInventory,
  SourceLinkRecord,
  SourceLinkSync,
  SourceLinkWithdrawal,
  SourceProject,
  Store,
} from './store.js';
import { PRUNE_CHUNK_ROWS, RETIRED_LINK_KEY_RETENTION_MS, StoreUnavailableError } from './store.js';

export const SQLITE_FILE_NAME = 'pushlink.db';

/**
 * SQLite in WAL mode: an acknowledged write survives a killed process and a power cut (see
 * groupCommit.ts for how the WAL is synced). Reads run at once; writes go through group commit.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly db: Database;
  readonly committer: GroupCommitter;
  readonly groups: GroupStore;
  readonly liveMigrations: LiveMigrationStore;
  readonly events: SqliteEventStore;
  private statements: Statements;
  private readonly orgs: TurnValidatedCache<Org>;
  private readonly apiKeys: TurnValidatedCache<ApiKeyRecord>;
  private readonly tokenSubjects: TurnValidatedCache<{ account: ServiceAccountRecord | undefined; revoked: boolean }>;
  /** Set when group commit failed for good (a failed fsync): every operation then fails with it. */
  private failure: StoreUnavailableError | undefined;
  private readonly failureListeners = new Set<(failure: StoreUnavailableError) => void>();
  private closing = false;

  private constructor(db: Database, file: string) {
    this.db = db;
    this.statements = prepareStatements(db);
    this.committer = new GroupCommitter(db, this.statements, `${file}-wal`, (failure) => this.failed(failure));
    const guard = () => {
      if (this.failure) throw this.failure;
    };
    this.groups = new SqliteGroupStore(db, this.committer, guard);
    this.liveMigrations = new SqliteLiveMigrationStore(db, this.committer, guard);
    this.events = new SqliteEventStore(db);
    this.committer.recordEventsWith((change) => this.events.record(change));
    const watch = new DataVersionWatch(() => this.statements.dataVersion.get() as number);
    this.orgs = new TurnValidatedCache(watch);
    this.apiKeys = new TurnValidatedCache(watch);
    this.tokenSubjects = new TurnValidatedCache(watch);
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
   * now on, so nothing the failed batch undid keeps authenticating. Reads all go through
   * `statements` (the committer keeps its own reference), so replacing them refuses every read,
   * present and future, with the failure.
   */
  private failed(failure: StoreUnavailableError): void {
    this.failure = failure;
    this.statements = new Proxy({} as Statements, {
      get() {
        throw failure;
      },
    });
    this.orgs.clear();
    this.apiKeys.clear();
    this.tokenSubjects.clear();
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

  async createOrg(org: Org): Promise<void> {
    await this.committer.write('createOrg', org);
  }

  async getOrg(orgId: string): Promise<Org | undefined> {
    return this.readOrg(orgId);
  }

  /** Orgs are read on every link-token create (the token carries the name); no operation changes one. */
  private readOrg(orgId: string): Org | undefined {
    const cached = this.orgs.get(orgId);
    if (cached) return cached;
    const row = this.statements.getOrg.get(orgId) as OrgRow | undefined;
    if (!row) return undefined;
    const org = toOrg(row);
    this.orgs.set(orgId, org);
    return org;
  }

  async countOrgs(): Promise<number> {
    return (this.statements.countOrgs.get() as { n: number }).n;
  }

  async insertBootstrap(org: Org, key: ApiKeyRecord, account: ServiceAccountRecord | undefined): Promise<void> {
    await this.committer.write('insertBootstrap', org, key, account);
  }

  async insertSeed(records: { orgs: Org[]; apiKeys: ApiKeyRecord[]; serviceAccounts: ServiceAccountRecord[] }): Promise<void> {
    await this.committer.write('insertSeed', records);
  }

  /** One data dir is served by one server process (admin commands never bootstrap): nothing to wait for. */
  withBootstrapLock<T>(run: () => Promise<T>): Promise<T> {
    return run();
  }

  async listOrgs(): Promise<Org[]> {
    return (this.statements.listOrgs.all() as OrgRow[]).map(toOrg);
  }

  async insertApiKey(key: ApiKeyRecord, audit?: Audit<void>): Promise<void> {
    await this.committer.writeAudited(audit, 'insertApiKey', key);
  }

  async findApiKeyByPublicKey(publicKey: string): Promise<ApiKeyRecord | undefined> {
    const cached = this.apiKeys.get(publicKey);
    if (cached) return cached;
    const row = this.statements.findApiKeyByPublicKey.get(publicKey) as ApiKeyRow | undefined;
    if (!row) return undefined;
    const key = toApiKey(row);
    this.apiKeys.set(publicKey, key);
    return key;
  }

  async listApiKeys(orgId: string): Promise<ApiKeyRecord[]> {
    return (this.statements.listApiKeys.all(orgId) as ApiKeyRow[]).map(toApiKey);
  }

  async deleteApiKey(orgId: string, publicKey: string, audit?: Audit<boolean>): Promise<boolean> {
    const deleted = await this.committer.writeAudited(audit, 'deleteApiKey', orgId, publicKey, new Date().toISOString());
    if (deleted) this.apiKeys.delete(publicKey);
    return deleted;
  }

  async insertServiceAccount(account: ServiceAccountRecord, audit?: Audit<void>): Promise<void> {
    await this.committer.writeAudited(audit, 'insertServiceAccount', account);
  }

  async findServiceAccount(clientId: string): Promise<ServiceAccountRecord | undefined> {
    const row = this.statements.findServiceAccount.get(clientId) as ServiceAccountRow | undefined;
    return row && toServiceAccount(row);
  }

  async listServiceAccounts(orgId: string): Promise<ServiceAccountRecord[]> {
    return (this.statements.listServiceAccounts.all(orgId) as ServiceAccountRow[]).map(toServiceAccount);
  }

  async deleteServiceAccount(orgId: string, clientId: string, audit?: Audit<boolean>): Promise<boolean> {
    const deleted = await this.committer.writeAudited(audit, 'deleteServiceAccount', orgId, clientId);
    if (deleted) this.tokenSubjects.clear();
    return deleted;
  }

  async getLink(orgId: string): Promise<LinkRecord | undefined> {
    const row = this.statements.getLink.get(orgId) as LinkRow | undefined;
    return row && toLink(row);
  }

  async replaceLink(key: ApiKeyRecord, audit?: Audit<{ replacedPublicKey?: string } | undefined>): Promise<{ org: Org; replacedPublicKey?: string } | undefined> {
    const replaced = await this.committer.writeAudited(audit, 'replaceLink', key);
    if (!replaced) return undefined;
    if (replaced.replacedPublicKey) this.apiKeys.delete(replaced.replacedPublicKey);
    // The org exists (the key's foreign key said so) and orgs never change: no need to read it in the write.
    const org = this.readOrg(key.orgId)!;
    return { org, ...replaced };
  }

  async deleteLink(orgId: string, audit?: Audit<boolean>): Promise<boolean> {
    const deletedPublicKey = await this.committer.writeAudited<'deleteLink'>(audit && ((deleted) => audit(deleted !== undefined)), 'deleteLink', orgId, new Date().toISOString());
    if (deletedPublicKey === undefined) return false;
    this.apiKeys.delete(deletedPublicKey);
    return true;
  }

  putAtlasInventory(orgId: string, apiKeyId: string, projects: AvailableProject[], receivedAt: string, audit?: Audit<boolean>): Promise<boolean> {
    return this.committer.writeAudited(audit, 'putAtlasInventory', orgId, apiKeyId, projects, receivedAt);
  }

  deleteAtlasInventory(orgId: string, apiKeyId: string, audit?: Audit<boolean>): Promise<boolean> {
    return this.committer.writeAudited(audit, 'deleteAtlasInventory', orgId, apiKeyId);
  }

  async getAtlasInventory(orgId: string): Promise<AvailableProject[] | undefined> {
    const projects = this.statements.getAtlasInventory.get(orgId) as string | undefined;
    return projects === undefined ? undefined : (JSON.parse(projects) as AvailableProject[]);
  }

  async createSourceProject(project: SourceProject): Promise<void> {
    await this.committer.write('createSourceProject', project);
  }

  async getSourceProject(projectId: string): Promise<SourceProject | undefined> {
    const row = this.statements.getSourceProject.get(projectId) as SourceProjectRow | undefined;
    return row && toSourceProject(row);
  }

  saveSourceDeployment(projectId: string, deployment: SourceDeployment): Promise<boolean> {
    return this.committer.write('saveSourceDeployment', projectId, deployment);
  }

  deleteSourceDeployment(projectId: string, name: string): Promise<boolean> {
    return this.committer.write('deleteSourceDeployment', projectId, name);
  }

  addSourceMigrationHost(projectId: string, hostname: string): Promise<boolean> {
    return this.committer.write('addSourceMigrationHost', projectId, hostname);
  }

  deleteSourceMigrationHost(projectId: string, hostname: string): Promise<boolean> {
    return this.committer.write('deleteSourceMigrationHost', projectId, hostname);
  }

  async getSourceInventory(orgId: string): Promise<SourceInventory> {
    // One read transaction, so the version and the rows it describes agree.
    return this.db.transaction(() => {
      const version = (this.statements.getInventoryVersion.get(orgId) as number | undefined) ?? 0;
      const projects = (this.statements.listSourceProjects.all(orgId) as SourceProjectRow[]).map((row) => ({
        project: toSourceProject(row),
        deployments: [] as SourceDeployment[],
        migrationHosts: [] as string[],
      }));
      const byId = new Map(projects.map((p) => [p.project.id, p]));
      for (const row of this.statements.listSourceDeployments.all(orgId) as Array<{ project_id: string; name: string; deployment: string }>) {
        byId.get(row.project_id)?.deployments.push(toSourceDeployment(row));
      }
      for (const row of this.statements.listSourceMigrationHosts.all(orgId) as Array<{ project_id: string; hostname: string }>) {
        byId.get(row.project_id)?.migrationHosts.push(row.hostname);
      }
      return { version, projects };
    })();
  }

  putSourceLink(link: SourceLinkRecord): Promise<SourceLinkWithdrawal | undefined> {
    return this.committer.write('putSourceLink', link);
  }

  async getSourceLink(orgId: string): Promise<SourceLinkRecord | undefined> {
    const row = this.statements.getSourceLink.get(orgId) as SourceLinkRow | undefined;
    return row && toSourceLink(row);
  }

  async listSourceLinks(): Promise<SourceLinkRecord[]> {
    return (this.statements.listSourceLinks.all() as SourceLinkRow[]).map(toSourceLink);
  }

  deleteSourceLink(orgId: string, linkId: string): Promise<{ withdrawal: SourceLinkWithdrawal | undefined } | undefined> {
    return this.committer.write('deleteSourceLink', orgId, linkId, new Date().toISOString());
  }

  async listSourceLinkWithdrawals(): Promise<SourceLinkWithdrawal[]> {
    return (this.statements.listSourceLinkWithdrawals.all() as SourceLinkWithdrawalRow[]).map(toSourceLinkWithdrawal);
  }

  deleteSourceLinkWithdrawal(linkId: string): Promise<boolean> {
    return this.committer.write('deleteSourceLinkWithdrawal', linkId);
  }

  recordSourceLinkSync(orgId: string, linkId: string, sync: SourceLinkSync): Promise<boolean> {
    return this.committer.write('recordSourceLinkSync', orgId, linkId, sync);
  }

  async findRetiredLinkKey(orgId: string, publicKey: string): Promise<RetiredLinkKey | undefined> {
    const row = this.statements.findRetiredLinkKey.get(orgId, publicKey) as RetiredLinkKeyRow | undefined;
    return row && toRetiredLinkKey(row);
  }

  async revokeAccessToken(jti: string, expiresAtMs: number): Promise<void> {
    await this.committer.write('revokeAccessToken', jti, expiresAtMs);
    this.tokenSubjects.clear();
  }

  async findTokenSubject(clientId: string, jti: string): Promise<{ account: ServiceAccountRecord | undefined; revoked: boolean }> {
    const cacheKey = `${clientId}\n${jti}`;
    const cached = this.tokenSubjects.get(cacheKey);
    if (cached) return cached;
    const row = this.statements.findTokenSubject.get(jti, clientId) as (ServiceAccountRow & { revoked: number }) | undefined;
    if (!row) return { account: undefined, revoked: this.statements.isAccessTokenRevoked.get(jti) !== undefined };
    const subject = { account: toServiceAccount(row), revoked: row.revoked === 1 };
    this.tokenSubjects.set(cacheKey, subject);
    return subject;
  }

  useDigestNonce(nonce: string, nc: string, expiresAtMs: number): Promise<boolean> {
    return this.committer.write('useDigestNonce', nonce, nc, expiresAtMs);
  }

  takeRateLimitToken(bucket: string, policy: RateLimitPolicy, nowMs: number): Promise<RateLimitDecision> {
    return this.committer.write('takeRateLimitToken', bucket, policy, nowMs);
  }

  async getOrCreateSecret(name: string, create: () => Buffer): Promise<Buffer> {
    const existing = this.statements.getSecret.get(name) as { value: Buffer } | undefined;
    if (existing) return existing.value;
    return Buffer.from(await this.committer.write('getOrCreateSecret', name, create()));
  }

  /**
   * Each chunk is a write of its own: group commit runs it in a batch with the requests' writes,
   * and awaiting it gives the event loop back, so pruning never holds either for long.
   */
  async pruneExpired(nowMs: number, options: { chunkRows?: number } = {}): Promise<void> {
    const chunkRows = options.chunkRows ?? PRUNE_CHUNK_ROWS;
    const retiredBefore = new Date(nowMs - RETIRED_LINK_KEY_RETENTION_MS).toISOString();
    const chunks = [
      () => this.committer.write('pruneNonceUses', nowMs, chunkRows),
      () => this.committer.write('pruneRevokedTokens', nowMs, chunkRows),
      () => this.committer.write('pruneRetiredLinkKeys', retiredBefore, chunkRows),
    ];
    for (const chunk of chunks) {
      // A short chunk was the last; closing stops pruning quietly (the next run picks it up).
      while (!this.closing && (await chunk()) === chunkRows);
    }
  }

  async ping(): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.db.open) throw new Error('the database is closed');
    const row = this.statements.schemaVersion.get() as { latest: number; known: number };
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
