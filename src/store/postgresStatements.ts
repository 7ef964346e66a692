import pg from 'pg';
import {
  StoreUnavailableError,
  UniqueViolationError,
  type ApiKeyRecord,
  type LinkRecord,
  type Org,
  type OrgRole,
  type RetiredLinkKey,
  type ServiceAccountRecord,
  type SourceDeployment,
  type SourceLinkRecord,
  type SourceLinkWithdrawal,
  type SourceProject,
} from './store.js';

// The PostgreSQL back end's statements, row mappings and query helper (postgres.ts runs them).
// Named statements are parsed and planned once per connection.

export interface OrgRow {
  id: string;
  name: string;
  created_at: Date;
}

export interface ApiKeyRow {
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

export interface ServiceAccountRow {
  client_id: string;
  org_id: string;
  secret_hash: string;
  roles: string[];
  access_list: string[];
  name: string;
  created_at: Date;
}

export interface LinkRow {
  id: string;
  org_id: string;
  access_list: string[];
  created_at: Date;
}

export interface RetiredLinkKeyRow {
  public_key: string;
  org_id: string;
  retired_at: Date;
  reason: string;
}

export const toRetiredLinkKey = (row: RetiredLinkKeyRow): RetiredLinkKey => ({
  publicKey: row.public_key,
  orgId: row.org_id,
  retiredAt: row.retired_at.toISOString(),
  reason: row.reason as RetiredLinkKey['reason'],
});

export const toOrg = (row: OrgRow): Org => ({ id: row.id, name: row.name, createdAt: row.created_at.toISOString() });

export const toApiKey = (row: ApiKeyRow): ApiKeyRecord => ({
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

export const toServiceAccount = (row: ServiceAccountRow): ServiceAccountRecord => ({
  clientId: row.client_id,
  orgId: row.org_id,
  secretHash: row.secret_hash,
  roles: row.roles as OrgRole[],
  accessList: row.access_list,
  name: row.name,
  createdAt: row.created_at.toISOString(),
});

export const toLink = (row: LinkRow): LinkRecord => ({
  orgId: row.org_id,
  apiKeyId: row.id,
  accessListIps: row.access_list,
  createdAt: row.created_at.toISOString(),
});

export interface SourceProjectRow {
  id: string;
  org_id: string;
  name: string;
  created_at: Date;
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
  synced_version: string | null;
  last_attempt_at: Date | null;
  last_synced_at: Date | null;
  created_at: Date;
}

export const toSourceProject = (row: SourceProjectRow): SourceProject => ({
  id: row.id,
  orgId: row.org_id,
  name: row.name,
  createdAt: row.created_at.toISOString(),
});

/** Stored without its name (the row's key), as in SQLite; the name comes last, as there. */
export const toSourceDeployment = (row: { name: string; deployment: Omit<SourceDeployment, 'name'> }): SourceDeployment => ({
  ...row.deployment,
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
  syncedVersion: row.synced_version === null ? null : Number(row.synced_version),
  lastAttemptAt: row.last_attempt_at?.toISOString() ?? null,
  lastSyncedAt: row.last_synced_at?.toISOString() ?? null,
  createdAt: row.created_at.toISOString(),
});

export interface SourceLinkWithdrawalRow {
  link_id: string;
  org_id: string;
  atlas_org_id: string;
  public_key: string;
  ha1: string;
  recorded_at: Date;
}

export const toSourceLinkWithdrawal = (row: SourceLinkWithdrawalRow): SourceLinkWithdrawal => ({
  linkId: row.link_id,
  orgId: row.org_id,
  atlasOrgId: row.atlas_org_id,
  publicKey: row.public_key,
  ha1: row.ha1,
  recordedAt: row.recorded_at.toISOString(),
});

const API_KEY_COLUMNS = 'id, org_id, public_key, ha1, private_key_hint, roles, access_list, description, purpose, created_at';
const SERVICE_ACCOUNT_COLUMNS = 'client_id, org_id, secret_hash, roles, access_list, name, created_at';
const SOURCE_LINK_COLUMNS =
  'org_id, link_id, atlas_org_id, atlas_org_name, public_key, ha1, status, reason, synced_version, last_attempt_at, last_synced_at, created_at';
const SOURCE_LINK_WITHDRAWAL_COLUMNS = 'link_id, org_id, atlas_org_id, public_key, ha1, recorded_at';

export const SQL = {
  insertOrg: { name: 'insert-org', text: 'INSERT INTO orgs (id, name, created_at) VALUES ($1, $2, $3)' },
  getOrg: { name: 'get-org', text: 'SELECT id, name, created_at FROM orgs WHERE id = $1' },
  countOrgs: { name: 'count-orgs', text: 'SELECT count(*)::int AS n FROM orgs' },
  listOrgs: { name: 'list-orgs', text: 'SELECT id, name, created_at FROM orgs ORDER BY created_at, id' },
  insertApiKey: {
    name: 'insert-api-key',
    text: `INSERT INTO api_keys (${API_KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
  },
  findApiKeyByPublicKey: { name: 'find-api-key', text: `SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE public_key = $1` },
  listApiKeys: {
    name: 'list-api-keys',
    text: `SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE org_id = $1 ORDER BY created_at, public_key`,
  },
  deleteApiKeyInOrg: {
    name: 'delete-api-key-in-org',
    text: 'DELETE FROM api_keys WHERE org_id = $1 AND public_key = $2 RETURNING purpose',
  },
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
  getLink: {
    name: 'get-link',
    text: "SELECT id, org_id, access_list, created_at FROM api_keys WHERE org_id = $1 AND purpose = 'LIVE_MIGRATION_LINK'",
  },
  replaceLink: {
    name: 'replace-link',
    text: 'SELECT org_name, org_created_at, replaced_public_key FROM replace_link($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
  },
  // The org's row lock serialises this with replace_link (see migrations/postgres.ts).
  lockOrg: { name: 'lock-org', text: 'SELECT 1 FROM orgs WHERE id = $1 FOR NO KEY UPDATE' },
  deleteLinkKey: {
    name: 'delete-link-key',
    text: "DELETE FROM api_keys WHERE org_id = $1 AND purpose = 'LIVE_MIGRATION_LINK' RETURNING public_key",
  },
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
  // One chunk each: ($1 expired before, at most $2 rows), found through the expiry index. SKIP
  // LOCKED: instances pruning at once take different rows instead of waiting for each other.
  pruneNonceUses: {
    name: 'prune-nonce-uses',
    text: `DELETE FROM digest_nonce_uses WHERE (nonce, nc) IN
             (SELECT nonce, nc FROM digest_nonce_uses WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
  },
  pruneRevokedTokens: {
    name: 'prune-revoked-tokens',
    text: `DELETE FROM revoked_access_tokens WHERE jti IN
             (SELECT jti FROM revoked_access_tokens WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
  },
  pruneRetiredLinkKeys: {
    name: 'prune-retired-link-keys',
    // As SQLite's: the first $2 rows in seq order (retirement order), deleted up to the first one
    // retired at or after $1. Rows another instance is pruning are skipped, not waited for.
    text: `WITH head AS (SELECT seq, retired_at FROM retired_link_keys ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED)
           DELETE FROM retired_link_keys r USING head
            WHERE r.seq = head.seq
              AND head.seq < coalesce((SELECT min(seq) FROM head WHERE retired_at >= $1), 9223372036854775807)`,
  },
  putAtlasInventory: {
    name: 'put-atlas-inventory',
    text: `INSERT INTO atlas_inventories (org_id, api_key_id, projects, received_at)
           SELECT $1::text, $2::text, $3::json, $4::timestamptz
           WHERE EXISTS (SELECT 1 FROM api_keys WHERE id = $2 AND org_id = $1 AND purpose = 'LIVE_MIGRATION_LINK')
           ON CONFLICT (org_id) DO UPDATE
             SET api_key_id = excluded.api_key_id, projects = excluded.projects, received_at = excluded.received_at`,
  },
  deleteAtlasInventory: { name: 'delete-atlas-inventory', text: 'DELETE FROM atlas_inventories WHERE org_id = $1 AND api_key_id = $2' },
  getAtlasInventory: {
    name: 'get-atlas-inventory',
    text: `SELECT projects FROM atlas_inventories
           JOIN api_keys ON api_keys.id = atlas_inventories.api_key_id AND api_keys.purpose = 'LIVE_MIGRATION_LINK'
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
  deleteSourceLink: {
    name: 'delete-source-link',
    text: `DELETE FROM source_links WHERE org_id = $1 AND link_id = $2 RETURNING ${SOURCE_LINK_COLUMNS}`,
  },
  sourceLinkUsesKey: {
    name: 'source-link-uses-key',
    text: 'SELECT 1 FROM source_links WHERE atlas_org_id = $1 AND public_key = $2 LIMIT 1',
  },
  insertSourceLinkWithdrawal: {
    name: 'insert-source-link-withdrawal',
    text: `INSERT INTO source_link_withdrawals (${SOURCE_LINK_WITHDRAWAL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)`,
  },
  cancelSourceLinkWithdrawals: {
    name: 'cancel-source-link-withdrawals',
    text: 'DELETE FROM source_link_withdrawals WHERE atlas_org_id = $1 AND public_key = $2',
  },
  listSourceLinkWithdrawals: {
    name: 'list-source-link-withdrawals',
    text: `SELECT ${SOURCE_LINK_WITHDRAWAL_COLUMNS} FROM source_link_withdrawals ORDER BY recorded_at, link_id`,
  },
  deleteSourceLinkWithdrawal: { name: 'delete-source-link-withdrawal', text: 'DELETE FROM source_link_withdrawals WHERE link_id = $1' },
  recordSourceLinkSync: {
    name: 'record-source-link-sync',
    text: `UPDATE source_links SET status = $1, reason = $2, synced_version = COALESCE($3, synced_version), last_attempt_at = $4,
             last_synced_at = CASE WHEN $1 = 'SYNCED' THEN $4 ELSE last_synced_at END
           WHERE org_id = $5 AND link_id = $6`,
  },
  // $1: the versions of the steps this code knows; `known` counts those that are applied.
  schemaVersion: {
    name: 'schema-version',
    text: 'SELECT max(version) AS latest, count(*) FILTER (WHERE version = ANY($1::int[]))::int AS known FROM schema_migrations',
  },
  retireLinkKey: {
    name: 'retire-link-key',
    text: "INSERT INTO retired_link_keys (public_key, org_id, retired_at, reason) VALUES ($1, $2, $3, 'DELETED')",
  },
  findRetiredLinkKey: {
    name: 'find-retired-link-key',
    text: 'SELECT public_key, org_id, retired_at, reason FROM retired_link_keys WHERE org_id = $1 AND public_key = $2 ORDER BY seq DESC LIMIT 1',
  },
} as const;

export type Statement = (typeof SQL)[keyof typeof SQL];
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

export function apiKeyValues(key: ApiKeyRecord): unknown[] {
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

export function serviceAccountValues(account: ServiceAccountRecord): unknown[] {
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
