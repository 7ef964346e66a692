import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
import { GroupCommitter } from './groupCommit.js';
import { SQLITE_MIGRATIONS, SQLITE_SCHEMA_VERSION } from './migrations/sqlite.js';
import { takeToken, type BucketState } from './tokenBucket.js';
import {
  UniqueViolationError,
  type ApiKeyRecord,
  type LinkRecord,
  type Org,
  type OrgRole,
  type RateLimitDecision,
  type RateLimitPolicy,
  type ServiceAccountRecord,
  type Store,
} from './store.js';

export const SQLITE_FILE_NAME = 'pushlink.db';

interface ApiKeyRow {
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

interface ServiceAccountRow {
  client_id: string;
  org_id: string;
  secret_hash: string;
  roles: string;
  access_list: string;
  name: string;
  created_at: string;
}

interface LinkRow {
  org_id: string;
  api_key_id: string;
  access_list_ips: string;
  created_at: string;
}

interface OrgRow {
  id: string;
  name: string;
  created_at: string;
}

const toOrg = (row: OrgRow): Org => ({ id: row.id, name: row.name, createdAt: row.created_at });

const toApiKey = (row: ApiKeyRow): ApiKeyRecord => ({
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

const toServiceAccount = (row: ServiceAccountRow): ServiceAccountRecord => ({
  clientId: row.client_id,
  orgId: row.org_id,
  secretHash: row.secret_hash,
  roles: JSON.parse(row.roles) as OrgRole[],
  accessList: JSON.parse(row.access_list) as string[],
  name: row.name,
  createdAt: row.created_at,
});

const toLink = (row: LinkRow): LinkRecord => ({
  orgId: row.org_id,
  apiKeyId: row.api_key_id,
  accessListIps: JSON.parse(row.access_list_ips) as string[],
  createdAt: row.created_at,
});

function rethrowUnique(error: unknown): never {
  if (error instanceof Error && (error as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT_UNIQUE')) {
    throw new UniqueViolationError(error.message);
  }
  if (error instanceof Error && (error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    throw new UniqueViolationError(error.message);
  }
  throw error;
}

/**
 * SQLite in WAL mode with synchronous=FULL: a committed transaction survives a killed process and
 * a power cut. Reads run at once on the main connection; writes go through group commit.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly db: Database;
  readonly committer: GroupCommitter;
  private readonly statements: ReturnType<typeof prepareStatements>;

  private constructor(db: Database) {
    this.db = db;
    this.statements = prepareStatements(db);
    this.committer = new GroupCommitter(db);
  }

  static open(dataDir: string): SqliteStore {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const file = path.join(dataDir, SQLITE_FILE_NAME);
    const db = new BetterSqlite3(file);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      migrate(db);
      return new SqliteStore(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  async createOrg(org: Org): Promise<void> {
    await this.committer.write(() => this.statements.insertOrg.run(org.id, org.name, org.createdAt));
  }

  async getOrg(orgId: string): Promise<Org | undefined> {
    const row = this.statements.getOrg.get(orgId) as OrgRow | undefined;
    return row && toOrg(row);
  }

  async countOrgs(): Promise<number> {
    return (this.statements.countOrgs.get() as { n: number }).n;
  }

  async insertBootstrap(org: Org, key: ApiKeyRecord, account: ServiceAccountRecord): Promise<void> {
    await this.committer.write(() => {
      this.statements.insertOrg.run(org.id, org.name, org.createdAt);
      this.insertApiKeyNow(key);
      this.insertServiceAccountNow(account);
    });
  }

  async listOrgs(): Promise<Org[]> {
    return (this.statements.listOrgs.all() as OrgRow[]).map(toOrg);
  }

  async insertApiKey(key: ApiKeyRecord): Promise<void> {
    await this.committer.write(() => this.insertApiKeyNow(key));
  }

  private insertApiKeyNow(key: ApiKeyRecord): void {
    try {
      this.statements.insertApiKey.run(
        key.id,
        key.orgId,
        key.publicKey,
        key.ha1,
        key.privateKeyHint,
        JSON.stringify(key.roles),
        JSON.stringify(key.accessList),
        key.description,
        key.purpose,
        key.createdAt,
      );
    } catch (error) {
      rethrowUnique(error);
    }
  }

  async findApiKeyByPublicKey(publicKey: string): Promise<ApiKeyRecord | undefined> {
    const row = this.statements.findApiKeyByPublicKey.get(publicKey) as ApiKeyRow | undefined;
    return row && toApiKey(row);
  }

  async listApiKeys(orgId: string): Promise<ApiKeyRecord[]> {
    return (this.statements.listApiKeys.all(orgId) as ApiKeyRow[]).map(toApiKey);
  }

  async deleteApiKey(orgId: string, publicKey: string): Promise<boolean> {
    return this.committer.write(() => {
      const row = this.statements.findApiKeyInOrg.get(orgId, publicKey) as { id: string } | undefined;
      if (!row) return false;
      this.statements.deleteLinkByKey.run(row.id);
      this.statements.deleteApiKeyById.run(row.id);
      return true;
    });
  }

  async insertServiceAccount(account: ServiceAccountRecord): Promise<void> {
    await this.committer.write(() => this.insertServiceAccountNow(account));
  }

  private insertServiceAccountNow(account: ServiceAccountRecord): void {
    try {
      this.statements.insertServiceAccount.run(
        account.clientId,
        account.orgId,
        account.secretHash,
        JSON.stringify(account.roles),
        JSON.stringify(account.accessList),
        account.name,
        account.createdAt,
      );
    } catch (error) {
      rethrowUnique(error);
    }
  }

  async findServiceAccount(clientId: string): Promise<ServiceAccountRecord | undefined> {
    const row = this.statements.findServiceAccount.get(clientId) as ServiceAccountRow | undefined;
    return row && toServiceAccount(row);
  }

  async listServiceAccounts(orgId: string): Promise<ServiceAccountRecord[]> {
    return (this.statements.listServiceAccounts.all(orgId) as ServiceAccountRow[]).map(toServiceAccount);
  }

  async deleteServiceAccount(orgId: string, clientId: string): Promise<boolean> {
    return this.committer.write(() => this.statements.deleteServiceAccount.run(orgId, clientId).changes > 0);
  }

  async getLink(orgId: string): Promise<LinkRecord | undefined> {
    const row = this.statements.getLink.get(orgId) as LinkRow | undefined;
    return row && toLink(row);
  }

  async replaceLink(link: LinkRecord, key: ApiKeyRecord): Promise<{ replacedPublicKey?: string }> {
    return this.committer.write(() => {
      const previous = this.statements.getLinkKey.get(link.orgId) as { id: string; public_key: string } | undefined;
      if (previous) {
        this.statements.deleteLink.run(link.orgId);
        this.statements.deleteApiKeyById.run(previous.id);
      }
      this.insertApiKeyNow(key);
      this.statements.insertLink.run(link.orgId, link.apiKeyId, JSON.stringify(link.accessListIps), link.createdAt);
      return previous ? { replacedPublicKey: previous.public_key } : {};
    });
  }

  async deleteLink(orgId: string): Promise<boolean> {
    return this.committer.write(() => {
      const previous = this.statements.getLinkKey.get(orgId) as { id: string } | undefined;
      if (!previous) return false;
      this.statements.deleteLink.run(orgId);
      this.statements.deleteApiKeyById.run(previous.id);
      return true;
    });
  }

  async revokeAccessToken(jti: string, expiresAtMs: number): Promise<void> {
    await this.committer.write(() => this.statements.revokeAccessToken.run(jti, expiresAtMs));
  }

  async isAccessTokenRevoked(jti: string): Promise<boolean> {
    return this.statements.isAccessTokenRevoked.get(jti) !== undefined;
  }

  async useDigestNonce(nonce: string, nc: string, expiresAtMs: number): Promise<boolean> {
    return this.committer.write(() => this.statements.useDigestNonce.run(nonce, nc, expiresAtMs).changes === 1);
  }

  async takeRateLimitToken(bucket: string, policy: RateLimitPolicy, nowMs: number): Promise<RateLimitDecision> {
    return this.committer.write(() => {
      const row = this.statements.getBucket.get(bucket) as { tokens: number; refilled_at: number } | undefined;
      const state: BucketState | undefined = row && { tokens: row.tokens, refilledAt: row.refilled_at };
      const { next, decision } = takeToken(state, policy, nowMs);
      this.statements.putBucket.run(bucket, next.tokens, next.refilledAt);
      return decision;
    });
  }

  async getOrCreateSecret(name: string, create: () => Buffer): Promise<Buffer> {
    const existing = this.statements.getSecret.get(name) as { value: Buffer } | undefined;
    if (existing) return existing.value;
    return this.committer.write(() => {
      this.statements.insertSecretIfAbsent.run(name, create());
      return (this.statements.getSecret.get(name) as { value: Buffer }).value;
    });
  }

  async pruneExpired(nowMs: number): Promise<void> {
    await this.committer.write(() => {
      this.statements.pruneNonceUses.run(nowMs);
      this.statements.pruneRevokedTokens.run(nowMs);
    });
  }

  async ping(): Promise<void> {
    const row = this.db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number };
    if (row.v !== SQLITE_SCHEMA_VERSION) throw new Error(`schema version ${row.v}, expected ${SQLITE_SCHEMA_VERSION}`);
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    this.committer.close();
    this.db.close();
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

function prepareStatements(db: Database) {
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
    findApiKeyInOrg: p('SELECT id FROM api_keys WHERE org_id = ? AND public_key = ?'),
    listApiKeys: p('SELECT * FROM api_keys WHERE org_id = ? ORDER BY created_at, public_key'),
    deleteApiKeyById: p('DELETE FROM api_keys WHERE id = ?'),
    insertServiceAccount: p(
      `INSERT INTO service_accounts (client_id, org_id, secret_hash, roles, access_list, name, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    findServiceAccount: p('SELECT * FROM service_accounts WHERE client_id = ?'),
    listServiceAccounts: p('SELECT * FROM service_accounts WHERE org_id = ? ORDER BY created_at, client_id'),
    deleteServiceAccount: p('DELETE FROM service_accounts WHERE org_id = ? AND client_id = ?'),
    getLink: p('SELECT * FROM links WHERE org_id = ?'),
    getLinkKey: p(
      'SELECT api_keys.id AS id, api_keys.public_key AS public_key FROM links JOIN api_keys ON api_keys.id = links.api_key_id WHERE links.org_id = ?',
    ),
    insertLink: p('INSERT INTO links (org_id, api_key_id, access_list_ips, created_at) VALUES (?, ?, ?, ?)'),
    deleteLink: p('DELETE FROM links WHERE org_id = ?'),
    deleteLinkByKey: p('DELETE FROM links WHERE api_key_id = ?'),
    revokeAccessToken: p('INSERT OR IGNORE INTO revoked_access_tokens (jti, expires_at) VALUES (?, ?)'),
    isAccessTokenRevoked: p('SELECT 1 FROM revoked_access_tokens WHERE jti = ?'),
    useDigestNonce: p('INSERT OR IGNORE INTO digest_nonce_uses (nonce, nc, expires_at) VALUES (?, ?, ?)'),
    getBucket: p('SELECT tokens, refilled_at FROM rate_limit_buckets WHERE bucket = ?'),
    putBucket: p(
      'INSERT INTO rate_limit_buckets (bucket, tokens, refilled_at) VALUES (?, ?, ?) ON CONFLICT(bucket) DO UPDATE SET tokens = excluded.tokens, refilled_at = excluded.refilled_at',
    ),
    getSecret: p('SELECT value FROM server_secrets WHERE name = ?'),
    insertSecretIfAbsent: p('INSERT OR IGNORE INTO server_secrets (name, value) VALUES (?, ?)'),
    pruneNonceUses: p('DELETE FROM digest_nonce_uses WHERE expires_at < ?'),
    pruneRevokedTokens: p('DELETE FROM revoked_access_tokens WHERE expires_at < ?'),
  };
}
