import type { Audit } from '../events.js';
import type { OrgRole } from '../orgRoles.js';
import type { ServiceAccountRecord, ServiceAccountStore, TokenSubject } from '../serviceAccounts.js';
import { query, type PostgresAccess } from './access.js';

// Service accounts and revoked access tokens on PostgreSQL. No cache: a delete or revocation made
// through one instance is seen by all at once.

export interface ServiceAccountRow {
  client_id: string;
  org_id: string;
  secret_hash: string;
  roles: string[];
  access_list: string[];
  name: string;
  created_at: Date;
}

const toServiceAccount = (row: ServiceAccountRow): ServiceAccountRecord => ({
  clientId: row.client_id,
  orgId: row.org_id,
  secretHash: row.secret_hash,
  roles: row.roles as OrgRole[],
  accessList: row.access_list,
  name: row.name,
  createdAt: row.created_at.toISOString(),
});

const SERVICE_ACCOUNT_COLUMNS = 'client_id, org_id, secret_hash, roles, access_list, name, created_at';

export const SQL = {
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
} as const;

/** The insert's values, for this aggregate and the bootstrap (orgs.ts). */
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

export class PostgresServiceAccountStore implements ServiceAccountStore {
  constructor(private readonly db: PostgresAccess) {}

  async insertServiceAccount(account: ServiceAccountRecord, audit?: Audit<void>): Promise<void> {
    if (!audit) await this.db.write(SQL.insertServiceAccount, serviceAccountValues(account));
    else await this.db.transaction(async (client) => void (await query(client, SQL.insertServiceAccount, serviceAccountValues(account))), audit);
  }

  async findServiceAccount(clientId: string): Promise<ServiceAccountRecord | undefined> {
    const { rows } = await query<ServiceAccountRow>(this.db.pool, SQL.findServiceAccount, [clientId]);
    return rows[0] && toServiceAccount(rows[0]);
  }

  async listServiceAccounts(orgId: string): Promise<ServiceAccountRecord[]> {
    return (await query<ServiceAccountRow>(this.db.pool, SQL.listServiceAccounts, [orgId])).rows.map(toServiceAccount);
  }

  async deleteServiceAccount(orgId: string, clientId: string, audit?: Audit<boolean>): Promise<boolean> {
    return this.db.transaction(async (client) => ((await query(client, SQL.deleteServiceAccount, [orgId, clientId])).rowCount ?? 0) > 0, audit);
  }

  async revokeAccessToken(jti: string, expiresAtMs: number): Promise<void> {
    await this.db.write(SQL.revokeAccessToken, [jti, expiresAtMs]);
  }

  async findTokenSubject(clientId: string, jti: string): Promise<TokenSubject> {
    const { rows } = await query<ServiceAccountRow & { revoked: boolean }>(this.db.pool, SQL.findTokenSubject, [jti, clientId]);
    const row = rows[0]!;
    return { account: row.client_id === null ? undefined : toServiceAccount(row), revoked: row.revoked };
  }
}
