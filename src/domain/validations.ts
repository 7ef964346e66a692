import type { AvailableProject } from '../store/links.js';
import type { SourceDeployment } from '../store/source.js';
import type { Store } from '../store/store.js';
import type { ClusterRecord } from '../store/groups.js';
import type { ValidationRecord } from '../store/liveMigrations.js';
import { clusterState } from './clusters.js';
import { isActive } from './migrationStatus.js';
import { always, LOCAL_ADMIN, type Actor } from './events.js';
import { validationEvents } from './migrationEvents.js';
import { DomainError } from './errors.js';
import { newObjectId } from './ids.js';
import type { LiveMigrationRequest } from './liveMigrationRequest.js';

// Validate a push live migration from pushlink's own state: what the org's link made available
// (the source's projects, deployments and migration hosts), and the destination cluster. The
// first check that fails becomes the job's errorMessage, in words a user can act on; the checks
// are the documented ones (../shared/reference/live-migrations.md §2.3). A request that is itself
// wrong (a malformed body) is an ApiError before any job exists.

/** Push live migration needs MongoDB 6.0.17 or later on both sides (Atlas docs, c2c-push-live-migration). */
export const MINIMUM_MONGODB_VERSION = '6.0.17';

/** Everything the checks look at, gathered first so the checks themselves are pure. */
export interface ValidationFacts {
  orgId: string;
  linked: boolean;
  /** What the link delivered; undefined when the source has not synced since the link was made. */
  inventory: AvailableProject[] | undefined;
  destination: ClusterRecord | undefined;
  /** A migration already running into the destination cluster, if any. */
  runningInto: string | undefined;
  now: Date;
}

function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.split(/[.-]/).map((part) => Number.parseInt(part, 10) || 0);
  const b = minimum.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

const major = (version: string) => version.split('.').slice(0, 2).join('.');

function checkSource(request: LiveMigrationRequest, facts: ValidationFacts): { failure: string } | { deployment: SourceDeployment } {
  if (!facts.linked) {
    return {
      failure: `Organization ${facts.orgId} has no live-migration link. Create a link-token (POST /api/atlas/v2/orgs/${facts.orgId}/liveMigrations/linkTokens) and paste it into the source's Cloud Manager organization.`,
    };
  }
  if (facts.inventory === undefined) {
    return { failure: 'The organization link has not synced: the source has pushed no projects since the link was made. Check the link status in Cloud Manager.' };
  }
  const { groupId, clusterName } = request.source;
  const project = facts.inventory.find((p) => p.projectId === groupId);
  if (!project) return { failure: `Source project ${groupId} is not one of the projects the organization link made available (see availableProjects).` };
  const deployment = project.deployments.find((d) => d.name === clusterName);
  if (!deployment) return { failure: `Source project ${groupId} has no deployment named ${clusterName}.` };
  if (!project.migrationHosts.includes(request.migrationHost)) {
    const known = project.migrationHosts.length > 0 ? project.migrationHosts.join(', ') : 'none';
    return { failure: `${request.migrationHost} is not a migration host of source project ${groupId} (its migration hosts: ${known}).` };
  }
  if (!versionAtLeast(deployment.mongoDBVersion, MINIMUM_MONGODB_VERSION)) {
    return { failure: `Source deployment ${clusterName} runs MongoDB ${deployment.mongoDBVersion}; push live migration needs ${MINIMUM_MONGODB_VERSION} or later.` };
  }
  if (deployment.tlsEnabled && !request.source.ssl) {
    return { failure: `Invalid SSL options provided: source deployment ${clusterName} requires TLS; set source.ssl.` };
  }
  return { deployment };
}

