import type { Database, Statement } from 'better-sqlite3';
import { SQLITE_MIGRATIONS } from './migrations/sqlite.js';
import type {
  ApiKeyRecord,
  LinkRecord,
  Org,
  OrgRole,
  RetiredLinkKey,
  ServiceAccountRecord,
  SourceDeployment,
  SourceLinkRecord,
  SourceLinkWithdrawal,
  SourceProject,
} from './store.js';

// The SQLite back end's prepared statements and row mappings, shared by the main thread (reads)
// and the writer thread (writes).

export interface OrgRow {
  id: string;
  name: string;
  created_at: string;
}

export interface ApiKeyRow {
  id: string;
  org_id: string;
  public_key: string;
  ha1: string;
  private_key_hint: string;
  roles: string;
  access_list: string;
  description: string;
  purpose: string;
  created_at: string;
}

export interface ServiceAccountRow {
  client_id: string;
  org_id: string;
  secret_hash: string;
  roles: string;
  access_list: string;
  name: string;
  created_at: string;
}

export interface LinkRow {
  id: string;
  org_id: string;
  access_list: string;
  created_at: string;
}

export interface SourceProjectRow {
  id: string;
  org_id: string;
  name: string;
  created_at: string;
}

export interface SourceLinkRow {
  org_id: string;
  link_id: string;
  atlas_org_id: string;
  atlas_org_name: string;
  public_key: string;
  ha1: string;
  status: string;
  reason: string | null;
  synced_version: number | null;
  last_attempt_at: string | null;
  last_synced_at: string | null;
  created_at: string;
}

export const toSourceProject = (row: SourceProjectRow): SourceProject => ({
  id: row.id,
  orgId: row.org_id,
  name: row.name,
  createdAt: row.created_at,
});

export const toSourceDeployment = (row: { name: string; deployment: string }): SourceDeployment => ({
  ...(JSON.parse(row.deployment) as Omit<SourceDeployment, 'name'>),
  name: row.name,
});

export const toSourceLink = (row: SourceLinkRow): SourceLinkRecord => ({
  orgId: row.org_id,
  linkId: row.link_id,
  atlasOrgId: row.atlas_org_id,
  atlasOrgName: row.atlas_org_name,
  publicKey: row.public_key,
  ha1: row.ha1,
  status: row.status as SourceLinkRecord['status'],
  reason: row.reason,
  syncedVersion: row.synced_version,
  lastAttemptAt: row.last_attempt_at,
  lastSyncedAt: row.last_synced_at,
  createdAt: row.created_at,
});

export interface SourceLinkWithdrawalRow {
  link_id: string;
  org_id: string;
  atlas_org_id: string;
  public_key: string;
  ha1: string;
  recorded_at: string;
}

export const toSourceLinkWithdrawal = (row: SourceLinkWithdrawalRow): SourceLinkWithdrawal => ({
  linkId: row.link_id,
  orgId: row.org_id,
  atlasOrgId: row.atlas_org_id,
  publicKey: row.public_key,
  ha1: row.ha1,
  recordedAt: row.recorded_at,
});

export interface RetiredLinkKeyRow {
  public_key: string;
  org_id: string;
  retired_at: string;
  reason: string;
}

export const toOrg = (row: OrgRow): Org => ({ id: row.id, name: row.name, createdAt: row.created_at });

export const toApiKey = (row: ApiKeyRow): ApiKeyRecord => ({
  id: row.id,
  orgId: row.org_id,
  publicKey: row.public_key,
  ha1: row.ha1,
  privateKeyHint: row.private_key_hint,
  roles: JSON.parse(row.roles) as OrgRole[],
  accessList: JSON.parse(row.access_list) as string[],
  description: row.description,
  purpose: row.purpose as ApiKeyRecord['purpose'],
  createdAt: row.created_at,
});

export const toServiceAccount = (row: ServiceAccountRow): ServiceAccountRecord => ({
  clientId: row.client_id,
  orgId: row.org_id,
  secretHash: row.secret_hash,
  roles: JSON.parse(row.roles) as OrgRole[],
  accessList: JSON.parse(row.access_list) as string[],
  name: row.name,
  createdAt: row.created_at,
});

export const toLink = (row: LinkRow): LinkRecord => ({
  orgId: row.org_id,
  apiKeyId: row.id,
  accessListIps: JSON.parse(row.access_list) as string[],
  createdAt: row.created_at,
});

export const toRetiredLinkKey = (row: RetiredLinkKeyRow): RetiredLinkKey => ({
  publicKey: row.public_key,
  orgId: row.org_id,
  retiredAt: row.retired_at,
  reason: row.reason as RetiredLinkKey['reason'],
});

/**
 * WAL, so the server and admin commands can use the file at once. synchronous=NORMAL makes a
 * COMMIT write the WAL without waiting for the disk; group commit (groupCommit.ts) then fsyncs the
 * WAL before it acknowledges anything, which makes acknowledged writes as durable as FULL.
 */
