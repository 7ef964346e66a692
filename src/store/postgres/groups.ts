import type pg from 'pg';
import {
  MAX_CLUSTERS_PER_GROUP,
  type ClusterRecord,
  type CreateClusterOutcome,
  type DeleteGroupOutcome,
  type GroupRecord,
  type GroupStore,
  type GroupWithClusterCount,
} from '../groups.js';
import type { Audit } from '../events.js';
import { query, type PostgresAccess, type Queryable } from './access.js';

// Projects and clusters on PostgreSQL. Several instances may write at once, so every check and
// the write it guards run in one transaction that first locks the project's row (SELECT … FOR
// UPDATE): two cluster creates cannot both take the 25th place, and a project delete cannot
// pass its "no clusters" check while a cluster is being added.

interface GroupRow {
  id: string;
  org_id: string;
  name: string;
  tags: GroupRecord['tags'];
  with_default_alerts_settings: boolean;
  created_at: Date;
  cluster_count: number;
}

interface ClusterRow {
  id: string;
  group_id: string;
  name: string;
  spec: ClusterRecord['spec'];
  created_at: Date;
  ready_at: Date;
  delete_requested_at: Date | null;
  gone_at: Date | null;
  revision: number;
}

const toGroup = (row: GroupRow): GroupWithClusterCount => ({
  group: {
    id: row.id,
    orgId: row.org_id,
    name: row.name,
    tags: row.tags,
    withDefaultAlertsSettings: row.with_default_alerts_settings,
    createdAt: row.created_at.toISOString(),
  },
  clusterCount: row.cluster_count,
});

const toCluster = (row: ClusterRow): ClusterRecord => ({
  id: row.id,
  groupId: row.group_id,
  name: row.name,
  spec: row.spec,
  createdAt: row.created_at.toISOString(),
  readyAt: row.ready_at.toISOString(),
  deleteRequestedAt: row.delete_requested_at?.toISOString() ?? null,
  goneAt: row.gone_at?.toISOString() ?? null,
  revision: row.revision,
});

// $N is the instant `now`: a cluster is alive while it has no gone_at or gone_at is later.
const alive = (n: number) => `(c.gone_at IS NULL OR c.gone_at > $${n})`;
const groupColumns = (nowParam: number) => `g.id, g.org_id, g.name, g.tags, g.with_default_alerts_settings, g.created_at,
  (SELECT count(*)::int FROM clusters c WHERE c.group_id = g.id AND ${alive(nowParam)}) AS cluster_count`;
const CLUSTER_COLUMNS = 'c.id, c.group_id, c.name, c.spec, c.created_at, c.ready_at, c.delete_requested_at, c.gone_at, c.revision';