function checkDestination(request: LiveMigrationRequest, deployment: SourceDeployment, facts: ValidationFacts): string | null {
  const { clusterName, groupId, hostnameSchemaType } = request.destination;
  const cluster = facts.destination;
  if (!cluster) return `Could not find destination cluster ${clusterName} in project ${groupId}.`;
  if (facts.runningInto !== undefined) return `Destination cluster ${clusterName} already has live migration ${facts.runningInto} running into it.`;
  const state = clusterState(cluster, facts.now);
  if (state !== 'IDLE') return `Destination cluster ${clusterName} is ${state}; it must be IDLE.`;
  const spec = cluster.spec;
  if (spec.replicationSpecs.some((s) => s.regionConfigs.some((c) => c.providerName === 'TENANT'))) {
    return `Destination cluster ${clusterName} is an M0 (free) cluster, which cannot be a live-migration destination.`;
  }
  if (spec.biConnector.enabled) return `Destination cluster ${clusterName} has BI Connector enabled; disable it before migrating.`;
  if (hostnameSchemaType !== 'PUBLIC') {
    return `Destination cluster ${clusterName} has no ${hostnameSchemaType === 'PRIVATE_LINK' ? 'private endpoint' : 'network peering'}; use hostnameSchemaType PUBLIC.`;
  }
  if (!versionAtLeast(spec.mongoDBVersion, major(deployment.mongoDBVersion))) {
    return `Destination cluster ${clusterName} runs MongoDB ${spec.mongoDBVersion}, older than the source's ${deployment.mongoDBVersion}.`;
  }
  const destinationSharded = spec.clusterType !== 'REPLICASET';
  if (deployment.sharded && !destinationSharded) {
    return `Source deployment ${deployment.name} is a sharded cluster and destination cluster ${clusterName} a replica set: both must be sharded clusters, or both replica sets.`;
  }
  if (!deployment.sharded && destinationSharded && request.sharding === null) {
    return `Source deployment ${deployment.name} is a replica set and destination cluster ${clusterName} a sharded cluster: give sharding to migrate a replica set into a sharded cluster.`;
  }
  if (deployment.sharded && request.sharding !== null) return 'sharding is only for migrating a replica set into a sharded cluster.';
  return null;
}

/** The first failing check's message, or null when the migration may proceed. */
export function firstValidationFailure(request: LiveMigrationRequest, facts: ValidationFacts): string | null {
  const source = checkSource(request, facts);
  if ('failure' in source) return source.failure;
  return checkDestination(request, source.deployment, facts);
}

export async function gatherValidationFacts(store: Store, orgId: string, request: LiveMigrationRequest, now: Date, cutoverWindowMs: number): Promise<ValidationFacts> {
  const { groupId, clusterName } = request.destination;
  const [link, inventory, destination, migrations] = await Promise.all([
    store.links.getLink(orgId),
    store.links.getAtlasInventory(orgId),
    store.groups.getCluster(groupId, clusterName, now.toISOString()),
    store.liveMigrations.listMigrations(orgId),
  ]);
  const running = migrations.find((m) => m.groupId === groupId && m.destinationClusterName === clusterName && isActive(m, now, cutoverWindowMs));
  return { orgId, linked: link !== undefined, inventory, destination, runningInto: running?.id, now };
}

/** Starts a validation: PENDING for `settleMs`, then its outcome. */
export async function validateLiveMigration(
  store: Store,
  orgId: string,
  request: LiveMigrationRequest,
  timing: { settleMs: number; cutoverWindowMs: number },
  now: Date,
  by: Actor = LOCAL_ADMIN,
): Promise<ValidationRecord> {
  const failure = firstValidationFailure(request, await gatherValidationFacts(store, orgId, request, now, timing.cutoverWindowMs));
  const validation: ValidationRecord = {
    id: newObjectId(now),
    groupId: request.destination.groupId,
    sourceGroupId: request.source.groupId,
    createdAt: now.toISOString(),
    settlesAt: new Date(now.getTime() + timing.settleMs).toISOString(),
    outcome: failure === null ? 'SUCCESS' : 'FAILED',
    errorMessage: failure,
  };
  await store.liveMigrations.createValidation(validation, always(...validationEvents(validation, orgId, by)));
  return validation;
}

export async function requireValidation(store: Store, groupId: string, validationId: string): Promise<ValidationRecord> {
  const found = await store.liveMigrations.getValidation(groupId, validationId);
  if (!found) throw new DomainError('VALIDATION_NOT_FOUND', `no validation ${validationId}`, [`Live migration validation with id ${validationId}`]);
  return found;
}

export type ValidationStatus = 'PENDING' | 'SUCCESS' | 'FAILED';

export function validationStatus(validation: ValidationRecord, now: Date): ValidationStatus {
  return now.toISOString() < validation.settlesAt ? 'PENDING' : validation.outcome;
}
