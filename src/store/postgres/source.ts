import type pg from 'pg';
import { sourceLinkValues } from '../columns.js';
import {
  assembleSourceInventory,
  withdrawalOf,
  type SourceDeployment,
  type SourceInventory,
  type SourceLinkRecord,
  type SourceLinkSync,
  type SourceLinkWithdrawal,
  type SourceProject,
  type SourceStore,
} from '../source.js';
import { query, type PostgresAccess } from './access.js';
import { SQL as ORG_SQL } from './orgs.js';

// The source side on PostgreSQL. Each multi-row change is one transaction; a change to the org's
// link takes the org's row lock first, so the link it replaces is the one it read.

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

interface SourceLinkWithdrawalRow {
  link_id: string;
  org_id: string;
  atlas_org_id: string;
  public_key: string;
  ha1: string;
  recorded_at: Date;
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

const toSourceLinkWithdrawal = (row: SourceLinkWithdrawalRow): SourceLinkWithdrawal => ({
  linkId: row.link_id,
  orgId: row.org_id,
  atlasOrgId: row.atlas_org_id,
  publicKey: row.public_key,
  ha1: row.ha1,
  recordedAt: row.recorded_at.toISOString(),
});

const SOURCE_LINK_COLUMNS =
  'org_id, link_id, atlas_org_id, atlas_org_name, public_key, ha1, status, reason, synced_version, last_attempt_at, last_synced_at, created_at';
const SOURCE_LINK_WITHDRAWAL_COLUMNS = 'link_id, org_id, atlas_org_id, public_key, ha1, recorded_at';

const SQL = {
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
} as const;

/** Saves the withdrawal `withdrawalOf` asks for, unless another link still uses its Atlas org and key. */
async function recordWithdrawal(client: pg.PoolClient, withdrawal: SourceLinkWithdrawal | undefined): Promise<SourceLinkWithdrawal | undefined> {
  if (!withdrawal) return undefined;
  if ((await query(client, SQL.sourceLinkUsesKey, [withdrawal.atlasOrgId, withdrawal.publicKey])).rowCount !== 0) return undefined;
  const { linkId, orgId, atlasOrgId, publicKey, ha1, recordedAt } = withdrawal;
  await query(client, SQL.insertSourceLinkWithdrawal, [linkId, orgId, atlasOrgId, publicKey, ha1, recordedAt]);
  return withdrawal;
}

export class PostgresSourceStore implements SourceStore {
  constructor(private readonly db: PostgresAccess) {}

  async createSourceProject(project: SourceProject): Promise<void> {
    await this.db.transaction(async (client) => {
      await query(client, SQL.insertSourceProject, [project.id, project.orgId, project.name, project.createdAt]);
      await query(client, SQL.bumpInventoryVersion, [project.orgId]);
    });
  }

  async getSourceProject(projectId: string): Promise<SourceProject | undefined> {
    const { rows } = await query<SourceProjectRow>(this.db.pool, SQL.getSourceProject, [projectId]);
    return rows[0] && toSourceProject(rows[0]);
  }

  /** Runs a change to a source project and bumps its org's inventory version when something changed. */
  private changeSourceProject(projectId: string, change: (client: pg.PoolClient) => Promise<boolean>): Promise<boolean> {
    return this.db.transaction(async (client) => {
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
    return this.db.transactionAs(async (client) => {
      const { rows: version } = await query<{ inventory_version: string }>(client, SQL.getInventoryVersion, [orgId]);
      const { rows: projects } = await query<SourceProjectRow>(client, SQL.listSourceProjects, [orgId]);
      type DeploymentRow = { project_id: string; name: string; deployment: Omit<SourceDeployment, 'name'> };
      const { rows: deployments } = await query<DeploymentRow>(client, SQL.listSourceDeployments, [orgId]);
      type HostRow = { project_id: string; hostname: string };
      const { rows: hosts } = await query<HostRow>(client, SQL.listSourceMigrationHosts, [orgId]);
      return assembleSourceInventory(
        version[0] ? Number(version[0].inventory_version) : 0,
        projects.map(toSourceProject),
        deployments.map((row) => ({ projectId: row.project_id, deployment: toSourceDeployment(row) })),
        hosts.map((row) => ({ projectId: row.project_id, hostname: row.hostname })),
      );
    }, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', 0);
  }

  /** Under the org's row lock, as deleting a link takes it, so the link replaced is the one read. */
  putSourceLink(link: SourceLinkRecord): Promise<SourceLinkWithdrawal | undefined> {
    return this.db.transaction(async (client) => {
      await query(client, ORG_SQL.lockOrg, [link.orgId]);
      const { rows } = await query<SourceLinkRow>(client, SQL.getSourceLink, [link.orgId]);
      await query(client, SQL.putSourceLink, sourceLinkValues(link));
      await query(client, SQL.cancelSourceLinkWithdrawals, [link.atlasOrgId, link.publicKey]);
      return recordWithdrawal(client, rows[0] && withdrawalOf(toSourceLink(rows[0]), new Date(link.createdAt).toISOString(), link));
    });
  }

  async getSourceLink(orgId: string): Promise<SourceLinkRecord | undefined> {
    const { rows } = await query<SourceLinkRow>(this.db.pool, SQL.getSourceLink, [orgId]);
    return rows[0] && toSourceLink(rows[0]);
  }

  async listSourceLinks(): Promise<SourceLinkRecord[]> {
    return (await query<SourceLinkRow>(this.db.pool, SQL.listSourceLinks)).rows.map(toSourceLink);
  }

  deleteSourceLink(orgId: string, linkId: string): Promise<{ withdrawal: SourceLinkWithdrawal | undefined } | undefined> {
    return this.db.transaction(async (client) => {
      await query(client, ORG_SQL.lockOrg, [orgId]);
      const { rows } = await query<SourceLinkRow>(client, SQL.deleteSourceLink, [orgId, linkId]);
      return rows[0] && { withdrawal: await recordWithdrawal(client, withdrawalOf(toSourceLink(rows[0]), new Date().toISOString())) };
    });
  }

  async listSourceLinkWithdrawals(): Promise<SourceLinkWithdrawal[]> {
    return (await query<SourceLinkWithdrawalRow>(this.db.pool, SQL.listSourceLinkWithdrawals)).rows.map(toSourceLinkWithdrawal);
  }

  async deleteSourceLinkWithdrawal(linkId: string): Promise<boolean> {
    return (await this.db.write(SQL.deleteSourceLinkWithdrawal, [linkId])).rowCount === 1;
  }

  async recordSourceLinkSync(orgId: string, linkId: string, sync: SourceLinkSync): Promise<boolean> {
    const values = [sync.status, sync.reason, sync.syncedVersion, sync.attemptedAt, orgId, linkId];
    return (await this.db.write(SQL.recordSourceLinkSync, values)).rowCount === 1;
  }
}