const SQL = {
  insertGroup: {
    name: 'groups-insert',
    text: 'INSERT INTO groups (id, org_id, name, tags, with_default_alerts_settings, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
  },
  getGroup: { name: 'groups-get', text: `SELECT ${groupColumns(2)} FROM groups g WHERE g.id = $1` },
  getGroupByName: { name: 'groups-get-by-name', text: `SELECT ${groupColumns(3)} FROM groups g WHERE g.org_id = $1 AND g.name = $2` },
  listGroups: { name: 'groups-list', text: `SELECT ${groupColumns(2)} FROM groups g WHERE g.org_id = $1 ORDER BY g.created_at, g.name` },
  updateGroup: { name: 'groups-update', text: 'UPDATE groups SET name = $2, tags = $3, with_default_alerts_settings = $4 WHERE id = $1' },
  lockGroup: { name: 'groups-lock', text: 'SELECT 1 FROM groups WHERE id = $1 FOR UPDATE' },
  countAliveClusters: { name: 'clusters-count-alive', text: `SELECT count(*)::int AS n FROM clusters c WHERE c.group_id = $1 AND ${alive(2)}` },
  deleteGoneClusters: { name: 'clusters-delete-gone', text: 'DELETE FROM clusters WHERE group_id = $1 AND gone_at IS NOT NULL AND gone_at <= $2' },
  deleteGroup: { name: 'groups-delete', text: 'DELETE FROM groups WHERE id = $1' },
  insertCluster: {
    name: 'clusters-insert',
    text: `INSERT INTO clusters (group_id, name, id, spec, created_at, ready_at, delete_requested_at, gone_at, revision)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
  },
  getCluster: { name: 'clusters-get', text: `SELECT ${CLUSTER_COLUMNS} FROM clusters c WHERE c.group_id = $1 AND c.name = $2 AND ${alive(3)}` },
  listClusters: {
    name: 'clusters-list',
    text: `SELECT ${CLUSTER_COLUMNS} FROM clusters c WHERE c.group_id = $1 AND ${alive(2)} ORDER BY c.created_at, c.name`,
  },
  saveCluster: {
    name: 'clusters-save',
    text: `UPDATE clusters SET spec = $3, delete_requested_at = $4, gone_at = $5, revision = $6
           WHERE group_id = $1 AND name = $2 AND revision = $7`,
  },
} as const;

export class PostgresGroupStore implements GroupStore {
  constructor(private readonly db: PostgresAccess) {}

  private async one<R extends pg.QueryResultRow>(on: Queryable, statement: { name: string; text: string }, values: unknown[]): Promise<R | undefined> {
    return (await query<R>(on, statement, values)).rows[0];
  }

  async createGroup(group: GroupRecord, audit?: Audit<void>): Promise<void> {
    await this.db.transaction(async (client) => {
      await query(client, SQL.insertGroup, [group.id, group.orgId, group.name, JSON.stringify(group.tags), group.withDefaultAlertsSettings, group.createdAt]);
    }, audit);
  }

  async getGroup(groupId: string, now: string): Promise<GroupWithClusterCount | undefined> {
    const row = await this.one<GroupRow>(this.db.pool, SQL.getGroup, [groupId, now]);
    return row && toGroup(row);
  }

  async getGroupByName(orgId: string, name: string, now: string): Promise<GroupWithClusterCount | undefined> {
    const row = await this.one<GroupRow>(this.db.pool, SQL.getGroupByName, [orgId, name, now]);
    return row && toGroup(row);
  }

  async listGroups(orgId: string, now: string): Promise<GroupWithClusterCount[]> {
    return (await query<GroupRow>(this.db.pool, SQL.listGroups, [orgId, now])).rows.map(toGroup);
  }

  updateGroup(group: GroupRecord): Promise<boolean> {
    return this.db.transaction(
      async (client) =>
        (await query(client, SQL.updateGroup, [group.id, group.name, JSON.stringify(group.tags), group.withDefaultAlertsSettings])).rowCount === 1,
    );
  }

  deleteGroup(groupId: string, now: string, audit?: Audit<DeleteGroupOutcome>): Promise<DeleteGroupOutcome> {
    return this.db.transaction(async (client): Promise<DeleteGroupOutcome> => {
      if (!(await this.one(client, SQL.lockGroup, [groupId]))) return 'NOT_FOUND';
      const { n } = (await this.one<{ n: number }>(client, SQL.countAliveClusters, [groupId, now]))!;
      if (n > 0) return 'HAS_CLUSTERS';
      await query(client, SQL.deleteGoneClusters, [groupId, now]);
      await query(client, SQL.deleteGroup, [groupId]);
      return 'DELETED';
    }, audit);
  }

  createCluster(cluster: ClusterRecord, now: string, audit?: Audit<CreateClusterOutcome>): Promise<CreateClusterOutcome> {
    return this.db.transaction(async (client): Promise<CreateClusterOutcome> => {
      const groupId = cluster.groupId;
      if (!(await this.one(client, SQL.lockGroup, [groupId]))) return 'GROUP_NOT_FOUND';
      // A gone cluster's name is free again: its row goes before the insert that reuses it.
      await query(client, SQL.deleteGoneClusters, [groupId, now]);
      if (await this.one(client, SQL.getCluster, [groupId, cluster.name, now])) return 'DUPLICATE_NAME';
      const { n } = (await this.one<{ n: number }>(client, SQL.countAliveClusters, [groupId, now]))!;
      if (n >= MAX_CLUSTERS_PER_GROUP) return 'TOO_MANY_CLUSTERS';
      await query(client, SQL.insertCluster, [
        groupId,
        cluster.name,
        cluster.id,
        JSON.stringify(cluster.spec),
        cluster.createdAt,
        cluster.readyAt,
        cluster.deleteRequestedAt,
        cluster.goneAt,
        cluster.revision,
      ]);
      return 'CREATED';
    }, audit);
  }

  async getCluster(groupId: string, name: string, now: string): Promise<ClusterRecord | undefined> {
    const row = await this.one<ClusterRow>(this.db.pool, SQL.getCluster, [groupId, name, now]);
    return row && toCluster(row);
  }

  async listClusters(groupId: string, now: string): Promise<ClusterRecord[]> {
    return (await query<ClusterRow>(this.db.pool, SQL.listClusters, [groupId, now])).rows.map(toCluster);
  }

  saveCluster(cluster: ClusterRecord, expectedRevision: number, audit?: Audit<boolean>): Promise<boolean> {
    return this.db.transaction(
      async (client) =>
        (
          await query(client, SQL.saveCluster, [
            cluster.groupId,
            cluster.name,
            JSON.stringify(cluster.spec),
            cluster.deleteRequestedAt,
            cluster.goneAt,
            cluster.revision,
            expectedRevision,
          ])
        ).rowCount === 1,
      audit,
    );
  }
}
