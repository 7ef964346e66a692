import crypto from 'node:crypto';
import type { ClusterRecord, ClusterSpec, GroupRecord, GroupStore } from '../store/groups.js';
import { booleanAttribute, invalidAttribute } from './attributes.js';
import { parseClusterRequest, type ClusterRequestVersion } from './clusterRequest.js';
import { saveByRevision } from './compareAndSet.js';
import type { AuditChange } from '../store/events.js';
import { LOCAL_ADMIN, NOBODY, newEvent, type Actor } from './events.js';
import { DomainError } from './errors.js';
import { parseTags } from './groups.js';
import { newObjectId } from './ids.js';

// A cluster's life: CREATING until its readyAt, IDLE after, DELETING from a delete until its
// goneAt, then gone (404). The state is read off the stored instants and the clock, never moved
// by a timer, so a restart anywhere in it resumes exactly where it was. Each change is computed
// here as a new record and saved by compare-and-set on its revision.

export type ClusterState = 'CREATING' | 'IDLE' | 'DELETING';

/** How long the phases take (config: --cluster-provisioning, --cluster-deletion). */
export interface ClusterTimings {
  provisioningMs: number;
  deletionMs: number;
}

/** The host names of pushlink's clusters: in `.invalid` (RFC 2606), so no connection goes anywhere. */
export const CLUSTER_HOST_DOMAIN = 'mongodb.pushlink.invalid';

export function clusterState(cluster: ClusterRecord, now: Date): ClusterState {
  if (cluster.deleteRequestedAt !== null) return 'DELETING';
  return now.toISOString() < cluster.readyAt ? 'CREATING' : 'IDLE';
}

/** Six lowercase letters and digits from the cluster id: stable names, different per cluster. */
function label(clusterId: string, salt: string): string {
  const digest = crypto.createHash('sha256').update(`${salt}:${clusterId}`).digest();
  return Array.from(digest.subarray(0, 6), (byte) => 'abcdefghijklmnopqrstuvwxyz0123456789'[byte % 36]).join('');
}

/** Atlas fills connection strings once a cluster is ready: `{}` before. */
export function connectionStrings(cluster: ClusterRecord, state: ClusterState): { standard?: string; standardSrv?: string } {
  if (state !== 'IDLE') return {};
  const domain = `${label(cluster.id, 'host')}.${CLUSTER_HOST_DOMAIN}`;
  const srv = `mongodb+srv://${cluster.name.toLowerCase()}.${domain}`;
  const tenant = cluster.spec.replicationSpecs[0]?.regionConfigs[0]?.providerName === 'TENANT';
  if (tenant) return { standardSrv: srv };
  const shardCount = cluster.spec.clusterType === 'REPLICASET' ? 1 : cluster.spec.replicationSpecs.length;
  const nodes = cluster.spec.replicationSpecs[0]!.regionConfigs.reduce((sum, c) => sum + (c.electableSpecs.nodeCount ?? 3), 0);
  const hosts = Array.from({ length: nodes }, (_, i) => `${cluster.name.toLowerCase()}-shard-00-${String(i).padStart(2, '0')}.${domain}:27017`);
  const options = shardCount > 1 || cluster.spec.clusterType !== 'REPLICASET' ? '?ssl=true&authSource=admin' : `?ssl=true&authSource=admin&replicaSet=atlas-${label(cluster.id, 'rs')}-shard-0`;
  return { standard: `mongodb://${hosts.join(',')}/${options}`, standardSrv: srv };
}

/** The project a cluster change is in, with the org its events belong to. */
export type ClusterProject = Pick<GroupRecord, 'id' | 'orgId'>;

export async function createCluster(
  groups: GroupStore,
  project: ClusterProject,
  body: unknown,
  version: ClusterRequestVersion,
  timings: ClusterTimings,
  now: Date,
  by: Actor = LOCAL_ADMIN,
): Promise<ClusterRecord> {
  const { name, spec } = parseClusterRequest(body, version, now);
  const groupId = project.id;
  const cluster: ClusterRecord = {
    id: newObjectId(now),
    groupId,
    name,
    spec,
    createdAt: now.toISOString(),
    readyAt: new Date(now.getTime() + timings.provisioningMs).toISOString(),
    deleteRequestedAt: null,
    goneAt: null,
    revision: 1,
  };
  const scope = { orgId: project.orgId, groupId };
  const events = [
    newEvent('CLUSTER_CREATED', scope, by, now, { clusterName: name }),
    // IDLE by time alone: recorded now, shown from readyAt (store/events.ts).
    newEvent('CLUSTER_READY', scope, NOBODY, new Date(cluster.readyAt), { clusterName: name }, cluster.id),
  ];
  const outcome = await groups.createCluster(cluster, now.toISOString(), (result) => ({ events: result === 'CREATED' ? events : [] }));
  if (outcome === 'GROUP_NOT_FOUND') throw new DomainError('GROUP_NOT_FOUND', `no project with ID ${groupId}`, [groupId]);
  if (outcome === 'DUPLICATE_NAME') throw new DomainError('DUPLICATE_CLUSTER_NAME', `a cluster named ${name} exists`, [name, groupId]);
  if (outcome === 'TOO_MANY_CLUSTERS') throw new DomainError('TOO_MANY_CLUSTERS', 'the project has the most clusters it may have', [groupId]);
  return cluster;
}

export async function requireCluster(groups: GroupStore, groupId: string, name: string, now: Date): Promise<ClusterRecord> {
  const cluster = await groups.getCluster(groupId, name, now.toISOString());
  if (!cluster) throw clusterNotFound(name, groupId);
  return cluster;
}

