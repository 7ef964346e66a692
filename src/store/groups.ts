import type { Audit } from './events.js';
// The Atlas projects (groups) of an org and their clusters: the destinations of a live migration.
// One aggregate, because its invariants span both: a project is deleted only while it has no
// cluster, holds at most MAX_CLUSTERS_PER_GROUP of them, and cluster names are unique in it.
//
// Cluster states are not stored as a state that a timer moves on: a cluster stores when it
// becomes ready (readyAt) and, once deletion is asked for, when it is gone (goneAt), and its state
// is read off those instants and the clock (domain/clusters.ts). So a restart in the middle of
// CREATING or DELETING loses no timer and runs none twice: there are none.

export interface GroupTag {
  key: string;
  value: string;
}

export interface GroupRecord {
  id: string;
  orgId: string;
  name: string;
  tags: GroupTag[];
  withDefaultAlertsSettings: boolean;
  createdAt: string;
}

/** A project with the number of its clusters that are not gone yet. */
export interface GroupWithClusterCount {
  group: GroupRecord;
  clusterCount: number;
}

/** A cluster's size and place in one region (Atlas's `CloudRegionConfig20240805`, as stored). */
export interface RegionConfig {
  providerName: 'AWS' | 'AZURE' | 'GCP' | 'TENANT';
  /** The cloud under a TENANT (M0) cluster. */
  backingProviderName?: 'AWS' | 'AZURE' | 'GCP';
  regionName: string;
  priority: number;
  electableSpecs: HardwareSpec;
  readOnlySpecs?: HardwareSpec;
  analyticsSpecs?: HardwareSpec;
  autoScaling?: unknown;
}

export interface HardwareSpec {
  instanceSize: string;
  nodeCount?: number;
  diskSizeGB?: number;
  diskIOPS?: number;
  ebsVolumeType?: string;
}

/** One shard (Atlas 2024-08-05: one replication spec per shard). */
export interface ReplicationSpec {
  id: string;
  zoneId: string;
  zoneName: string;
  regionConfigs: RegionConfig[];
}

/** What a cluster was created as, in one form whatever request version created it. */
export interface ClusterSpec {
  clusterType: 'REPLICASET' | 'SHARDED' | 'GEOSHARDED';
  mongoDBMajorVersion: string;
  mongoDBVersion: string;
  replicationSpecs: ReplicationSpec[];
  backupEnabled: boolean;
  pitEnabled: boolean;
  biConnector: { enabled: boolean; readPreference: string };
  terminationProtectionEnabled: boolean;
  paused: boolean;
  tags: GroupTag[];
  labels: Array<{ key: string; value: string }>;
  versionReleaseSystem: 'LTS' | 'CONTINUOUS';
}

export interface ClusterRecord {
  id: string;
  groupId: string;
  name: string;
  spec: ClusterSpec;
  createdAt: string;
  /** When provisioning ends: CREATING before, IDLE after. */
  readyAt: string;
  /** When deletion was asked for (DELETING from then), or null. */
  deleteRequestedAt: string | null;
  /** When the deleted cluster is gone (404 from then), or null. */
  goneAt: string | null;
  /** Grows with every saved change; saveCluster compares it, so two writers cannot both win. */
  revision: number;
}

/** Atlas: "Each project supports up to 25 database deployments". */
export const MAX_CLUSTERS_PER_GROUP = 25;

export type CreateClusterOutcome = 'CREATED' | 'GROUP_NOT_FOUND' | 'DUPLICATE_NAME' | 'TOO_MANY_CLUSTERS';
export type DeleteGroupOutcome = 'DELETED' | 'NOT_FOUND' | 'HAS_CLUSTERS';

/**
 * `now` (an ISO instant, as the records store them) says which clusters are gone: a cluster is
 * gone once its goneAt is at or before now. Gone clusters are never returned, never counted, and
 * their names are free again; the store drops their rows when it next writes their project.
 */
export interface GroupStore {
  /** Throws UniqueViolationError when the org has a project of that name. */
  createGroup(group: GroupRecord, audit?: Audit<void>): Promise<void>;
  getGroup(groupId: string, now: string): Promise<GroupWithClusterCount | undefined>;
  getGroupByName(orgId: string, name: string, now: string): Promise<GroupWithClusterCount | undefined>;
  /** The org's projects, oldest first (by name among those created at once). */
  listGroups(orgId: string, now: string): Promise<GroupWithClusterCount[]>;
  /** Saves name, tags and alert settings; false when the project is gone. Throws UniqueViolationError on a taken name. */
  updateGroup(group: GroupRecord): Promise<boolean>;
  /** Deletes the project unless a cluster of it is not gone yet, in one transaction with that check. */
  deleteGroup(groupId: string, now: string, audit?: Audit<DeleteGroupOutcome>): Promise<DeleteGroupOutcome>;

  /** Inserts the cluster if its project exists, has room and no cluster of that name, atomically. */
  createCluster(cluster: ClusterRecord, now: string, audit?: Audit<CreateClusterOutcome>): Promise<CreateClusterOutcome>;
  getCluster(groupId: string, name: string, now: string): Promise<ClusterRecord | undefined>;
  /** The project's clusters, oldest first (by name among those created at once). */
  listClusters(groupId: string, now: string): Promise<ClusterRecord[]>;
  /**
   * Saves a changed cluster if the stored one still has revision `expectedRevision` (compare and
   * set); false when another write came first. `cluster.revision` is the new revision.
   */
  saveCluster(cluster: ClusterRecord, expectedRevision: number, audit?: Audit<boolean>): Promise<boolean>;
}
