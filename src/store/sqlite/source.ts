import type { Database, Statement } from 'better-sqlite3';
import { sourceLinkValues } from '../columns.js';
import type { GroupCommitter } from '../groupCommit.js';
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

// The source side on SQLite. Reads run at once; writes go through group commit, whose batches are
// serial, so the link a write replaces is the one it read.

interface SourceProjectRow {
  id: string;
  org_id: string;
  name: string;
  created_at: string;
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
  synced_version: number | null;
  last_attempt_at: string | null;
  last_synced_at: string | null;
  created_at: string;
}

interface SourceLinkWithdrawalRow {
  link_id: string;
  org_id: string;
  atlas_org_id: string;
  public_key: string;
  ha1: string;
  recorded_at: string;
}

const toSourceProject = (row: SourceProjectRow): SourceProject => ({
  id: row.id,
  orgId: row.org_id,
  name: row.name,
  createdAt: row.created_at,
});

const toSourceDeployment = (row: { name: string; deployment: string }): SourceDeployment => ({
  ...(JSON.parse(row.deployment) as Omit<SourceDeployment, 'name'>),
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
  syncedVersion: row.synced_version,
  lastAttemptAt: row.last_attempt_at,
  lastSyncedAt: row.last_synced_at,
  createdAt: row.created_at,
});

const toSourceLinkWithdrawal = (row: SourceLinkWithdrawalRow): SourceLinkWithdrawal => ({
  linkId: row.link_id,
  orgId: row.org_id,
  atlasOrgId: row.atlas_org_id,
  publicKey: row.public_key,
  ha1: row.ha1,
  recordedAt: row.recorded_at,
});

function prepare(db: Database) {
  const p = (sql: string): Statement => db.prepare(sql);
  return {
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
  };
}

export class SqliteSourceStore implements SourceStore {
  private readonly s: ReturnType<typeof prepare>;

  /** `guard` throws when the store stopped serving (a failed fsync): reads refuse then too. */
  constructor(
    private readonly db: Database,
    private readonly committer: GroupCommitter,
    private readonly guard: () => void,
  ) {
    this.s = prepare(db);
  }

  async createSourceProject(project: SourceProject): Promise<void> {
    await this.committer.transact(() => {
      this.s.insertSourceProject.run(project.id, project.orgId, project.name, project.createdAt);
      this.s.bumpInventoryVersion.run(project.orgId);
    });
  }

  async getSourceProject(projectId: string): Promise<SourceProject | undefined> {
    this.guard();
    const row = this.s.getSourceProject.get(projectId) as SourceProjectRow | undefined;
    return row && toSourceProject(row);
  }

  /** Runs a change to a source project and bumps its org's inventory version when something changed. */
  private changeSourceProject(projectId: string, change: () => boolean): Promise<boolean> {
    return this.committer.transact(() => {
      const project = this.s.getSourceProject.get(projectId) as { org_id: string } | undefined;
      if (!project) return false;
      const changed = change();
      if (changed) this.s.bumpInventoryVersion.run(project.org_id);
      return changed;
    });
  }

  saveSourceDeployment(projectId: string, deployment: SourceDeployment): Promise<boolean> {
    return this.changeSourceProject(projectId, () => {
      const { name, ...details } = deployment;
      this.s.upsertSourceDeployment.run(projectId, name, JSON.stringify(details));
      return true;
    });
  }

  deleteSourceDeployment(projectId: string, name: string): Promise<boolean> {
    return this.changeSourceProject(projectId, () => this.s.deleteSourceDeployment.run(projectId, name).changes === 1);
  }

  addSourceMigrationHost(projectId: string, hostname: string): Promise<boolean> {
    return this.changeSourceProject(projectId, () => {
      this.s.insertSourceMigrationHost.run(projectId, hostname);
      return true;
    });
  }

  deleteSourceMigrationHost(projectId: string, hostname: string): Promise<boolean> {
    return this.changeSourceProject(projectId, () => this.s.deleteSourceMigrationHost.run(projectId, hostname).changes === 1);
  }