export function clusterNotFound(name: string, groupId: string): DomainError {
  return new DomainError('CLUSTER_NOT_FOUND', `no cluster named ${name}`, [name, groupId]);
}

/** What a delete makes of a cluster, or why it may not be deleted. */
export function requestDeletion(cluster: ClusterRecord, timings: ClusterTimings, now: Date): ClusterRecord {
  if (cluster.deleteRequestedAt !== null) throw new DomainError('CLUSTER_ALREADY_REQUESTED_DELETION', 'the cluster is being deleted', [cluster.name]);
  if (cluster.spec.terminationProtectionEnabled) {
    throw new DomainError('TERMINATION_PROTECTION_ENABLED', 'termination protection is on', [
      `Cannot terminate cluster ${cluster.name} in group ${cluster.groupId} because termination protection is enabled. Disable termination protection and try again.`,
    ]);
  }
  return {
    ...cluster,
    deleteRequestedAt: now.toISOString(),
    goneAt: new Date(now.getTime() + timings.deletionMs).toISOString(),
    revision: cluster.revision + 1,
  };
}

/** Attributes an update may change; the rest of a cluster's shape is fixed at creation here. */
const UPDATABLE = ['terminationProtectionEnabled', 'backupEnabled', 'pitEnabled', 'paused', 'tags', 'labels', 'biConnector'] as const;
/** Attributes an update may repeat unchanged (SDK models send the whole description back). */
const ECHOED = new Set(['name', 'id', 'groupId', 'createDate', 'stateName', 'mongoDBVersion', 'connectionStrings', 'links', 'clusterType', 'mongoDBMajorVersion', 'replicationSpecs', 'effectiveReplicationSpecs', 'featureCompatibilityVersion', 'diskSizeGB', 'versionReleaseSystem']);

/** What an update makes of a cluster: only the attributes pushlink lets change, changed. */
export function updateClusterSpec(cluster: ClusterRecord, body: unknown): ClusterRecord {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidAttribute('body', 'the body is an object');
  if (cluster.deleteRequestedAt !== null) throw new DomainError('CLUSTER_ALREADY_REQUESTED_DELETION', 'the cluster is being deleted', [cluster.name]);
  const changes = body as Record<string, unknown>;
  for (const attribute of Object.keys(changes)) {
    if (!(UPDATABLE as readonly string[]).includes(attribute) && !ECHOED.has(attribute)) {
      throw invalidAttribute(attribute, `pushlink cannot change ${attribute} of a cluster`);
    }
  }
  if (changes.name !== undefined && changes.name !== cluster.name) throw invalidAttribute('name', 'a cluster cannot be renamed');
  const current = cluster.spec;
  const bi = (changes.biConnector ?? {}) as Record<string, unknown>;
  const spec: ClusterSpec = {
    ...current,
    terminationProtectionEnabled: booleanAttribute(changes.terminationProtectionEnabled, 'terminationProtectionEnabled', current.terminationProtectionEnabled),
    backupEnabled: booleanAttribute(changes.backupEnabled, 'backupEnabled', current.backupEnabled),
    pitEnabled: booleanAttribute(changes.pitEnabled, 'pitEnabled', current.pitEnabled),
    paused: booleanAttribute(changes.paused, 'paused', current.paused),
    tags: changes.tags === undefined ? current.tags : parseTags(changes.tags),
    labels: changes.labels === undefined ? current.labels : parseTags(changes.labels, 'labels'),
    biConnector: {
      enabled: booleanAttribute(bi.enabled, 'biConnector.enabled', current.biConnector.enabled),
      readPreference: typeof bi.readPreference === 'string' ? bi.readPreference : current.biConnector.readPreference,
    },
  };
  return { ...cluster, spec, revision: cluster.revision + 1 };
}

/** What a saved change of a cluster records: an update, or a delete (and when it is gone). */
function clusterChangeEvents(scope: { orgId: string; groupId: string }, before: ClusterRecord, after: ClusterRecord, by: Actor, now: Date): AuditChange {
  const fields = { clusterName: after.name };
  if (before.deleteRequestedAt === null && after.deleteRequestedAt !== null) {
    return {
      // A cluster deleted before it was ready is never ready.
      cancel: { subjectId: after.id, after: now.toISOString() },
      events: [newEvent('CLUSTER_DELETE_SUBMITTED', scope, by, now, fields), newEvent('CLUSTER_DELETED', scope, NOBODY, new Date(after.goneAt!), fields, after.id)],
    };
  }
  return { events: [newEvent('CLUSTER_UPDATE_SUBMITTED', scope, by, now, fields)] };
}

/** Applies `change` to the stored cluster, by compare-and-set on its revision (compareAndSet.ts), with its events. */
export function changeCluster(
  groups: GroupStore,
  project: ClusterProject,
  name: string,
  now: Date,
  change: (cluster: ClusterRecord) => ClusterRecord,
  by: Actor = LOCAL_ADMIN,
): Promise<ClusterRecord> {
  const scope = { orgId: project.orgId, groupId: project.id };
  return saveByRevision(
    () => requireCluster(groups, project.id, name, now),
    change,
    (next, current) => groups.saveCluster(next, current.revision, (saved) => (saved ? clusterChangeEvents(scope, current, next, by, now) : { events: [] })),
    () => new DomainError('CONCURRENT_CLUSTER_CHANGE', 'the cluster kept changing', [name]),
  );
}
