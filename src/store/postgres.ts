import pg from 'pg';
import type { GroupStore } from './groups.js';
import type { LiveMigrationStore } from './liveMigrations.js';
import type { Audit, EventStore } from './events.js';
import { PostgresEventStore, recordEvents } from './postgres/events.js';
import { PostgresGroupStore } from './postgres/groups.js';
import { PostgresLiveMigrationStore } from './postgres/liveMigrations.js';
import { POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION } from './migrations/postgres.js';
import {
  SQL,
  apiKeyValues,
  asStoreError,
  connectionLost,
  query,
  serviceAccountValues,
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
  type Statement,
} from './postgresStatements.js';
import { sourceLinkValues } from './columns.js';
import { OrgWriteBatcher } from './orgWriteBatcher.js';
import { takeToken } from './tokenBucket.js';
import {
  PRUNE_CHUNK_ROWS,
  RETIRED_LINK_KEY_RETENTION_MS,
  StoreUnavailableError,
  type ApiKeyRecord,
  type CommitObserver,
  type AvailableProject,
  type LinkRecord,
  type Org,
  type RateLimitDecision,
  type RateLimitPolicy,
  type RetiredLinkKey,
  type ServiceAccountRecord,
  type SourceDeployment,
  type SourceInventory,
  type SourceLinkRecord,
  type SourceLinkSync,
  type SourceLinkWithdrawal,
  type SourceProject,
  type Store,
} from './store.js';

// PostgreSQL, for several pushlink instances behind one database. Everything that must hold
// across instances is decided by the database, never by this process: no cache of keys, accounts
// or orgs (a rotation or deletion made through one instance is seen by all at once), unique
// constraints and row locks for every race. Each multi-row change is one transaction.

/** Advisory lock keys, (namespace, key): "push" and a number per purpose. */
const LOCK_NAMESPACE = 0x70757368;
const MIGRATION_LOCK = 1;
const BOOTSTRAP_LOCK = 2;

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

/** A link-token's new key, and the events its replacement records. */
interface LinkReplacement {
  key: ApiKeyRecord;
  audit: Audit<{ replacedPublicKey?: string } | undefined> | undefined;
}

