import type { Audit } from '../events.js';
import { linkKeyRetirement } from '../links.js';
import type { OrgRole } from '../orgRoles.js';
import type { ApiKeyRecord, Org, OrgStore } from '../orgs.js';
import type { ServiceAccountRecord } from '../serviceAccounts.js';
import { asStoreError, BOOTSTRAP_LOCK, LOCK_NAMESPACE, query, type PostgresAccess } from './access.js';
import { retireLinkKey } from './retiredLinkKeys.js';
import { SQL as SERVICE_ACCOUNT_SQL, serviceAccountValues } from './serviceAccounts.js';

// Orgs and API keys on PostgreSQL. No cache of keys or orgs: a deletion made through one
// instance is seen by all at once.

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

const API_KEY_COLUMNS = 'id, org_id, public_key, ha1, private_key_hint, roles, access_list, description, purpose, created_at';

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
  // The org's row lock serialises every change to its link with replace_link (see migrations/postgres.ts).
  lockOrg: { name: 'lock-org', text: 'SELECT 1 FROM orgs WHERE id = $1 FOR NO KEY UPDATE' },
} as const;

/** The insert's values (also replace_link's parameters, links.ts). */
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

export class PostgresOrgStore implements OrgStore {
  constructor(private readonly db: PostgresAccess) {}

  async createOrg(org: Org): Promise<void> {
    await this.db.write(SQL.insertOrg, [org.id, org.name, org.createdAt]);
  }

  async getOrg(orgId: string): Promise<Org | undefined> {
    const { rows } = await query<OrgRow>(this.db.pool, SQL.getOrg, [orgId]);
    return rows[0] && toOrg(rows[0]);
  }

  async countOrgs(): Promise<number> {
    const { rows } = await query<{ n: number }>(this.db.pool, SQL.countOrgs);
    return rows[0]!.n;
  }

  async insertBootstrap(org: Org, key: ApiKeyRecord, account: ServiceAccountRecord | undefined): Promise<void> {
    await this.db.transaction(async (client) => {
      await query(client, SQL.insertOrg, [org.id, org.name, org.createdAt]);
      await query(client, SQL.insertApiKey, apiKeyValues(key));
      if (account) await query(client, SERVICE_ACCOUNT_SQL.insertServiceAccount, serviceAccountValues(account));
    });
  }

  async insertSeed(records: { orgs: Org[]; apiKeys: ApiKeyRecord[]; serviceAccounts: ServiceAccountRecord[] }): Promise<void> {
    await this.db.transaction(async (client) => {
      for (const org of records.orgs) await query(client, SQL.insertOrg, [org.id, org.name, org.createdAt]);
      for (const key of records.apiKeys) await query(client, SQL.insertApiKey, apiKeyValues(key));
      for (const account of records.serviceAccounts) await query(client, SERVICE_ACCOUNT_SQL.insertServiceAccount, serviceAccountValues(account));
    });
  }

  /**
   * A session advisory lock on a connection of its own: a second instance waits here until the
   * first has bootstrapped (and its count of orgs is then 1). If the holder dies, PostgreSQL ends
   * its session and the lock with it.
   */
  async withBootstrapLock<T>(run: () => Promise<T>): Promise<T> {
    const client = await this.db.connect();
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
    return (await query<OrgRow>(this.db.pool, SQL.listOrgs)).rows.map(toOrg);
  }

  async insertApiKey(key: ApiKeyRecord, audit?: Audit<void>): Promise<void> {
    if (!audit) await this.db.write(SQL.insertApiKey, apiKeyValues(key));
    else await this.db.transaction(async (client) => void (await query(client, SQL.insertApiKey, apiKeyValues(key))), audit);
  }

  async findApiKeyByPublicKey(publicKey: string): Promise<ApiKeyRecord | undefined> {
    const { rows } = await query<ApiKeyRow>(this.db.pool, SQL.findApiKeyByPublicKey, [publicKey]);
    return rows[0] && toApiKey(rows[0]);
  }

  async listApiKeys(orgId: string): Promise<ApiKeyRecord[]> {
    return (await query<ApiKeyRow>(this.db.pool, SQL.listApiKeys, [orgId])).rows.map(toApiKey);
  }

  /**
   * Under the org's row lock, as replace_link and deleteLink take it, so a rotation racing the
   * delete of a link key goes first or waits; and one statement deletes, so only a key that was
   * really deleted here answers true and is recorded as retired (a key a rotation just deleted is
   * recorded ROTATED, once).
   */
  async deleteApiKey(orgId: string, publicKey: string, audit?: Audit<boolean>): Promise<boolean> {
    return this.db.transaction(async (client) => {
      await query(client, SQL.lockOrg, [orgId]);
      const { rows, rowCount } = await query<{ purpose: ApiKeyRecord['purpose'] }>(client, SQL.deleteApiKeyInOrg, [orgId, publicKey]);
      if (rowCount !== 1) return false;
      const retired = linkKeyRetirement({ publicKey, orgId, purpose: rows[0]!.purpose }, 'DELETED', new Date().toISOString());
      if (retired) await retireLinkKey(client, retired);
      return true;
    }, audit);
  }
}