export function configureConnection(db: Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
}

export function prepareStatements(db: Database) {
  const p = (sql: string): Statement => db.prepare(sql);
  return {
    insertOrg: p('INSERT INTO orgs (id, name, created_at) VALUES (?, ?, ?)'),
    getOrg: p('SELECT id, name, created_at FROM orgs WHERE id = ?'),
    countOrgs: p('SELECT COUNT(*) AS n FROM orgs'),
    listOrgs: p('SELECT id, name, created_at FROM orgs ORDER BY created_at, id'),
    insertApiKey: p(
      `INSERT INTO api_keys (id, org_id, public_key, ha1, private_key_hint, roles, access_list, description, purpose, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    findApiKeyByPublicKey: p('SELECT * FROM api_keys WHERE public_key = ?'),
    findApiKeyInOrg: p('SELECT id, purpose FROM api_keys WHERE org_id = ? AND public_key = ?'),
    listApiKeys: p('SELECT * FROM api_keys WHERE org_id = ? ORDER BY created_at, public_key'),
    deleteApiKeyById: p('DELETE FROM api_keys WHERE id = ?'),
    insertServiceAccount: p(
      `INSERT INTO service_accounts (client_id, org_id, secret_hash, roles, access_list, name, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    findServiceAccount: p('SELECT * FROM service_accounts WHERE client_id = ?'),
    listServiceAccounts: p('SELECT * FROM service_accounts WHERE org_id = ? ORDER BY created_at, client_id'),
    deleteServiceAccount: p('DELETE FROM service_accounts WHERE org_id = ? AND client_id = ?'),
    getLink: p("SELECT id, org_id, access_list, created_at FROM api_keys WHERE org_id = ? AND purpose = 'LIVE_MIGRATION_LINK'"),
    deleteLinkKey: p(
      "DELETE FROM api_keys WHERE org_id = ? AND purpose = 'LIVE_MIGRATION_LINK' RETURNING public_key",
    ).pluck(),
    retireLinkKey: p('INSERT INTO retired_link_keys (public_key, org_id, retired_at, reason) VALUES (?, ?, ?, ?)'),
    // The latest record wins should a public key ever be minted again after it was retired.
    findRetiredLinkKey: p(
      'SELECT public_key, org_id, retired_at, reason FROM retired_link_keys WHERE org_id = ? AND public_key = ? ORDER BY rowid DESC LIMIT 1',
    ),
    revokeAccessToken: p('INSERT OR IGNORE INTO revoked_access_tokens (jti, expires_at) VALUES (?, ?)'),
    isAccessTokenRevoked: p('SELECT 1 FROM revoked_access_tokens WHERE jti = ?'),
    findTokenSubject: p(
      'SELECT service_accounts.*, EXISTS (SELECT 1 FROM revoked_access_tokens WHERE jti = ?) AS revoked FROM service_accounts WHERE client_id = ?',
    ),
    useDigestNonce: p('INSERT OR IGNORE INTO digest_nonce_uses (nonce, nc, expires_at) VALUES (?, ?, ?)'),
    getBucket: p('SELECT tokens, refilled_at FROM rate_limit_buckets WHERE bucket = ?'),
    putBucket: p(
      'INSERT INTO rate_limit_buckets (bucket, tokens, refilled_at) VALUES (?, ?, ?) ON CONFLICT(bucket) DO UPDATE SET tokens = excluded.tokens, refilled_at = excluded.refilled_at',
    ),
    getSecret: p('SELECT value FROM server_secrets WHERE name = ?'),
    insertSecretIfAbsent: p('INSERT OR IGNORE INTO server_secrets (name, value) VALUES (?, ?)'),
    // One chunk each: (expired before, at most this many rows), found through the expiry index.
    pruneNonceUses: p(
      'DELETE FROM digest_nonce_uses WHERE (nonce, nc) IN (SELECT nonce, nc FROM digest_nonce_uses WHERE expires_at < ? LIMIT ?)',
    ),
    pruneRevokedTokens: p(
      'DELETE FROM revoked_access_tokens WHERE jti IN (SELECT jti FROM revoked_access_tokens WHERE expires_at < ? LIMIT ?)',
    ),
    // The chunk is the table's first @limit rows in rowid order (retirement order), deleted up to
    // the first one retired at or after @before: never more rows read than the chunk, whatever the
    // table holds, and no index to keep on the hot write. A record out of order (the clock was set
    // back) holds the ones behind it until it is old enough itself.
    pruneRetiredLinkKeys: p(
      `WITH head AS (SELECT rowid AS id, retired_at FROM retired_link_keys ORDER BY rowid LIMIT @limit)
       DELETE FROM retired_link_keys WHERE rowid IN (SELECT id FROM head)
         AND rowid < coalesce((SELECT min(id) FROM head WHERE retired_at >= @before), 9223372036854775807)`,
    ),
    putAtlasInventory: p(
      `INSERT INTO atlas_inventories (org_id, api_key_id, projects, received_at)
       SELECT @orgId, @apiKeyId, @projects, @receivedAt
       WHERE EXISTS (SELECT 1 FROM api_keys WHERE id = @apiKeyId AND org_id = @orgId AND purpose = 'LIVE_MIGRATION_LINK')
       ON CONFLICT (org_id) DO UPDATE SET api_key_id = excluded.api_key_id, projects = excluded.projects, received_at = excluded.received_at`,
    ),
    deleteAtlasInventory: p('DELETE FROM atlas_inventories WHERE org_id = ? AND api_key_id = ?'),
    getAtlasInventory: p(
      "SELECT projects FROM atlas_inventories JOIN api_keys ON api_keys.id = atlas_inventories.api_key_id AND api_keys.purpose = 'LIVE_MIGRATION_LINK' WHERE atlas_inventories.org_id = ?",
    ).pluck(),
    insertSourceProject: p('INSERT INTO source_projects (id, org_id, name, created_at) VALUES (?, ?, ?, ?)'),
    getSourceProject: p('SELECT * FROM source_projects WHERE id = ?'),
    listSourceProjects: p('SELECT * FROM source_projects WHERE org_id = ? ORDER BY created_at, id'),
    upsertSourceDeployment: p(
      'INSERT INTO source_deployments (project_id, name, deployment) VALUES (?, ?, ?) ON CONFLICT (project_id, name) DO UPDATE SET deployment = excluded.deployment',
    ),
    deleteSourceDeployment: p('DELETE FROM source_deployments WHERE project_id = ? AND name = ?'),
    listSourceDeployments: p(
      'SELECT source_deployments.project_id AS project_id, source_deployments.name AS name, deployment FROM source_deployments JOIN source_projects ON source_projects.id = source_deployments.project_id WHERE source_projects.org_id = ? ORDER BY source_deployments.name',
    ),
    insertSourceMigrationHost: p('INSERT OR IGNORE INTO source_migration_hosts (project_id, hostname) VALUES (?, ?)'),
    deleteSourceMigrationHost: p('DELETE FROM source_migration_hosts WHERE project_id = ? AND hostname = ?'),
    listSourceMigrationHosts: p(
      'SELECT project_id, hostname FROM source_migration_hosts JOIN source_projects ON source_projects.id = source_migration_hosts.project_id WHERE source_projects.org_id = ? ORDER BY hostname',
    ),
    bumpInventoryVersion: p('UPDATE orgs SET inventory_version = inventory_version + 1 WHERE id = ?'),
    getInventoryVersion: p('SELECT inventory_version FROM orgs WHERE id = ?').pluck(),
    putSourceLink: p(
      `INSERT INTO source_links (org_id, link_id, atlas_org_id, atlas_org_name, public_key, ha1, status, reason, synced_version, last_attempt_at, last_synced_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (org_id) DO UPDATE SET link_id = excluded.link_id, atlas_org_id = excluded.atlas_org_id,
         atlas_org_name = excluded.atlas_org_name, public_key = excluded.public_key, ha1 = excluded.ha1,
         status = excluded.status, reason = excluded.reason, synced_version = excluded.synced_version,
         last_attempt_at = excluded.last_attempt_at, last_synced_at = excluded.last_synced_at, created_at = excluded.created_at`,
    ),
    getSourceLink: p('SELECT * FROM source_links WHERE org_id = ?'),
    listSourceLinks: p('SELECT * FROM source_links ORDER BY created_at, org_id'),
    deleteSourceLink: p('DELETE FROM source_links WHERE org_id = ? AND link_id = ? RETURNING *'),
    sourceLinkUsesKey: p('SELECT 1 FROM source_links WHERE atlas_org_id = ? AND public_key = ? LIMIT 1').pluck(),
    insertSourceLinkWithdrawal: p(
      'INSERT INTO source_link_withdrawals (link_id, org_id, atlas_org_id, public_key, ha1, recorded_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    cancelSourceLinkWithdrawals: p('DELETE FROM source_link_withdrawals WHERE atlas_org_id = ? AND public_key = ?'),
    listSourceLinkWithdrawals: p('SELECT * FROM source_link_withdrawals ORDER BY recorded_at, link_id'),
    deleteSourceLinkWithdrawal: p('DELETE FROM source_link_withdrawals WHERE link_id = ?'),
    recordSourceLinkSync: p(
      `UPDATE source_links SET status = ?, reason = ?, synced_version = COALESCE(?, synced_version), last_attempt_at = ?,
         last_synced_at = CASE WHEN ? = 'SYNCED' THEN ? ELSE last_synced_at END
       WHERE org_id = ? AND link_id = ?`,
    ),
    schemaVersion: p(
      `SELECT (SELECT MAX(version) FROM schema_migrations) AS latest,
              (SELECT COUNT(*) FROM schema_migrations WHERE version IN (${SQLITE_MIGRATIONS.map((m) => m.version).join(', ')})) AS known`,
    ),
    dataVersion: p('PRAGMA data_version').pluck(),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
