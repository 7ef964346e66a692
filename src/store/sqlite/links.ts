import type { Database, Statement } from 'better-sqlite3';
import type { Audit } from '../events.js';
import type { GroupCommitter } from '../groupCommit.js';
import { linkKeyRetirement, type AvailableProject, type LinkRecord, type LinkStore, type RetiredLinkKey } from '../links.js';
import type { ApiKeyRecord, Org } from '../orgs.js';
import type { TurnValidatedCache } from '../turnCache.js';
import { prepareApiKeyInsert, type SqliteOrgStore } from './orgs.js';
import { prepareRetireLinkKey } from './retiredLinkKeys.js';

// The Atlas side of links on SQLite: the link key's rotation and delete, the retired keys, the
// pushed inventory. Reads run at once; writes go through group commit, whose batches are serial,
// so the link a write checks is the link it changes.

interface LinkRow {
  id: string;
  org_id: string;
  access_list: string;
  created_at: string;
}

interface RetiredLinkKeyRow {
  public_key: string;
  org_id: string;
  retired_at: string;
  reason: string;
}

const toLink = (row: LinkRow): LinkRecord => ({
  orgId: row.org_id,
  apiKeyId: row.id,
  accessListIps: JSON.parse(row.access_list) as string[],
  createdAt: row.created_at,
});

const toRetiredLinkKey = (row: RetiredLinkKeyRow): RetiredLinkKey => ({
  publicKey: row.public_key,
  orgId: row.org_id,
  retiredAt: row.retired_at,
  reason: row.reason as RetiredLinkKey['reason'],
});

function prepare(db: Database) {
  const p = (sql: string): Statement => db.prepare(sql);
  return {
    getLink: p("SELECT id, org_id, access_list, created_at FROM api_keys WHERE org_id = ? AND purpose = 'LIVE_MIGRATION_LINK'"),
    deleteLinkKey: p(
      "DELETE FROM api_keys WHERE org_id = ? AND purpose = 'LIVE_MIGRATION_LINK' RETURNING public_key",
    ).pluck(),
    // The latest record wins should a public key ever be minted again after it was retired.
    findRetiredLinkKey: p(
      'SELECT public_key, org_id, retired_at, reason FROM retired_link_keys WHERE org_id = ? AND public_key = ? ORDER BY rowid DESC LIMIT 1',
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
  };
}

export class SqliteLinkStore implements LinkStore {
  private readonly s: ReturnType<typeof prepare>;
  private readonly insertKey: (key: ApiKeyRecord) => void;
  private readonly retireLinkKey: (retired: RetiredLinkKey) => void;

  /** `guard` throws when the store stopped serving (a failed fsync): reads refuse then too. */
  constructor(
    db: Database,
    private readonly committer: GroupCommitter,
    private readonly guard: () => void,
    private readonly orgs: SqliteOrgStore,
    private readonly apiKeys: TurnValidatedCache<ApiKeyRecord>,
  ) {
    this.s = prepare(db);
    this.insertKey = prepareApiKeyInsert(db);
    this.retireLinkKey = prepareRetireLinkKey(db);
  }

  async getLink(orgId: string): Promise<LinkRecord | undefined> {
    this.guard();
    const row = this.s.getLink.get(orgId) as LinkRow | undefined;
    return row && toLink(row);
  }

  /** The org's link keys out of the table, each recorded as retired: the public keys that went. */
  private retireLinkKeys(orgId: string, reason: RetiredLinkKey['reason'], retiredAt: string): string[] {
    const deleted = this.s.deleteLinkKey.all(orgId) as string[];
    for (const publicKey of deleted) this.retireLinkKey(linkKeyRetirement({ publicKey, orgId, purpose: 'LIVE_MIGRATION_LINK' }, reason, retiredAt)!);
    return deleted;
  }

  async replaceLink(key: ApiKeyRecord, audit?: Audit<{ replacedPublicKey?: string } | undefined>): Promise<{ org: Org; replacedPublicKey?: string } | undefined> {
    // The hot write (every create): the org's link key out (recorded as retired), the new one in.
    // The insert's foreign key refuses an org that does not exist (and with no org there was no key
    // to delete); the partial unique index keeps one link key per org.
    const replaced = await this.committer.transact((): { replacedPublicKey?: string } | undefined => {
      const retired = this.retireLinkKeys(key.orgId, 'ROTATED', key.createdAt);
      try {
        this.insertKey(key);
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return undefined;
        throw error;
      }
      return retired.length > 0 ? { replacedPublicKey: retired[0]! } : {};
    }, audit);
    if (!replaced) return undefined;
    if (replaced.replacedPublicKey) this.apiKeys.delete(replaced.replacedPublicKey);
    // The org exists (the key's foreign key said so) and orgs never change: no need to read it in the write.
    const org = this.orgs.readOrg(key.orgId)!;
    return { org, ...replaced };
  }

  async deleteLink(orgId: string, audit?: Audit<boolean>): Promise<boolean> {
    const retiredAt = new Date().toISOString();
    const deletedPublicKey = await this.committer.transact(
      () => this.retireLinkKeys(orgId, 'DELETED', retiredAt)[0],
      audit && ((deleted) => audit(deleted !== undefined)),
    );
    if (deletedPublicKey === undefined) return false;
    this.apiKeys.delete(deletedPublicKey);
    return true;
  }

  async findRetiredLinkKey(orgId: string, publicKey: string): Promise<RetiredLinkKey | undefined> {
    this.guard();
    const row = this.s.findRetiredLinkKey.get(orgId, publicKey) as RetiredLinkKeyRow | undefined;
    return row && toRetiredLinkKey(row);
  }

  putAtlasInventory(orgId: string, apiKeyId: string, projects: AvailableProject[], receivedAt: string, audit?: Audit<boolean>): Promise<boolean> {
    return this.committer.transact(
      () => this.s.putAtlasInventory.run({ orgId, apiKeyId, projects: JSON.stringify(projects), receivedAt }).changes === 1,
      audit,
    );
  }

  deleteAtlasInventory(orgId: string, apiKeyId: string, audit?: Audit<boolean>): Promise<boolean> {
    return this.committer.transact(() => this.s.deleteAtlasInventory.run(orgId, apiKeyId).changes === 1, audit);
  }

  async getAtlasInventory(orgId: string): Promise<AvailableProject[] | undefined> {
    this.guard();
    const projects = this.s.getAtlasInventory.get(orgId) as string | undefined;
    return projects === undefined ? undefined : (JSON.parse(projects) as AvailableProject[]);
  }
}