  async getSourceInventory(orgId: string): Promise<SourceInventory> {
    this.guard();
    // One read transaction, so the version and the rows it describes agree.
    return this.db.transaction(() =>
      assembleSourceInventory(
        (this.s.getInventoryVersion.get(orgId) as number | undefined) ?? 0,
        (this.s.listSourceProjects.all(orgId) as SourceProjectRow[]).map(toSourceProject),
        (this.s.listSourceDeployments.all(orgId) as Array<{ project_id: string; name: string; deployment: string }>).map((row) => ({
          projectId: row.project_id,
          deployment: toSourceDeployment(row),
        })),
        (this.s.listSourceMigrationHosts.all(orgId) as Array<{ project_id: string; hostname: string }>).map((row) => ({
          projectId: row.project_id,
          hostname: row.hostname,
        })),
      ),
    )();
  }

  /** Saves the withdrawal `withdrawalOf` asks for, unless another link still uses its Atlas org and key. */
  private recordWithdrawal(withdrawal: SourceLinkWithdrawal | undefined): SourceLinkWithdrawal | undefined {
    if (!withdrawal || this.s.sourceLinkUsesKey.get(withdrawal.atlasOrgId, withdrawal.publicKey) !== undefined) return undefined;
    const { linkId, orgId, atlasOrgId, publicKey, ha1, recordedAt } = withdrawal;
    this.s.insertSourceLinkWithdrawal.run(linkId, orgId, atlasOrgId, publicKey, ha1, recordedAt);
    return withdrawal;
  }

  putSourceLink(link: SourceLinkRecord): Promise<SourceLinkWithdrawal | undefined> {
    return this.committer.transact(() => {
      const replaced = this.s.getSourceLink.get(link.orgId) as SourceLinkRow | undefined;
      this.s.putSourceLink.run(...sourceLinkValues(link));
      this.s.cancelSourceLinkWithdrawals.run(link.atlasOrgId, link.publicKey);
      return this.recordWithdrawal(replaced && withdrawalOf(toSourceLink(replaced), link.createdAt, link));
    });
  }

  async getSourceLink(orgId: string): Promise<SourceLinkRecord | undefined> {
    this.guard();
    const row = this.s.getSourceLink.get(orgId) as SourceLinkRow | undefined;
    return row && toSourceLink(row);
  }

  async listSourceLinks(): Promise<SourceLinkRecord[]> {
    this.guard();
    return (this.s.listSourceLinks.all() as SourceLinkRow[]).map(toSourceLink);
  }

  deleteSourceLink(orgId: string, linkId: string): Promise<{ withdrawal: SourceLinkWithdrawal | undefined } | undefined> {
    const deletedAt = new Date().toISOString();
    return this.committer.transact(() => {
      const deleted = this.s.deleteSourceLink.get(orgId, linkId) as SourceLinkRow | undefined;
      return deleted && { withdrawal: this.recordWithdrawal(withdrawalOf(toSourceLink(deleted), deletedAt)) };
    });
  }

  async listSourceLinkWithdrawals(): Promise<SourceLinkWithdrawal[]> {
    this.guard();
    return (this.s.listSourceLinkWithdrawals.all() as SourceLinkWithdrawalRow[]).map(toSourceLinkWithdrawal);
  }

  deleteSourceLinkWithdrawal(linkId: string): Promise<boolean> {
    return this.committer.transact(() => this.s.deleteSourceLinkWithdrawal.run(linkId).changes === 1);
  }

  recordSourceLinkSync(orgId: string, linkId: string, sync: SourceLinkSync): Promise<boolean> {
    return this.committer.transact(
      () =>
        this.s.recordSourceLinkSync.run(sync.status, sync.reason, sync.syncedVersion, sync.attemptedAt, sync.status, sync.attemptedAt, orgId, linkId)
          .changes === 1,
    );
  }
}
