import type pg from 'pg';
import type { Audit } from '../events.js';
import { linkKeyRetirement, type AvailableProject, type LinkRecord, type LinkStore, type RetiredLinkKey } from '../links.js';
import type { ApiKeyRecord, Org } from '../orgs.js';
import { OrgWriteBatcher } from '../orgWriteBatcher.js';
import { StoreUnavailableError } from '../store.js';
import { query, type PostgresAccess } from './access.js';
import { recordEvents } from './events.js';
import { apiKeyValues, SQL as ORG_SQL } from './orgs.js';
import { retireLinkKey } from './retiredLinkKeys.js';

// The Atlas side of links on PostgreSQL. Every change to an org's link takes the org's row lock
// first (replace_link, deleteLink, deleteApiKey, putAtlasInventory), so across instances the link
// a change checks is the link it changes.
//
// The rotation stays in SQL (replace_link, migrations/postgres.ts), where SQLite runs it in
// TypeScript (sqlite/links.ts): it is the hot write of every link-token create, and as one
// function it is one round trip instead of six (BEGIN, lock the org, delete, retire, insert,
// COMMIT). Measured back to back (npm run bench, --duration 5 --rounds 3, PostgreSQL on the same
// 2-core shared host, 2026-12-07): replace_link 815 bearer creates/s, 746 µs server CPU per
// create, p99 147 ms; the same rotation as statements from here 574/s, 1067 µs, p99 182 ms.

interface LinkRow {
  id: string;
  org_id: string;
  access_list: string[];
  created_at: Date;
}

interface RetiredLinkKeyRow {
  public_key: string;
  org_id: string;
  retired_at: Date;
  reason: string;
}

const toLink = (row: LinkRow): LinkRecord => ({
  orgId: row.org_id,
  apiKeyId: row.id,
  accessListIps: row.access_list,
  createdAt: row.created_at.toISOString(),
});

const toRetiredLinkKey = (row: RetiredLinkKeyRow): RetiredLinkKey => ({
  publicKey: row.public_key,
  orgId: row.org_id,
  retiredAt: row.retired_at.toISOString(),
  reason: row.reason as RetiredLinkKey['reason'],
});

export const SQL = {
  getLink: {
    name: 'get-link',
    text: "SELECT id, org_id, access_list, created_at FROM api_keys WHERE org_id = $1 AND purpose = 'LIVE_MIGRATION_LINK'",
  },
  replaceLink: {
    name: 'replace-link',
    text: 'SELECT org_name, org_created_at, replaced_public_key FROM replace_link($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
  },
  deleteLinkKey: {
    name: 'delete-link-key',
    text: "DELETE FROM api_keys WHERE org_id = $1 AND purpose = 'LIVE_MIGRATION_LINK' RETURNING public_key",
  },
  findRetiredLinkKey: {
    name: 'find-retired-link-key',
    text: 'SELECT public_key, org_id, retired_at, reason FROM retired_link_keys WHERE org_id = $1 AND public_key = $2 ORDER BY seq DESC LIMIT 1',
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
} as const;

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

export class PostgresLinkStore implements LinkStore {
  private readonly linkReplacements: OrgWriteBatcher<LinkReplacement, ReplaceLinkRow | undefined>;

  constructor(private readonly db: PostgresAccess) {
    // The replacement and its events, on a transaction's client (the events' insert needs the
    // replaced key, which only the replacement knows).
    const replace = async (client: pg.Pool | pg.PoolClient, { key, audit }: LinkReplacement) => {
      const row = (await query<ReplaceLinkRow>(client, SQL.replaceLink, apiKeyValues(key))).rows[0];
      if (audit) await recordEvents(client, audit(row && (row.replaced_public_key === null ? {} : { replacedPublicKey: row.replaced_public_key })));
      return row;
    };
    this.linkReplacements = new OrgWriteBatcher({
      // A database that does not answer fails each alone as it failed the group: say so at once.
      isolatesFailure: (error) => !(error instanceof StoreUnavailableError),
      runOne: async (input) => {
        // Audited, the replacement and its events need a transaction; alone, one statement is one.
        if (input.audit) return db.transaction((client) => replace(client, input));
        const started = performance.now();
        const row = await replace(db.pool, input);
        db.committed(1, started);
        return row;
      },
      runGroup: (inputs) =>
        db.transactionAs(
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

  async getLink(orgId: string): Promise<LinkRecord | undefined> {
    const { rows } = await query<LinkRow>(this.db.pool, SQL.getLink, [orgId]);
    return rows[0] && toLink(rows[0]);
  }

  async replaceLink(key: ApiKeyRecord, audit?: Audit<{ replacedPublicKey?: string } | undefined>): Promise<{ org: Org; replacedPublicKey?: string } | undefined> {
    const row = await this.linkReplacements.run(key.orgId, { key, audit });
    if (!row) return undefined;
    const org: Org = { id: key.orgId, name: row.org_name, createdAt: row.org_created_at.toISOString() };
    return row.replaced_public_key === null ? { org } : { org, replacedPublicKey: row.replaced_public_key };
  }

  async deleteLink(orgId: string, audit?: Audit<boolean>): Promise<boolean> {
    return this.db.transaction(async (client) => {
      await query(client, ORG_SQL.lockOrg, [orgId]);
      const { rows } = await query<{ public_key: string }>(client, SQL.deleteLinkKey, [orgId]);
      if (!rows[0]) return false;
      const key = { publicKey: rows[0].public_key, orgId, purpose: 'LIVE_MIGRATION_LINK' } as const;
      await retireLinkKey(client, linkKeyRetirement(key, 'DELETED', new Date().toISOString())!);
      return true;
    }, audit);
  }

  async findRetiredLinkKey(orgId: string, publicKey: string): Promise<RetiredLinkKey | undefined> {
    const { rows } = await query<RetiredLinkKeyRow>(this.db.pool, SQL.findRetiredLinkKey, [orgId, publicKey]);
    return rows[0] && toRetiredLinkKey(rows[0]);
  }

  /** Under the org's row lock, as link changes take it, so the link cannot change between check and write. */
  putAtlasInventory(orgId: string, apiKeyId: string, projects: AvailableProject[], receivedAt: string, audit?: Audit<boolean>): Promise<boolean> {
    return this.db.transaction(async (client) => {
      await query(client, ORG_SQL.lockOrg, [orgId]);
      const { rowCount } = await query(client, SQL.putAtlasInventory, [orgId, apiKeyId, JSON.stringify(projects), receivedAt]);
      return rowCount === 1;
    }, audit);
  }

  async deleteAtlasInventory(orgId: string, apiKeyId: string, audit?: Audit<boolean>): Promise<boolean> {
    if (!audit) return (await this.db.write(SQL.deleteAtlasInventory, [orgId, apiKeyId])).rowCount === 1;
    return this.db.transaction(async (client) => (await query(client, SQL.deleteAtlasInventory, [orgId, apiKeyId])).rowCount === 1, audit);
  }

  async getAtlasInventory(orgId: string): Promise<AvailableProject[] | undefined> {
    const { rows } = await query<{ projects: AvailableProject[] }>(this.db.pool, SQL.getAtlasInventory, [orgId]);
    return rows[0]?.projects;
  }
}
