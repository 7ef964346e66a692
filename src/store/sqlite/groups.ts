import type { Database, Statement } from 'better-sqlite3';
import type { Audit } from '../events.js';
import type { GroupCommitter } from '../groupCommit.js';
import {
  MAX_CLUSTERS_PER_GROUP,
  type ClusterRecord,
  type CreateClusterOutcome,
  type DeleteGroupOutcome,
  type GroupRecord,
  type GroupStore,
  type GroupWithClusterCount,
} from '../groups.js';

// Projects and clusters on SQLite. Reads run at once; writes go through group commit
// (`committer.transact`), whose batches are serial, so a check and the write it guards (room in
// the project, no cluster left before a delete) cannot be interleaved with another writer's.

interface GroupRow {
  id: string;
  org_id: string;
  name: string;
  tags: string;
  with_default_alerts_settings: number;
  created_at: string;
  cluster_count: number;
}

interface ClusterRow {
  id: string;
  group_id: string;
  name: string;
  spec: string;
  created_at: string;
  ready_at: string;
  delete_requested_at: string | null;
  gone_at: string | null;
  revision: number;
}

const toGroup = (row: GroupRow): GroupWithClusterCount => ({
  group: {
    id: row.id,
    orgId: row.org_id,
    name: row.name,
    tags: JSON.parse(row.tags) as GroupRecord['tags'],
    withDefaultAlertsSettings: row.with_default_alerts_settings === 1,
    createdAt: row.created_at,
  },
  clusterCount: row.cluster_count,
});

const toCluster = (row: ClusterRow): ClusterRecord => ({
  id: row.id,
  groupId: row.group_id,
  name: row.name,
  spec: JSON.parse(row.spec) as ClusterRecord['spec'],
  createdAt: row.created_at,
  readyAt: row.ready_at,
  deleteRequestedAt: row.delete_requested_at,
  goneAt: row.gone_at,
  revision: row.revision,
});

// A cluster is alive (not gone) at $now while it has no gone_at or gone_at is later. ISO instants
// of one format sort as time, so text comparison is time comparison.
const ALIVE = '(c.gone_at IS NULL OR c.gone_at > @now)';
const GROUP_COLUMNS = `g.id, g.org_id, g.name, g.tags, g.with_default_alerts_settings, g.created_at,
  (SELECT COUNT(*) FROM clusters c WHERE c.group_id = g.id AND ${ALIVE}) AS cluster_count`;
const CLUSTER_COLUMNS = 'c.id, c.group_id, c.name, c.spec, c.created_at, c.ready_at, c.delete_requested_at, c.gone_at, c.revision';

function prepare(db: Database) {
  const p = (sql: string): Statement => db.prepare(sql);
  return {
    insertGroup: p(
      'INSERT INTO groups (id, org_id, name, tags, with_default_alerts_settings, created_at) VALUES (@id, @orgId, @name, @tags, @alerts, @createdAt)',
    ),
    getGroup: p(`SELECT ${GROUP_COLUMNS} FROM groups g WHERE g.id = @id`),
    getGroupByName: p(`SELECT ${GROUP_COLUMNS} FROM groups g WHERE g.org_id = @orgId AND g.name = @name`),
    listGroups: p(`SELECT ${GROUP_COLUMNS} FROM groups g WHERE g.org_id = @orgId ORDER BY g.created_at, g.name`),
    updateGroup: p('UPDATE groups SET name = @name, tags = @tags, with_default_alerts_settings = @alerts WHERE id = @id'),
    groupExists: p('SELECT 1 FROM groups WHERE id = ?'),
    countAliveClusters: p(`SELECT COUNT(*) AS n FROM clusters c WHERE c.group_id = @groupId AND ${ALIVE}`),
    deleteGoneClusters: p('DELETE FROM clusters WHERE group_id = @groupId AND gone_at IS NOT NULL AND gone_at <= @now'),
    deleteGroup: p('DELETE FROM groups WHERE id = ?'),
    insertCluster: p(
      `INSERT INTO clusters (group_id, name, id, spec, created_at, ready_at, delete_requested_at, gone_at, revision)
       VALUES (@groupId, @name, @id, @spec, @createdAt, @readyAt, @deleteRequestedAt, @goneAt, @revision)`,
    ),
    getCluster: p(`SELECT ${CLUSTER_COLUMNS} FROM clusters c WHERE c.group_id = @groupId AND c.name = @name AND ${ALIVE}`),
    listClusters: p(`SELECT ${CLUSTER_COLUMNS} FROM clusters c WHERE c.group_id = @groupId AND ${ALIVE} ORDER BY c.created_at, c.name`),
    saveCluster: p(
      `UPDATE clusters SET spec = @spec, delete_requested_at = @deleteRequestedAt, gone_at = @goneAt, revision = @revision
       WHERE group_id = @groupId AND name = @name AND revision = @expectedRevision`,
    ),
  };
}

