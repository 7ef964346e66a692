import type { Database, Statement } from 'better-sqlite3';
import type { Audit } from '../events.js';
import type { GroupCommitter } from '../groupCommit.js';
import type { OrgRole } from '../orgRoles.js';
import type { ServiceAccountRecord, ServiceAccountStore, TokenSubject } from '../serviceAccounts.js';
import type { TurnValidatedCache } from '../turnCache.js';

// Service accounts and revoked access tokens on SQLite. Reads run at once; writes go through group
// commit. Token subjects (every bearer request) are read through a cache that any write here empties.

export interface ServiceAccountRow {
  client_id: string;
  org_id: string;
  secret_hash: string;
  roles: string;
  access_list: string;
  name: string;
  created_at: string;
}

export const toServiceAccount = (row: ServiceAccountRow): ServiceAccountRecord => ({
  clientId: row.client_id,
  orgId: row.org_id,
  secretHash: row.secret_hash,
  roles: JSON.parse(row.roles) as OrgRole[],
  accessList: JSON.parse(row.access_list) as string[],
  name: row.name,
  createdAt: row.created_at,
});

/** The insert of an account, for this aggregate and the bootstrap (orgs.ts). */
export function prepareServiceAccountInsert(db: Database): (account: ServiceAccountRecord) => void {
  const insert = db.prepare(
    `INSERT INTO service_accounts (client_id, org_id, secret_hash, roles, access_list, name, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  return (account) =>
    void insert.run(
      account.clientId,
      account.orgId,
      account.secretHash,
      JSON.stringify(account.roles),
      JSON.stringify(account.accessList),
      account.name,
      account.createdAt,
    );
}

function prepare(db: Database) {
  const p = (sql: string): Statement => db.prepare(sql);
  return {
    findServiceAccount: p('SELECT * FROM service_accounts WHERE client_id = ?'),
    listServiceAccounts: p('SELECT * FROM service_accounts WHERE org_id = ? ORDER BY created_at, client_id'),
    deleteServiceAccount: p('DELETE FROM service_accounts WHERE org_id = ? AND client_id = ?'),
    revokeAccessToken: p('INSERT OR IGNORE INTO revoked_access_tokens (jti, expires_at) VALUES (?, ?)'),
    isAccessTokenRevoked: p('SELECT 1 FROM revoked_access_tokens WHERE jti = ?'),
    findTokenSubject: p(
      'SELECT service_accounts.*, EXISTS (SELECT 1 FROM revoked_access_tokens WHERE jti = ?) AS revoked FROM service_accounts WHERE client_id = ?',
    ),
  };
}

export class SqliteServiceAccountStore implements ServiceAccountStore {
  private readonly s: ReturnType<typeof prepare>;
  private readonly insert: (account: ServiceAccountRecord) => void;

  /** `guard` throws when the store stopped serving (a failed fsync): reads refuse then too. */
  constructor(
    db: Database,
    private readonly committer: GroupCommitter,
    private readonly guard: () => void,
    private readonly tokenSubjects: TurnValidatedCache<TokenSubject>,
  ) {
    this.s = prepare(db);
    this.insert = prepareServiceAccountInsert(db);
  }

  async insertServiceAccount(account: ServiceAccountRecord, audit?: Audit<void>): Promise<void> {
    await this.committer.transact(() => this.insert(account), audit);
  }

  async findServiceAccount(clientId: string): Promise<ServiceAccountRecord | undefined> {
    this.guard();
    const row = this.s.findServiceAccount.get(clientId) as ServiceAccountRow | undefined;
    return row && toServiceAccount(row);
  }

  async listServiceAccounts(orgId: string): Promise<ServiceAccountRecord[]> {
    this.guard();
    return (this.s.listServiceAccounts.all(orgId) as ServiceAccountRow[]).map(toServiceAccount);
  }

  async deleteServiceAccount(orgId: string, clientId: string, audit?: Audit<boolean>): Promise<boolean> {
    const deleted = await this.committer.transact(() => this.s.deleteServiceAccount.run(orgId, clientId).changes > 0, audit);
    if (deleted) this.tokenSubjects.clear();
    return deleted;
  }

  async revokeAccessToken(jti: string, expiresAtMs: number): Promise<void> {
    await this.committer.transact(() => void this.s.revokeAccessToken.run(jti, expiresAtMs));
    this.tokenSubjects.clear();
  }

  async findTokenSubject(clientId: string, jti: string): Promise<TokenSubject> {
    this.guard();
    const cacheKey = `${clientId}\n${jti}`;
    const cached = this.tokenSubjects.get(cacheKey);
    if (cached) return cached;
    const row = this.s.findTokenSubject.get(jti, clientId) as (ServiceAccountRow & { revoked: number }) | undefined;
    if (!row) return { account: undefined, revoked: this.s.isAccessTokenRevoked.get(jti) !== undefined };
    const subject = { account: toServiceAccount(row), revoked: row.revoked === 1 };
    this.tokenSubjects.set(cacheKey, subject);
    return subject;
  }
}
