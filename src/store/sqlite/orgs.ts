import type { Database, Statement } from 'better-sqlite3';
import type { Audit } from '../events.js';
import type { GroupCommitter } from '../groupCommit.js';
import { linkKeyRetirement } from '../links.js';
import type { OrgRole } from '../orgRoles.js';
import type { ApiKeyRecord, Org, OrgStore } from '../orgs.js';
import type { ServiceAccountRecord } from '../serviceAccounts.js';
import type { TurnValidatedCache } from '../turnCache.js';
import { prepareRetireLinkKey } from './retiredLinkKeys.js';
import { prepareServiceAccountInsert } from './serviceAccounts.js';

// Orgs and API keys on SQLite. Reads run at once; writes go through group commit. Orgs and keys
// (read on every request) are read through caches, which the writes here keep exact.

interface OrgRow {
  id: string;
  name: string;
  created_at: string;
}

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

/** The insert of a key, for this aggregate and the link's rotation (links.ts). */
export function prepareApiKeyInsert(db: Database): (key: ApiKeyRecord) => void {
  const insert = db.prepare(
    `INSERT INTO api_keys (id, org_id, public_key, ha1, private_key_hint, roles, access_list, description, purpose, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return (key) =>
    void insert.run(
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
}

function prepare(db: Database) {
  const p = (sql: string): Statement => db.prepare(sql);
  return {
    insertOrg: p('INSERT INTO orgs (id, name, created_at) VALUES (?, ?, ?)'),
    getOrg: p('SELECT id, name, created_at FROM orgs WHERE id = ?'),
    countOrgs: p('SELECT COUNT(*) AS n FROM orgs'),
    listOrgs: p('SELECT id, name, created_at FROM orgs ORDER BY created_at, id'),
    findApiKeyByPublicKey: p('SELECT * FROM api_keys WHERE public_key = ?'),
    findApiKeyInOrg: p('SELECT id, purpose FROM api_keys WHERE org_id = ? AND public_key = ?'),
    listApiKeys: p('SELECT * FROM api_keys WHERE org_id = ? ORDER BY created_at, public_key'),
    deleteApiKeyById: p('DELETE FROM api_keys WHERE id = ?'),
  };
}

export class SqliteOrgStore implements OrgStore {
  private readonly s: ReturnType<typeof prepare>;
  private readonly insertKey: (key: ApiKeyRecord) => void;
  private readonly insertAccount: (account: ServiceAccountRecord) => void;
  private readonly retireLinkKey;

  /** `guard` throws when the store stopped serving (a failed fsync): reads refuse then too. */
  constructor(
    db: Database,
    private readonly committer: GroupCommitter,
    private readonly guard: () => void,
    private readonly orgs: TurnValidatedCache<Org>,
    private readonly apiKeys: TurnValidatedCache<ApiKeyRecord>,
  ) {
    this.s = prepare(db);
    this.insertKey = prepareApiKeyInsert(db);
    this.insertAccount = prepareServiceAccountInsert(db);
    this.retireLinkKey = prepareRetireLinkKey(db);
  }

  async createOrg(org: Org): Promise<void> {
    await this.committer.transact(() => void this.s.insertOrg.run(org.id, org.name, org.createdAt));
  }

  async getOrg(orgId: string): Promise<Org | undefined> {
    return this.readOrg(orgId);
  }

  /** Orgs are read on every link-token create (the token carries the name); no operation changes one. */
  readOrg(orgId: string): Org | undefined {
    this.guard();
    const cached = this.orgs.get(orgId);
    if (cached) return cached;
    const row = this.s.getOrg.get(orgId) as OrgRow | undefined;
    if (!row) return undefined;
    const org = toOrg(row);
    this.orgs.set(orgId, org);
    return org;
  }

  async countOrgs(): Promise<number> {
    this.guard();
    return (this.s.countOrgs.get() as { n: number }).n;
  }

  async insertBootstrap(org: Org, key: ApiKeyRecord, account: ServiceAccountRecord | undefined): Promise<void> {
    await this.committer.transact(() => {
      this.s.insertOrg.run(org.id, org.name, org.createdAt);
      this.insertKey(key);
      if (account) this.insertAccount(account);
    });
  }

  async insertSeed(records: { orgs: Org[]; apiKeys: ApiKeyRecord[]; serviceAccounts: ServiceAccountRecord[] }): Promise<void> {
    await this.committer.transact(() => {
      for (const org of records.orgs) this.s.insertOrg.run(org.id, org.name, org.createdAt);
      for (const key of records.apiKeys) this.insertKey(key);
      for (const account of records.serviceAccounts) this.insertAccount(account);
    });
  }

  /** One data dir is served by one server process (admin commands never bootstrap): nothing to wait for. */
  withBootstrapLock<T>(run: () => Promise<T>): Promise<T> {
    return run();
  }

  async listOrgs(): Promise<Org[]> {
    this.guard();
    return (this.s.listOrgs.all() as OrgRow[]).map(toOrg);
  }

  async insertApiKey(key: ApiKeyRecord, audit?: Audit<void>): Promise<void> {
    await this.committer.transact(() => this.insertKey(key), audit);
  }

  async findApiKeyByPublicKey(publicKey: string): Promise<ApiKeyRecord | undefined> {
    this.guard();
    const cached = this.apiKeys.get(publicKey);
    if (cached) return cached;
    const row = this.s.findApiKeyByPublicKey.get(publicKey) as ApiKeyRow | undefined;
    if (!row) return undefined;
    const key = toApiKey(row);
    this.apiKeys.set(publicKey, key);
    return key;
  }

  async listApiKeys(orgId: string): Promise<ApiKeyRecord[]> {
    this.guard();
    return (this.s.listApiKeys.all(orgId) as ApiKeyRow[]).map(toApiKey);
  }

  async deleteApiKey(orgId: string, publicKey: string, audit?: Audit<boolean>): Promise<boolean> {
    const retiredAt = new Date().toISOString();
    const deleted = await this.committer.transact(() => {
      const row = this.s.findApiKeyInOrg.get(orgId, publicKey) as { id: string; purpose: ApiKeyRecord['purpose'] } | undefined;
      if (!row) return false;
      this.s.deleteApiKeyById.run(row.id);
      const retired = linkKeyRetirement({ publicKey, orgId, purpose: row.purpose }, 'DELETED', retiredAt);
      if (retired) this.retireLinkKey(retired);
      return true;
    }, audit);
    if (deleted) this.apiKeys.delete(publicKey);
    return deleted;
  }
}