interface ReplaceLinkRow {
  org_name: string;
  org_created_at: Date;
  replaced_public_key: string | null;
}

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  private closed = false;
  private readonly commitObservers = new Set<CommitObserver>();

  private readonly linkReplacements: OrgWriteBatcher<LinkReplacement, ReplaceLinkRow | undefined>;

  readonly groups: GroupStore;
  readonly liveMigrations: LiveMigrationStore;
  readonly events: EventStore;

  private constructor(private readonly pool: pg.Pool) {
    const access = { pool, transaction: <T>(run: (client: pg.PoolClient) => Promise<T>, audit?: Audit<T>) => this.audited(run, audit) };
    this.groups = new PostgresGroupStore(access);
    this.liveMigrations = new PostgresLiveMigrationStore(access);
    this.events = new PostgresEventStore(access);
    // The replacement and its events, on a transaction's client (the events' insert needs the
    // replaced key, which only the replacement knows).
    const replace = async (db: pg.Pool | pg.PoolClient, { key, audit }: LinkReplacement) => {
      const row = (await query<ReplaceLinkRow>(db, SQL.replaceLink, apiKeyValues(key))).rows[0];
      if (audit) await recordEvents(db, audit(row && (row.replaced_public_key === null ? {} : { replacedPublicKey: row.replaced_public_key })));
      return row;
    };
    this.linkReplacements = new OrgWriteBatcher({
      // A database that does not answer fails each alone as it failed the group: say so at once.
      isolatesFailure: (error) => !(error instanceof StoreUnavailableError),
      runOne: async (input) => {
        // Audited, the replacement and its events need a transaction; alone, one statement is one.
        if (input.audit) return this.transaction((client) => replace(client, input));
        const started = performance.now();
        const row = await replace(this.pool, input);
        this.committed(1, started);
        return row;
      },
      runGroup: (inputs) =>
        this.transaction(
          async (client) => {
            const rows: Array<ReplaceLinkRow | undefined> = [];
            for (const input of inputs) rows.push(await replace(client, input));
            return rows;
          },
          'BEGIN',
          inputs.length,
        ),
    });
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
  private async write<R extends pg.QueryResultRow>(statement: Parameters<typeof query>[1], values: unknown[]): Promise<pg.QueryResult<R>> {
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

  async createOrg(org: Org): Promise<void> {
    await this.write(SQL.insertOrg, [org.id, org.name, org.createdAt]);
  }

  async getOrg(orgId: string): Promise<Org | undefined> {
    const { rows } = await query<OrgRow>(this.pool, SQL.getOrg, [orgId]);
    return rows[0] && toOrg(rows[0]);
  }

  async countOrgs(): Promise<number> {
    const { rows } = await query<{ n: number }>(this.pool, SQL.countOrgs);
    return rows[0]!.n;
  }

  async insertBootstrap(org: Org, key: ApiKeyRecord, account: ServiceAccountRecord | undefined): Promise<void> {
    await this.transaction(async (client) => {
      await query(client, SQL.insertOrg, [org.id, org.name, org.createdAt]);
      await query(client, SQL.insertApiKey, apiKeyValues(key));
      if (account) await query(client, SQL.insertServiceAccount, serviceAccountValues(account));
    });
  }

  async insertSeed(records: { orgs: Org[]; apiKeys: ApiKeyRecord[]; serviceAccounts: ServiceAccountRecord[] }): Promise<void> {
    await this.transaction(async (client) => {
      for (const org of records.orgs) await query(client, SQL.insertOrg, [org.id, org.name, org.createdAt]);
      for (const key of records.apiKeys) await query(client, SQL.insertApiKey, apiKeyValues(key));
      for (const account of records.serviceAccounts) await query(client, SQL.insertServiceAccount, serviceAccountValues(account));
    });
  }

  /**
   * A session advisory lock on a connection of its own: a second instance waits here until the
   * first has bootstrapped (and its count of orgs is then 1). If the holder dies, PostgreSQL ends
   * its session and the lock with it.
   */
  async withBootstrapLock<T>(run: () => Promise<T>): Promise<T> {
    const client = await this.connect();
    let broken: Error | undefined;
    try {
      await client.query('SELECT pg_advisory_lock($1, $2)', [LOCK_NAMESPACE, BOOTSTRAP_LOCK]).catch((error: unknown) => {
        throw asStoreError(error);
      });
      try {
        return await run();
      } finally {
        await client
          .query('SELECT pg_advisory_unlock($1, $2)', [LOCK_NAMESPACE, BOOTSTRAP_LOCK])
          .catch((error: Error) => (broken = error));
      }
    } finally {
      // A connection that could not unlock is closed, which releases the lock.
      client.release(broken);
    }
  }

  async listOrgs(): Promise<Org[]> {
    return (await query<OrgRow>(this.pool, SQL.listOrgs)).rows.map(toOrg);
  }

  async insertApiKey(key: ApiKeyRecord, audit?: Audit<void>): Promise<void> {
    if (!audit) await this.write(SQL.insertApiKey, apiKeyValues(key));
    else await this.audited(async (client) => void (await query(client, SQL.insertApiKey, apiKeyValues(key))), audit);
  }

  async findApiKeyByPublicKey(publicKey: string): Promise<ApiKeyRecord | undefined> {
    const { rows } = await query<ApiKeyRow>(this.pool, SQL.findApiKeyByPublicKey, [publicKey]);
    return rows[0] && toApiKey(rows[0]);
  }

  async listApiKeys(orgId: string): Promise<ApiKeyRecord[]> {
    return (await query<ApiKeyRow>(this.pool, SQL.listApiKeys, [orgId])).rows.map(toApiKey);
  }

  /**
   * Under the org's row lock, as replace_link and deleteLink take it, so a rotation racing the
   * delete of a link key goes first or waits; and one statement deletes, so only a key that was
   * really deleted here answers true and is recorded as retired (a key a rotation just deleted is
   * recorded ROTATED, once).
   */
  async deleteApiKey(orgId: string, publicKey: string, audit?: Audit<boolean>): Promise<boolean> {
    return this.audited(async (client) => {
      await query(client, SQL.lockOrg, [orgId]);
      const { rows, rowCount } = await query<{ purpose: string }>(client, SQL.deleteApiKeyInOrg, [orgId, publicKey]);
      if (rowCount !== 1) return false;
      if (rows[0]!.purpose === 'LIVE_MIGRATION_LINK') await query(client, SQL.retireLinkKey, [publicKey, orgId, new Date()]);
      return true;
    }, audit);
  }

  async insertServiceAccount(account: ServiceAccountRecord, audit?: Audit<void>): Promise<void> {
    if (!audit) await this.write(SQL.insertServiceAccount, serviceAccountValues(account));
    else await this.audited(async (client) => void (await query(client, SQL.insertServiceAccount, serviceAccountValues(account))), audit);
  }

  async findServiceAccount(clientId: string): Promise<ServiceAccountRecord | undefined> {
    const { rows } = await query<ServiceAccountRow>(this.pool, SQL.findServiceAccount, [clientId]);
    return rows[0] && toServiceAccount(rows[0]);
  }

  async listServiceAccounts(orgId: string): Promise<ServiceAccountRecord[]> {
    return (await query<ServiceAccountRow>(this.pool, SQL.listServiceAccounts, [orgId])).rows.map(toServiceAccount);
  }

  async deleteServiceAccount(orgId: string, clientId: string, audit?: Audit<boolean>): Promise<boolean> {
    return this.audited(async (client) => ((await query(client, SQL.deleteServiceAccount, [orgId, clientId])).rowCount ?? 0) > 0, audit);
  }

  async getLink(orgId: string): Promise<LinkRecord | undefined> {
    const { rows } = await query<LinkRow>(this.pool, SQL.getLink, [orgId]);
    return rows[0] && toLink(rows[0]);
  }

  async replaceLink(key: ApiKeyRecord, audit?: Audit<{ replacedPublicKey?: string } | undefined>): Promise<{ org: Org; replacedPublicKey?: string } | undefined> {
    const row = await this.linkReplacements.run(key.orgId, { key, audit });
    if (!row) return undefined;
    const org: Org = { id: key.orgId, name: row.org_name, createdAt: row.org_created_at.toISOString() };
    return row.replaced_public_key === null ? { org } : { org, replacedPublicKey: row.replaced_public_key };
  }

  async deleteLink(orgId: string, audit?: Audit<boolean>): Promise<boolean> {
    return this.audited(async (client) => {
      await query(client, SQL.lockOrg, [orgId]);
      const { rows } = await query<{ public_key: string }>(client, SQL.deleteLinkKey, [orgId]);
      if (!rows[0]) return false;
      await query(client, SQL.retireLinkKey, [rows[0].public_key, orgId, new Date()]);
      return true;
    }, audit);
  }

  async findRetiredLinkKey(orgId: string, publicKey: string): Promise<RetiredLinkKey | undefined> {
    const { rows } = await query<RetiredLinkKeyRow>(this.pool, SQL.findRetiredLinkKey, [orgId, publicKey]);
    return rows[0] && toRetiredLinkKey(rows[0]);
  }

  /** Under the org's row lock, as link changes take it, so the link cannot change between check and write. */
  putAtlasInventory(orgId: string, apiKeyId: string, projects: AvailableProject[], receivedAt: string, audit?: Audit<boolean>): Promise<boolean> {
    return this.audited(async (client) => {
      await query(client, SQL.lockOrg, [orgId]);
      const { rowCount } = await query(client, SQL.putAtlasInventory, [orgId, apiKeyId, JSON.stringify(projects), receivedAt]);
      return rowCount === 1;
    }, audit);
  }

  async deleteAtlasInventory(orgId: string, apiKeyId: string, audit?: Audit<boolean>): Promise<boolean> {
    if (!audit) return (await this.write(SQL.deleteAtlasInventory, [orgId, apiKeyId])).rowCount === 1;
    return this.audited(async (client) => (await query(client, SQL.deleteAtlasInventory, [orgId, apiKeyId])).rowCount === 1, audit);
  }

  async getAtlasInventory(orgId: string): Promise<AvailableProject[] | undefined> {
    const { rows } = await query<{ projects: AvailableProject[] }>(this.pool, SQL.getAtlasInventory, [orgId]);
    return rows[0]?.projects;
  }

  async createSourceProject(project: SourceProject): Promise<void> {
    await this.transaction(async (client) => {
      await query(client, SQL.insertSourceProject, [project.id, project.orgId, project.name, project.createdAt]);
      await query(client, SQL.bumpInventoryVersion, [project.orgId]);
    });
  }

  async getSourceProject(projectId: string): Promise<SourceProject | undefined> {
    const { rows } = await query<SourceProjectRow>(this.pool, SQL.getSourceProject, [projectId]);
    return rows[0] && toSourceProject(rows[0]);
  }

  /** Runs a change to a source project and bumps its org's inventory version when something changed. */
  private changeSourceProject(projectId: string, change: (client: pg.PoolClient) => Promise<boolean>): Promise<boolean> {
    return this.transaction(async (client) => {
      const { rows } = await query<{ org_id: string }>(client, SQL.getSourceProject, [projectId]);
      if (!rows[0]) return false;
      const changed = await change(client);
      if (changed) await query(client, SQL.bumpInventoryVersion, [rows[0].org_id]);
      return changed;
    });
  }

  saveSourceDeployment(projectId: string, deployment: SourceDeployment): Promise<boolean> {
    const { name, ...details } = deployment;
    return this.changeSourceProject(projectId, async (client) => {
      await query(client, SQL.upsertSourceDeployment, [projectId, name, JSON.stringify(details)]);
      return true;
    });
  }

  deleteSourceDeployment(projectId: string, name: string): Promise<boolean> {
    return this.changeSourceProject(
      projectId,
      async (client) => (await query(client, SQL.deleteSourceDeployment, [projectId, name])).rowCount === 1,
    );
  }

  addSourceMigrationHost(projectId: string, hostname: string): Promise<boolean> {
    return this.changeSourceProject(projectId, async (client) => {
      await query(client, SQL.insertSourceMigrationHost, [projectId, hostname]);
      return true;
    });
  }

  deleteSourceMigrationHost(projectId: string, hostname: string): Promise<boolean> {
    return this.changeSourceProject(
      projectId,
      async (client) => (await query(client, SQL.deleteSourceMigrationHost, [projectId, hostname])).rowCount === 1,
    );
  }

  /** One snapshot (REPEATABLE READ), so the version and the rows it describes agree. */
  async getSourceInventory(orgId: string): Promise<SourceInventory> {
    return this.transaction(async (client) => {
      const { rows: version } = await query<{ inventory_version: string }>(client, SQL.getInventoryVersion, [orgId]);
      const { rows: projectRows } = await query<SourceProjectRow>(client, SQL.listSourceProjects, [orgId]);
      const projects = projectRows.map((row) => ({
        project: toSourceProject(row),
        deployments: [] as SourceDeployment[],
        migrationHosts: [] as string[],
      }));
      const byId = new Map(projects.map((p) => [p.project.id, p]));
      type DeploymentRow = { project_id: string; name: string; deployment: Omit<SourceDeployment, 'name'> };
      for (const row of (await query<DeploymentRow>(client, SQL.listSourceDeployments, [orgId])).rows) {
        byId.get(row.project_id)?.deployments.push(toSourceDeployment(row));
      }
      type HostRow = { project_id: string; hostname: string };
      for (const row of (await query<HostRow>(client, SQL.listSourceMigrationHosts, [orgId])).rows) {
        byId.get(row.project_id)?.migrationHosts.push(row.hostname);
      }
      return { version: version[0] ? Number(version[0].inventory_version) : 0, projects };
    }, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', 0);
  }

  /** Under the org's row lock, as deleting a link takes it, so the link replaced is the one read. */
  putSourceLink(link: SourceLinkRecord): Promise<SourceLinkWithdrawal | undefined> {
    return this.transaction(async (client) => {
      await query(client, SQL.lockOrg, [link.orgId]);
      const { rows } = await query<SourceLinkRow>(client, SQL.getSourceLink, [link.orgId]);
      await query(client, SQL.putSourceLink, sourceLinkValues(link));
      await query(client, SQL.cancelSourceLinkWithdrawals, [link.atlasOrgId, link.publicKey]);
      const replaced = rows[0];
      if (!replaced || (replaced.atlas_org_id === link.atlasOrgId && replaced.public_key === link.publicKey)) return undefined;
      return recordWithdrawal(client, replaced, new Date(link.createdAt));
    });
  }

  async getSourceLink(orgId: string): Promise<SourceLinkRecord | undefined> {
    const { rows } = await query<SourceLinkRow>(this.pool, SQL.getSourceLink, [orgId]);
    return rows[0] && toSourceLink(rows[0]);
  }

  async listSourceLinks(): Promise<SourceLinkRecord[]> {
    return (await query<SourceLinkRow>(this.pool, SQL.listSourceLinks)).rows.map(toSourceLink);
  }

  deleteSourceLink(orgId: string, linkId: string): Promise<{ withdrawal: SourceLinkWithdrawal | undefined } | undefined> {
    return this.transaction(async (client) => {
      await query(client, SQL.lockOrg, [orgId]);
      const { rows } = await query<SourceLinkRow>(client, SQL.deleteSourceLink, [orgId, linkId]);
      return rows[0] && { withdrawal: await recordWithdrawal(client, rows[0], new Date()) };
    });
  }

  async listSourceLinkWithdrawals(): Promise<SourceLinkWithdrawal[]> {
    return (await query<SourceLinkWithdrawalRow>(this.pool, SQL.listSourceLinkWithdrawals)).rows.map(toSourceLinkWithdrawal);
  }

  async deleteSourceLinkWithdrawal(linkId: string): Promise<boolean> {
    return (await this.write(SQL.deleteSourceLinkWithdrawal, [linkId])).rowCount === 1;
  }

  async recordSourceLinkSync(orgId: string, linkId: string, sync: SourceLinkSync): Promise<boolean> {
    const values = [sync.status, sync.reason, sync.syncedVersion, sync.attemptedAt, orgId, linkId];
    return (await this.write(SQL.recordSourceLinkSync, values)).rowCount === 1;
  }

  async revokeAccessToken(jti: string, expiresAtMs: number): Promise<void> {
    await this.write(SQL.revokeAccessToken, [jti, expiresAtMs]);
  }

  async findTokenSubject(clientId: string, jti: string): Promise<{ account: ServiceAccountRecord | undefined; revoked: boolean }> {
    const { rows } = await query<ServiceAccountRow & { revoked: boolean }>(this.pool, SQL.findTokenSubject, [jti, clientId]);
    const row = rows[0]!;
    return { account: row.client_id === null ? undefined : toServiceAccount(row), revoked: row.revoked };
  }

  async useDigestNonce(nonce: string, nc: string, expiresAtMs: number): Promise<boolean> {
    return (await this.write(SQL.useDigestNonce, [nonce, nc, expiresAtMs])).rowCount === 1;
  }

  /** The bucket's row lock makes the read-modify-write atomic across every instance. */
  takeRateLimitToken(bucket: string, policy: RateLimitPolicy, nowMs: number): Promise<RateLimitDecision> {
    return this.transaction(async (client) => {
      type BucketRow = { tokens: number; refilled_at: string };
      let { rows } = await query<BucketRow>(client, SQL.lockBucket, [bucket]);
      if (!rows[0]) {
        // A new bucket starts full; of two instances creating it at once, one insert wins.
        await query(client, SQL.insertBucket, [bucket, policy.capacity, nowMs]);
        ({ rows } = await query<BucketRow>(client, SQL.lockBucket, [bucket]));
      }
      const row = rows[0]!;
      const { next, decision } = takeToken({ tokens: row.tokens, refilledAt: Number(row.refilled_at) }, policy, nowMs);
      await query(client, SQL.updateBucket, [bucket, next.tokens, next.refilledAt]);
      return decision;
    });
  }

  async getOrCreateSecret(name: string, create: () => Buffer): Promise<Buffer> {
    const existing = await query<{ value: Buffer }>(this.pool, SQL.getSecret, [name]);
    if (existing.rows[0]) return existing.rows[0].value;
    // Of instances racing here, the first insert wins and every one reads the winner back.
    await this.write(SQL.insertSecret, [name, create()]);
    return (await query<{ value: Buffer }>(this.pool, SQL.getSecret, [name])).rows[0]!.value;
  }

  /** Each chunk is one statement, so one transaction: no lock is held across chunks. */
  async pruneExpired(nowMs: number, options: { chunkRows?: number } = {}): Promise<void> {
    const chunkRows = options.chunkRows ?? PRUNE_CHUNK_ROWS;
    const chunks: Array<[Statement, unknown]> = [
      [SQL.pruneNonceUses, nowMs],
      [SQL.pruneRevokedTokens, nowMs],
      [SQL.pruneRetiredLinkKeys, new Date(nowMs - RETIRED_LINK_KEY_RETENTION_MS)],
    ];
    for (const [statement, before] of chunks) {
      // A short chunk was the last (or another instance prunes the rest); closing stops quietly.
      while (!this.closed && (await this.write(statement, [before, chunkRows])).rowCount === chunkRows);
    }
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('the store is closed');
    const { rows } = await query<{ latest: number; known: number }>(this.pool, SQL.schemaVersion, [POSTGRES_MIGRATIONS.map((m) => m.version)]);
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

/** Records the withdrawal of a link just deleted or replaced, unless another link still uses its Atlas org and key. */
async function recordWithdrawal(client: pg.PoolClient, link: SourceLinkRow, recordedAt: Date): Promise<SourceLinkWithdrawal | undefined> {
  if ((await query(client, SQL.sourceLinkUsesKey, [link.atlas_org_id, link.public_key])).rowCount !== 0) return undefined;
  await query(client, SQL.insertSourceLinkWithdrawal, [
    link.link_id,
    link.org_id,
    link.atlas_org_id,
    link.public_key,
    link.ha1,
    recordedAt,
  ]);
  return {
    linkId: link.link_id,
    orgId: link.org_id,
    atlasOrgId: link.atlas_org_id,
    publicKey: link.public_key,
    ha1: link.ha1,
    recordedAt: recordedAt.toISOString(),
  };
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
