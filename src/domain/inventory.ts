import type { AvailableProject } from '../store/links.js';
import type { SourceDeployment, SourceInventory, SourceProject } from '../store/source.js';
import type { Store } from '../store/store.js';
import { isDeepStrictEqual } from 'node:util';
import { ifWritten, NOBODY, newEvent, type Actor } from './events.js';
import { DomainError } from './errors.js';
import { OBJECT_ID_PATTERN, newObjectId } from './ids.js';
import { requireOrg } from './orgs.js';

// The source side's inventory (projects, their deployments and migration hosts) and its Atlas
// shape, `LiveImportAvailableProject`, which is what the source pushes and availableProjects shows.

const PROJECT_NAME_MAX = 64;
const DEPLOYMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MONGODB_VERSION = /^\d{1,3}\.\d{1,3}\.\d{1,4}(-[0-9A-Za-z.-]{1,32})?$/;
const FEATURE_COMPATIBILITY_VERSION = /^\d{1,3}\.\d{1,3}$/;
const AGENT_VERSION = /^\d{1,5}(\.\d{1,6}){1,4}$/;
const HOSTNAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const INT32_MAX = 2 ** 31 - 1;

function invalid(field: string, why: string): never {
  throw new DomainError('INVALID_INVENTORY', `${field} ${why}`, [field]);
}

function checkInteger(field: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (!Number.isSafeInteger(value) || value < min || value > max) invalid(field, `must be a whole number from ${min} to ${max}`);
}

/** Validates a deployment as the Atlas `AvailableClustersDeployment` schema and sense require. */
export function checkDeployment(deployment: SourceDeployment): SourceDeployment {
  if (!DEPLOYMENT_NAME.test(deployment.name)) invalid('name', 'must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit');
  if (deployment.clusterId !== undefined && !OBJECT_ID_PATTERN.test(deployment.clusterId)) invalid('clusterId', 'must be 24 hexadecimal digits');
  if (!MONGODB_VERSION.test(deployment.mongoDBVersion)) invalid('mongoDBVersion', 'must look like 7.0.13');
  if (!FEATURE_COMPATIBILITY_VERSION.test(deployment.featureCompatibilityVersion)) {
    invalid('featureCompatibilityVersion', 'must look like 7.0');
  }
  if (deployment.agentVersion !== undefined && !AGENT_VERSION.test(deployment.agentVersion)) {
    invalid('agentVersion', 'must look like 13.24.0.9285');
  }
  for (const flag of ['sharded', 'tlsEnabled', 'managed'] as const) {
    if (typeof deployment[flag] !== 'boolean') invalid(flag, 'must be true or false');
  }
  checkInteger('dbSizeBytes', deployment.dbSizeBytes, 0, Number.MAX_SAFE_INTEGER);
  checkInteger('oplogSizeMB', deployment.oplogSizeMB, 0, INT32_MAX);
  checkInteger('shardsSize', deployment.shardsSize, 1, INT32_MAX);
  if (deployment.shardsSize !== undefined && !deployment.sharded) invalid('shardsSize', 'is only for sharded deployments');
  return deployment;
}

export function checkHostname(hostname: string): string {
  if (!HOSTNAME.test(hostname)) invalid('hostname', 'must be a DNS name or an IPv4 address');
  return hostname;
}

export async function createSourceProject(store: Store, orgId: string, name: string, now = new Date()): Promise<SourceProject> {
  await requireOrg(store, orgId);
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > PROJECT_NAME_MAX) invalid('name', `must have 1 to ${PROJECT_NAME_MAX} characters`);
  const project: SourceProject = { id: newObjectId(now), orgId, name: trimmed, createdAt: now.toISOString() };
  await store.source.createSourceProject(project);
  return project;
}

async function requireSourceProject(store: Store, projectId: string): Promise<SourceProject> {
  const project = OBJECT_ID_PATTERN.test(projectId) ? await store.source.getSourceProject(projectId) : undefined;
  if (!project) throw new DomainError('SOURCE_PROJECT_NOT_FOUND', `no project with ID ${projectId}`, [projectId]);
  return project;
}

export async function saveSourceDeployment(store: Store, projectId: string, deployment: SourceDeployment): Promise<SourceProject> {
  const project = await requireSourceProject(store, projectId);
  checkDeployment(deployment);
  if (!(await store.source.saveSourceDeployment(projectId, deployment))) await requireSourceProject(store, projectId);
  return project;
}