type Statements = ReturnType<typeof prepare>;

export class SqliteGroupStore implements GroupStore {
  private readonly s: Statements;

  /** `guard` throws when the store stopped serving (a failed fsync): reads refuse then too. */
  constructor(
    db: Database,
    private readonly committer: GroupCommitter,
    private readonly guard: () => void,
  ) {
    this.s = prepare(db);
  }

  private read<T>(run: () => T): Promise<T> {
    this.guard();
    return Promise.resolve(run());
  }

  async createGroup(group: GroupRecord, audit?: Audit<void>): Promise<void> {
    await this.committer.transact(() => {
      this.s.insertGroup.run({ ...group, tags: JSON.stringify(group.tags), alerts: group.withDefaultAlertsSettings ? 1 : 0 });
    }, audit);
  }

  getGroup(groupId: string, now: string): Promise<GroupWithClusterCount | undefined> {
    return this.read(() => {
      const row = this.s.getGroup.get({ id: groupId, now }) as GroupRow | undefined;
      return row && toGroup(row);
    });
  }

  getGroupByName(orgId: string, name: string, now: string): Promise<GroupWithClusterCount | undefined> {
    return this.read(() => {
      const row = this.s.getGroupByName.get({ orgId, name, now }) as GroupRow | undefined;
      return row && toGroup(row);
    });
  }

  listGroups(orgId: string, now: string): Promise<GroupWithClusterCount[]> {
    return this.read(() => (this.s.listGroups.all({ orgId, now }) as GroupRow[]).map(toGroup));
  }

  updateGroup(group: GroupRecord): Promise<boolean> {
    return this.committer.transact(
      () =>
        this.s.updateGroup.run({ id: group.id, name: group.name, tags: JSON.stringify(group.tags), alerts: group.withDefaultAlertsSettings ? 1 : 0 })
          .changes === 1,
    );
  }

  deleteGroup(groupId: string, now: string, audit?: Audit<DeleteGroupOutcome>): Promise<DeleteGroupOutcome> {
    return this.committer.transact((): DeleteGroupOutcome => {
      if (!this.s.groupExists.get(groupId)) return 'NOT_FOUND';
      if ((this.s.countAliveClusters.get({ groupId, now }) as { n: number }).n > 0) return 'HAS_CLUSTERS';
      this.s.deleteGoneClusters.run({ groupId, now });
      this.s.deleteGroup.run(groupId);
      return 'DELETED';
    }, audit);
  }

  createCluster(cluster: ClusterRecord, now: string, audit?: Audit<CreateClusterOutcome>): Promise<CreateClusterOutcome> {
    return this.committer.transact((): CreateClusterOutcome => {
      const groupId = cluster.groupId;
      if (!this.s.groupExists.get(groupId)) return 'GROUP_NOT_FOUND';
      // A gone cluster's name is free again: its row goes before the insert that reuses it.
      this.s.deleteGoneClusters.run({ groupId, now });
      if (this.s.getCluster.get({ groupId, name: cluster.name, now })) return 'DUPLICATE_NAME';
      if ((this.s.countAliveClusters.get({ groupId, now }) as { n: number }).n >= MAX_CLUSTERS_PER_GROUP) return 'TOO_MANY_CLUSTERS';
      this.s.insertCluster.run({ ...cluster, spec: JSON.stringify(cluster.spec) });
      return 'CREATED';
    }, audit);
  }

  getCluster(groupId: string, name: string, now: string): Promise<ClusterRecord | undefined> {
    return this.read(() => {
      const row = this.s.getCluster.get({ groupId, name, now }) as ClusterRow | undefined;
      return row && toCluster(row);
    });
  }

  listClusters(groupId: string, now: string): Promise<ClusterRecord[]> {
    return this.read(() => (this.s.listClusters.all({ groupId, now }) as ClusterRow[]).map(toCluster));
  }

  saveCluster(cluster: ClusterRecord, expectedRevision: number, audit?: Audit<boolean>): Promise<boolean> {
    return this.committer.transact(
      () =>
        this.s.saveCluster.run({
          groupId: cluster.groupId,
          name: cluster.name,
          spec: JSON.stringify(cluster.spec),
          deleteRequestedAt: cluster.deleteRequestedAt,
          goneAt: cluster.goneAt,
          revision: cluster.revision,
          expectedRevision,
        }).changes === 1,
      audit,
    );
  }
}
