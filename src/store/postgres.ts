import pg from 'pg';
import { POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION } from './migrations/postgres.js';
import { takeToken } from './tokenBucket.js';
import {
  StoreUnavailableError,
  UniqueViolationError,
  type ApiKeyRecord,
  type AvailableProject,
  type LinkRecord,
  type Org,
  type OrgRole,
  type RateLimitDecision,
  type RateLimitPolicy,
  type ServiceAccountRecord,
  type SourceDeployment,
  type SourceInventory,
  type SourceLinkRecord,
  type SourceLinkSync,
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
const CONNECT_TIMEOUT_MS = 10_000;

interface OrgRow {
  id: string;
  name: string;
  created_at: Date;
}

interface ApiKeyRow {
  id: string;
  org_id: string;
  public_key: string;
  ha1: string;
  private_key_hint: string;
  roles: string[];
  access_list: string[];
  description: string;
  purpose: string;
  created_at: Date;
}

interface ServiceAccountRow {
  client_id: string;
  org_id: string;
  secret_hash: string;
  roles: string[];
  access_list: string[];
  name: string;
  created_at: Date;
}

interface LinkRow {
  org_id: string;
  api_key_id: string;
  access_list_ips: string[];
  created_at: Date;
}

const toOrg = (row: OrgRow): Org => ({ id: row.id, name: row.name, createdAt: row.created_at.toISOString() });

const toApiKey = (row: ApiKeyRow): ApiKeyRecord => ({
  id: row.id,
  orgId: row.org_id,
  publicKey: row.public_key,
  ha1: row.ha1,
  privateKeyHint: row.private_key_hint,
  roles: row.roles as OrgRole[],
  accessList: row.access_list,
  description: row.description,
  purpose: row.purpose as ApiKeyRecord['purpose'],
  createdAt: row.created_at.toISOString(),
});

const toServiceAccount = (row: ServiceAccountRow): ServiceAccountRecord => ({
  clientId: row.client_id,
  orgId: row.org_id,
  secretHash: row.secret_hash,
  roles: row.roles as OrgRole[],
  accessList: row.access_list,
  name: row.name,
  createdAt: row.created_at.toISOString(),
});

const toLink = (row: LinkRow): LinkRecord => ({
  orgId: row.org_id,
  apiKeyId: row.api_key_id,
  accessListIps: row.access_list_ips,
  createdAt: row.created_at.toISOString(),
});

interface SourceProjectRow {
  id: string;
  org_id: string;
  name: string;
  created_at: Date;
}

interface SourceLinkRow {
  org_id: string;
  link_id: string;
  atlas_org_id: string;
  atlas_org_name: string;
  public_key: string;
  ha1: string;
  status: string;
  reason: string | null;
  synced_version: string | null;
  last_attempt_at: Date | null;
  last_synced_at: Date | null;
  created_at: Date;
}

const toSourceProject = (row: SourceProjectRow): SourceProject => ({
  id: row.id,
  orgId: row.org_id,
  name: row.name,
  createdAt: row.created_at.toISOString(),
});

/** Stored without its name (the row's key), as in SQLite; the name comes last, as there. */
const toSourceDeployment = (row: { name: string; deployment: Omit<SourceDeployment, 'name'> }): SourceDeployment => ({
  ...row.deployment,
  name: row.name,
});

const toSourceLink = (row: SourceLinkRow): SourceLinkRecord => ({
  orgId: row.org_id,
  linkId: row.link_id,
  atlasOrgId: row.atlas_org_id,
  atlasOrgName: row.atlas_org_name,
  publicKey: row.public_key,
  ha1: row.ha1,
  status: row.status as SourceLinkRecord['status'],
  reason: row.reason,
  syncedVersion: row.synced_version === null ? null : Number(row.synced_version),
  lastAttemptAt: row.last_attempt_at?.toISOString() ?? null,
  lastSyncedAt: row.last_synced_at?.toISOString() ?? null,
  createdAt: row.created_at.toISOString(),
});

const API_KEY_COLUMNS = 'id, org_id, public_key, ha1, private_key_hint, roles, access_list, description, purpose, created_at';
const SERVICE_ACCOUNT_COLUMNS = 'client_id, org_id, secret_hash, roles, access_list, name, created_at';
const SOURCE_LINK_COLUMNS =
  'org_id, link_id, atlas_org_id, atlas_org_name, public_key, ha1, status, reason, synced_version, last_attempt_at, last_synced_at, created_at';

// Named statements are parsed and planned once per connection.
const SQL = {
  insertOrg: { name: 'insert-org', text: 'INSERT INTO orgs (id, name, created_at) VALUES ($1, $2, $3)' },
  getOrg: { name: 'get-org', text: 'SELECT id, name, created_at FROM orgs WHERE id = $1' },
  countOrgs: { name: 'count-orgs', text: 'SELECT count(*)::int AS n FROM orgs' },
  listOrgs: { name: 'list-orgs', text: 'SELECT id, name, created_at FROM orgs ORDER BY created_at, id' },
  insertApiKey: {
    name: 'insert-api-key',
    text: `INSERT INTO api_keys (${API_KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
  },
  findApiKeyByPublicKey: { name: 'find-api-key', text: `SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE public_key = $1` },
  findApiKeyInOrg: { name: 'find-api-key-in-org', text: 'SELECT id FROM api_keys WHERE org_id = $1 AND public_key = $2' },
  listApiKeys: {
    name: 'list-api-keys',
    text: `SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE org_id = $1 ORDER BY created_at, public_key`,
  },
  deleteApiKeyById: { name: 'delete-api-key', text: 'DELETE FROM api_keys WHERE id = $1' },
  insertServiceAccount: {
    name: 'insert-service-account',
    text: `INSERT INTO service_accounts (${SERVICE_ACCOUNT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
  },
  findServiceAccount: {
    name: 'find-service-account',
    text: `SELECT ${SERVICE_ACCOUNT_COLUMNS} FROM service_accounts WHERE client_id = $1`,
  },
  listServiceAccounts: {
    name: 'list-service-accounts',
    text: `SELECT ${SERVICE_ACCOUNT_COLUMNS} FROM service_accounts WHERE org_id = $1 ORDER BY created_at, client_id`,
  },
  deleteServiceAccount: { name: 'delete-service-account', text: 'DELETE FROM service_accounts WHERE org_id = $1 AND client_id = $2' },
  getLink: { name: 'get-link', text: 'SELECT org_id, api_key_id, access_list_ips, created_at FROM links WHERE org_id = $1' },
  replaceLink: {
    name: 'replace-link',
    text: 'SELECT org_name, org_created_at, replaced_public_key FROM replace_link($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)',
  },
  // The org's row lock serialises this with replace_link (see migrations/postgres.ts).
  lockOrg: { name: 'lock-org', text: 'SELECT 1 FROM orgs WHERE id = $1 FOR NO KEY UPDATE' },
  getLinkKey: {
    name: 'get-link-key',
    text: 'SELECT api_keys.id, api_keys.public_key FROM links JOIN api_keys ON api_keys.id = links.api_key_id WHERE links.org_id = $1',
  },
  deleteLink: { name: 'delete-link', text: 'DELETE FROM links WHERE org_id = $1' },
  deleteLinkByKey: { name: 'delete-link-by-key', text: 'DELETE FROM links WHERE api_key_id = $1' },
  revokeAccessToken: {
    name: 'revoke-access-token',
    text: 'INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING',
  },
  // One row whether or not the account exists, so one round trip answers both questions.
  findTokenSubject: {
    name: 'find-token-subject',
    text: `SELECT EXISTS (SELECT 1 FROM revoked_access_tokens WHERE jti = $1) AS revoked, ${SERVICE_ACCOUNT_COLUMNS}
           FROM (SELECT 1) AS one LEFT JOIN service_accounts ON client_id = $2`,
  },
  useDigestNonce: {
    name: 'use-digest-nonce',
    text: 'INSERT INTO digest_nonce_uses (nonce, nc, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
  },
  lockBucket: { name: 'lock-bucket', text: 'SELECT tokens, refilled_at FROM rate_limit_buckets WHERE bucket = $1 FOR UPDATE' },
  insertBucket: {
    name: 'insert-bucket',
    text: 'INSERT INTO rate_limit_buckets (bucket, tokens, refilled_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
  },
  updateBucket: { name: 'update-bucket', text: 'UPDATE rate_limit_buckets SET tokens = $2, refilled_at = $3 WHERE bucket = $1' },
  getSecret: { name: 'get-secret', text: 'SELECT value FROM server_secrets WHERE name = $1' },
  insertSecret: { name: 'insert-secret', text: 'INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING' },
  pruneNonceUses: { name: 'prune-nonce-uses', text: 'DELETE FROM digest_nonce_uses WHERE expires_at < $1' },
  pruneRevokedTokens: { name: 'prune-revoked-tokens', text: 'DELETE FROM revoked_access_tokens WHERE expires_at < $1' },
  putAtlasInventory: {
    name: 'put-atlas-inventory',
    text: `INSERT INTO atlas_inventories (org_id, api_key_id, projects, received_at)
           SELECT $1::text, $2::text, $3::json, $4::timestamptz WHERE EXISTS (SELECT 1 FROM links WHERE org_id = $1 AND api_key_id = $2)
           ON CONFLICT (org_id) DO UPDATE
             SET api_key_id = excluded.api_key_id, projects = excluded.projects, received_at = excluded.received_at`,
  },
  deleteAtlasInventory: { name: 'delete-atlas-inventory', text: 'DELETE FROM atlas_inventories WHERE org_id = $1 AND api_key_id = $2' },
  getAtlasInventory: {
    name: 'get-atlas-inventory',
    text: `SELECT projects FROM atlas_inventories
           JOIN links ON links.org_id = atlas_inventories.org_id AND links.api_key_id = atlas_inventories.api_key_id
           WHERE atlas_inventories.org_id = $1`,
  },
  insertSourceProject: {
    name: 'insert-source-project',
    text: 'INSERT INTO source_projects (id, org_id, name, created_at) VALUES ($1, $2, $3, $4)',
  },
  getSourceProject: { name: 'get-source-project', text: 'SELECT id, org_id, name, created_at FROM source_projects WHERE id = $1' },
  listSourceProjects: {
    name: 'list-source-projects',
    text: 'SELECT id, org_id, name, created_at FROM source_projects WHERE org_id = $1 ORDER BY created_at, id',
  },
  upsertSourceDeployment: {
    name: 'upsert-source-deployment',
    text: `INSERT INTO source_deployments (project_id, name, deployment) VALUES ($1, $2, $3)
           ON CONFLICT (project_id, name) DO UPDATE SET deployment = excluded.deployment`,
  },
  deleteSourceDeployment: { name: 'delete-source-deployment', text: 'DELETE FROM source_deployments WHERE project_id = $1 AND name = $2' },
  // COLLATE "C": byte order, as SQLite sorts, whatever the database's collation.
  listSourceDeployments: {
    name: 'list-source-deployments',
    text: `SELECT d.project_id, d.name, d.deployment FROM source_deployments d
           JOIN source_projects p ON p.id = d.project_id WHERE p.org_id = $1 ORDER BY d.name COLLATE "C"`,
  },
  insertSourceMigrationHost: {
    name: 'insert-source-migration-host',
    text: 'INSERT INTO source_migration_hosts (project_id, hostname) VALUES ($1, $2) ON CONFLICT DO NOTHING',
  },
  deleteSourceMigrationHost: {
    name: 'delete-source-migration-host',
    text: 'DELETE FROM source_migration_hosts WHERE project_id = $1 AND hostname = $2',
  },
  listSourceMigrationHosts: {
    name: 'list-source-migration-hosts',
    text: `SELECT h.project_id, h.hostname FROM source_migration_hosts h
           JOIN source_projects p ON p.id = h.project_id WHERE p.org_id = $1 ORDER BY h.hostname COLLATE "C"`,
  },
  bumpInventoryVersion: { name: 'bump-inventory-version', text: 'UPDATE orgs SET inventory_version = inventory_version + 1 WHERE id = $1' },
  getInventoryVersion: { name: 'get-inventory-version', text: 'SELECT inventory_version FROM orgs WHERE id = $1' },
  putSourceLink: {
    name: 'put-source-link',
    text: `INSERT INTO source_links (${SOURCE_LINK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
           ON CONFLICT (org_id) DO UPDATE SET link_id = excluded.link_id, atlas_org_id = excluded.atlas_org_id,
             atlas_org_name = excluded.atlas_org_name, public_key = excluded.public_key, ha1 = excluded.ha1,
             status = excluded.status, reason = excluded.reason, synced_version = excluded.synced_version,
             last_attempt_at = excluded.last_attempt_at, last_synced_at = excluded.last_synced_at, created_at = excluded.created_at`,
  },
  getSourceLink: { name: 'get-source-link', text: `SELECT ${SOURCE_LINK_COLUMNS} FROM source_links WHERE org_id = $1` },
  listSourceLinks: { name: 'list-source-links', text: `SELECT ${SOURCE_LINK_COLUMNS} FROM source_links ORDER BY created_at, org_id` },
  deleteSourceLink: { name: 'delete-source-link', text: 'DELETE FROM source_links WHERE org_id = $1' },
  recordSourceLinkSync: {
    name: 'record-source-link-sync',
    text: `UPDATE source_links SET status = $1, reason = $2, synced_version = COALESCE($3, synced_version), last_attempt_at = $4,
             last_synced_at = CASE WHEN $1 = 'SYNCED' THEN $4 ELSE last_synced_at END
           WHERE org_id = $5 AND link_id = $6`,
  },
  schemaVersion: { name: 'schema-version', text: 'SELECT max(version) AS v FROM schema_migrations' },
} as const;

type Statement = (typeof SQL)[keyof typeof SQL];
type Queryable = pg.Pool | pg.PoolClient;

function asStoreError(error: unknown): unknown {
  if ((error as { code?: string } | null)?.code === '23505') return new UniqueViolationError((error as Error).message);
  return error;
}

async function query<R extends pg.QueryResultRow>(db: Queryable, statement: Statement, values: unknown[] = []): Promise<pg.QueryResult<R>> {
  try {
    return await db.query<R>({ name: statement.name, text: statement.text, values });
  } catch (error) {
    throw asStoreError(error);
  }
}

function apiKeyValues(key: ApiKeyRecord): unknown[] {
  return [
    key.id,
    key.orgId,
    key.publicKey,
    key.ha1,
    key.privateKeyHint,
    key.roles,
    key.accessList,
    key.description,
    key.purpose,
    key.createdAt,
  ];
}

function serviceAccountValues(account: ServiceAccountRecord): unknown[] {
  return [
    account.clientId,
    account.orgId,
    account.secretHash,
    account.roles,
    account.accessList,
    account.name,
    account.createdAt,
  ];
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

  private constructor(private readonly pool: pg.Pool) {}

  /** Connects, migrates to the current schema (once, even with several instances starting at once). */
  static async open(databaseUrl: string): Promise<PostgresStore> {
    const pool = new pg.Pool({
      connectionString: databaseUrl,
      max: POOL_SIZE,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      application_name: 'pushlink',
    });
    // An idle connection that breaks (a server restart) is dropped by the pool; the next query
    // opens a new one. Without a listener the error would end the process.
    pool.on('error', () => {});
    try {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw new StoreUnavailableError(`cannot connect to PostgreSQL at ${describeDatabaseUrl(databaseUrl)}: ${(error as Error).message}`);
      }
      try {
        await migrate(client);
      } finally {
        client.release();
      }
      return new PostgresStore(pool);
    } catch (error) {
      await pool.end();
      throw error;
    }
  }

  private async transaction<T>(run: (client: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query(begin);
      const result = await run(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw asStoreError(error);
    } finally {
      client.release(broken);
    }
  }

  async createOrg(org: Org): Promise<void> {
    await query(this.pool, SQL.insertOrg, [org.id, org.name, org.createdAt]);
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

  /**
   * A session advisory lock on a connection of its own: a second instance waits here until the
   * first has bootstrapped (and its count of orgs is then 1). If the holder dies, PostgreSQL ends
   * its session and the lock with it.
   */
  async withBootstrapLock<T>(run: () => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('SELECT pg_advisory_lock($1, $2)', [LOCK_NAMESPACE, BOOTSTRAP_LOCK]);
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

  async insertApiKey(key: ApiKeyRecord): Promise<void> {
    await query(this.pool, SQL.insertApiKey, apiKeyValues(key));
  }

  async findApiKeyByPublicKey(publicKey: string): Promise<ApiKeyRecord | undefined> {
    const { rows } = await query<ApiKeyRow>(this.pool, SQL.findApiKeyByPublicKey, [publicKey]);
    return rows[0] && toApiKey(rows[0]);
  }

  async listApiKeys(orgId: string): Promise<ApiKeyRecord[]> {
    return (await query<ApiKeyRow>(this.pool, SQL.listApiKeys, [orgId])).rows.map(toApiKey);
  }

  async deleteApiKey(orgId: string, publicKey: string): Promise<boolean> {
    return this.transaction(async (client) => {
      const { rows } = await query<{ id: string }>(client, SQL.findApiKeyInOrg, [orgId, publicKey]);
      if (!rows[0]) return false;
      await query(client, SQL.deleteLinkByKey, [rows[0].id]);
      await query(client, SQL.deleteApiKeyById, [rows[0].id]);
      return true;
    });
  }

  async insertServiceAccount(account: ServiceAccountRecord): Promise<void> {
    await query(this.pool, SQL.insertServiceAccount, serviceAccountValues(account));
  }

  async findServiceAccount(clientId: string): Promise<ServiceAccountRecord | undefined> {
    const { rows } = await query<ServiceAccountRow>(this.pool, SQL.findServiceAccount, [clientId]);
    return rows[0] && toServiceAccount(rows[0]);
  }

  async listServiceAccounts(orgId: string): Promise<ServiceAccountRecord[]> {
    return (await query<ServiceAccountRow>(this.pool, SQL.listServiceAccounts, [orgId])).rows.map(toServiceAccount);
  }

  async deleteServiceAccount(orgId: string, clientId: string): Promise<boolean> {
    return ((await query(this.pool, SQL.deleteServiceAccount, [orgId, clientId])).rowCount ?? 0) > 0;
  }

  async getLink(orgId: string): Promise<LinkRecord | undefined> {
    const { rows } = await query<LinkRow>(this.pool, SQL.getLink, [orgId]);
    return rows[0] && toLink(rows[0]);
  }

  async replaceLink(link: LinkRecord, key: ApiKeyRecord): Promise<{ org: Org; replacedPublicKey?: string } | undefined> {
    const { rows } = await query<{ org_name: string; org_created_at: Date; replaced_public_key: string | null }>(
      this.pool,
      SQL.replaceLink,
      [...apiKeyValues(key), link.accessListIps, link.createdAt],
    );
    const row = rows[0];
    if (!row) return undefined;
    const org: Org = { id: link.orgId, name: row.org_name, createdAt: row.org_created_at.toISOString() };
    return row.replaced_public_key === null ? { org } : { org, replacedPublicKey: row.replaced_public_key };
  }

  async deleteLink(orgId: string): Promise<boolean> {
    return this.transaction(async (client) => {
      await query(client, SQL.lockOrg, [orgId]);
      const { rows } = await query<{ id: string; public_key: string }>(client, SQL.getLinkKey, [orgId]);
      if (!rows[0]) return false;
      await query(client, SQL.deleteLink, [orgId]);
      await query(client, SQL.deleteApiKeyById, [rows[0].id]);
      return true;
    });
  }

  /** Under the org's row lock, as link changes take it, so the link cannot change between check and write. */
  putAtlasInventory(orgId: string, apiKeyId: string, projects: AvailableProject[], receivedAt: string): Promise<boolean> {
    return this.transaction(async (client) => {
      await query(client, SQL.lockOrg, [orgId]);
      const { rowCount } = await query(client, SQL.putAtlasInventory, [orgId, apiKeyId, JSON.stringify(projects), receivedAt]);
      return rowCount === 1;
    });
  }

  async deleteAtlasInventory(orgId: string, apiKeyId: string): Promise<boolean> {
    return (await query(this.pool, SQL.deleteAtlasInventory, [orgId, apiKeyId])).rowCount === 1;
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
    }, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  }

  async putSourceLink(link: SourceLinkRecord): Promise<void> {
    await query(this.pool, SQL.putSourceLink, [
      link.orgId,
      link.linkId,
      link.atlasOrgId,
      link.atlasOrgName,
      link.publicKey,
      link.ha1,
      link.status,
      link.reason,
      link.syncedVersion,
      link.lastAttemptAt,
      link.lastSyncedAt,
      link.createdAt,
    ]);
  }

  async getSourceLink(orgId: string): Promise<SourceLinkRecord | undefined> {
    const { rows } = await query<SourceLinkRow>(this.pool, SQL.getSourceLink, [orgId]);
    return rows[0] && toSourceLink(rows[0]);
  }

  async listSourceLinks(): Promise<SourceLinkRecord[]> {
    return (await query<SourceLinkRow>(this.pool, SQL.listSourceLinks)).rows.map(toSourceLink);
  }

  async deleteSourceLink(orgId: string): Promise<boolean> {
    return (await query(this.pool, SQL.deleteSourceLink, [orgId])).rowCount === 1;
  }

  async recordSourceLinkSync(orgId: string, linkId: string, sync: SourceLinkSync): Promise<boolean> {
    const values = [sync.status, sync.reason, sync.syncedVersion, sync.attemptedAt, orgId, linkId];
    return (await query(this.pool, SQL.recordSourceLinkSync, values)).rowCount === 1;
  }

  async revokeAccessToken(jti: string, expiresAtMs: number): Promise<void> {
    await query(this.pool, SQL.revokeAccessToken, [jti, expiresAtMs]);
  }

  async findTokenSubject(clientId: string, jti: string): Promise<{ account: ServiceAccountRecord | undefined; revoked: boolean }> {
    const { rows } = await query<ServiceAccountRow & { revoked: boolean }>(this.pool, SQL.findTokenSubject, [jti, clientId]);
    const row = rows[0]!;
    return { account: row.client_id === null ? undefined : toServiceAccount(row), revoked: row.revoked };
  }

  async useDigestNonce(nonce: string, nc: string, expiresAtMs: number): Promise<boolean> {
    return (await query(this.pool, SQL.useDigestNonce, [nonce, nc, expiresAtMs])).rowCount === 1;
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
    await query(this.pool, SQL.insertSecret, [name, create()]);
    return (await query<{ value: Buffer }>(this.pool, SQL.getSecret, [name])).rows[0]!.value;
  }

  async pruneExpired(nowMs: number): Promise<void> {
    await query(this.pool, SQL.pruneNonceUses, [nowMs]);
    await query(this.pool, SQL.pruneRevokedTokens, [nowMs]);
  }

  async ping(): Promise<void> {
    const { rows } = await query<{ v: number }>(this.pool, SQL.schemaVersion);
    if (rows[0]!.v !== POSTGRES_SCHEMA_VERSION) throw new Error(`schema version ${rows[0]!.v}, expected ${POSTGRES_SCHEMA_VERSION}`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/**
 * Applies missing schema steps in one transaction under an advisory lock: instances starting at
 * once migrate one after the other, and the later ones find nothing left to do.
 */
async function migrate(client: pg.PoolClient): Promise<void> {
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