export async function removeSourceDeployment(store: Store, projectId: string, name: string): Promise<void> {
  await requireSourceProject(store, projectId);
  if (!(await store.source.deleteSourceDeployment(projectId, name))) {
    throw new DomainError('SOURCE_DEPLOYMENT_NOT_FOUND', `no deployment ${name} in project ${projectId}`, [name]);
  }
}

export async function addSourceMigrationHost(store: Store, projectId: string, hostname: string): Promise<void> {
  await requireSourceProject(store, projectId);
  checkHostname(hostname);
  if (!(await store.source.addSourceMigrationHost(projectId, hostname))) await requireSourceProject(store, projectId);
}

export async function removeSourceMigrationHost(store: Store, projectId: string, hostname: string): Promise<void> {
  await requireSourceProject(store, projectId);
  if (!(await store.source.deleteSourceMigrationHost(projectId, hostname))) {
    throw new DomainError('SOURCE_DEPLOYMENT_NOT_FOUND', `no migration host ${hostname} in project ${projectId}`, [hostname]);
  }
}

const DEPLOYMENT_FIELDS = [
  'agentVersion',
  'clusterId',
  'dbSizeBytes',
  'featureCompatibilityVersion',
  'managed',
  'mongoDBVersion',
  'name',
  'oplogSizeMB',
  'sharded',
  'shardsSize',
  'tlsEnabled',
] as const satisfies ReadonlyArray<keyof SourceDeployment>;

/** A deployment with Atlas's field order (alphabetical, as its bodies are) and no unset fields. */
function canonicalDeployment(deployment: SourceDeployment): SourceDeployment {
  const out: Record<string, unknown> = {};
  for (const field of DEPLOYMENT_FIELDS) if (deployment[field] !== undefined) out[field] = deployment[field];
  return out as unknown as SourceDeployment;
}

/** The inventory in Atlas's shape: `LiveImportAvailableProject[]`. */
export function toAvailableProjects(inventory: SourceInventory): AvailableProject[] {
  return inventory.projects.map(({ project, deployments, migrationHosts }) => ({
    deployments: deployments.map(canonicalDeployment),
    migrationHosts: [...migrationHosts],
    name: project.name,
    projectId: project.id,
  }));
}

export async function readSourceInventory(store: Store, orgId: string): Promise<{ version: number; projects: AvailableProject[] }> {
  await requireOrg(store, orgId);
  const inventory = await store.source.getSourceInventory(orgId);
  return { version: inventory.version, projects: toAvailableProjects(inventory) };
}

/** Atlas side: what the org's link delivered, or nothing when no source has synced. */
export async function availableProjects(store: Store, orgId: string): Promise<AvailableProject[]> {
  return (await store.links.getAtlasInventory(orgId)) ?? [];
}

/**
 * Atlas side: a source pushes its inventory with the link key. Only the org's current link key
 * may; the store refuses any other key in the same transaction that writes.
 */
export async function receiveInventory(
  store: Store,
  orgId: string,
  apiKeyId: string,
  projects: AvailableProject[],
  now = new Date(),
  by: Actor = NOBODY,
): Promise<void> {
  const received = projects.map((project) => {
    if (!OBJECT_ID_PATTERN.test(project.projectId)) invalid('projectId', 'must be 24 hexadecimal digits');
    return {
      deployments: project.deployments.map((deployment) => canonicalDeployment(checkDeployment(deployment))),
      migrationHosts: project.migrationHosts,
      name: project.name,
      projectId: project.projectId,
    };
  });
  // The source re-pushes every interval; only a push that changes what Atlas holds is an event.
  // (Compared as values: PostgreSQL's jsonb gives the keys back in its own order.)
  const changed = !isDeepStrictEqual(await store.links.getAtlasInventory(orgId), received);
  const audit = changed ? ifWritten(newEvent('LIVE_MIGRATION_LINK_SYNCED', { orgId }, by, now, { projects: received.length })) : undefined;
  if (!(await store.links.putAtlasInventory(orgId, apiKeyId, received, now.toISOString(), audit))) {
    throw new DomainError('NOT_THE_LINK_KEY', 'only the organization\'s current link key may push its inventory');
  }
}

export async function withdrawInventory(store: Store, orgId: string, apiKeyId: string, by: Actor = NOBODY, now = new Date()): Promise<void> {
  await store.links.deleteAtlasInventory(orgId, apiKeyId, ifWritten(newEvent('LIVE_MIGRATION_LINK_WITHDRAWN', { orgId }, by, now)));
}
