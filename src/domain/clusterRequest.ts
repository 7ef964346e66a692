import type { ClusterSpec, HardwareSpec, RegionConfig, ReplicationSpec } from '../store/groups.js';
import { booleanAttribute, invalidAttribute, missingAttribute } from './attributes.js';
import { DomainError } from './errors.js';
import { parseTags } from './groups.js';
import { newObjectId } from './ids.js';

// What a create-cluster request may say, in each request version real clients send, turned into
// one ClusterSpec. 2023-02-01 (AdvancedClusterDescription, the atlas CLI's) gives one replication
// spec per zone with `numShards` and the disk size at the top; 2024-08-05 and 2024-10-23
// (ClusterDescription20240805, the Go SDK's and Terraform's) give one spec per shard with the
// disk size in each region config's hardware specs (../shared/reference/live-migrations.md §4.2-4.3).

export type ClusterRequestVersion = '2023-02-01' | '2024-08-05' | '2024-10-23';

/** The MongoDB versions a new cluster gets, by major: the newest patch pushlink knows of each. */
export const MONGODB_VERSIONS: Readonly<Record<string, string>> = { '6.0': '6.0.26', '7.0': '7.0.40', '8.0': '8.0.16' };
export const DEFAULT_MONGODB_MAJOR_VERSION = '8.0';

const CLUSTER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9-]*$/;
const MAX_CLUSTER_NAME_LENGTH = 64;
/** Atlas keeps names of this shape for itself (ATLAS_RESERVED_CLUSTER_NAME). */
const RESERVED_CLUSTER_NAME = /^atlas-[a-z0-9]{6}$/;
const DEDICATED_TIER = /^(M(10|20|30|40|50|60|80|100|140|200|300|400|700)|R(40|50|60|80|200|300|400|700)|M(40|50|60|80|200|400)_NVME)$/;
const REGION_NAME = /^[A-Z][A-Z0-9_]{1,63}$/;
const PROVIDERS = ['AWS', 'AZURE', 'GCP', 'TENANT'] as const;
const CLOUD_PROVIDERS = ['AWS', 'AZURE', 'GCP'] as const;
const CLUSTER_TYPES = ['REPLICASET', 'SHARDED', 'GEOSHARDED'] as const;
const RELEASE_SYSTEMS = ['LTS', 'CONTINUOUS'] as const;
const ELECTABLE_NODE_COUNTS = [3, 5, 7];
/** Atlas's default disk per tier (GB); larger tiers start at the M80 size here. */
const DEFAULT_DISK_GB: Readonly<Record<string, number>> = { M10: 10, M20: 20, M30: 40, M40: 80, M50: 160, M60: 320 };

/** Attributes a client may send that pushlink uses. */
const USED = new Set([
  'name', 'clusterType', 'replicationSpecs', 'mongoDBMajorVersion', 'backupEnabled', 'pitEnabled', 'biConnector',
  'terminationProtectionEnabled', 'paused', 'tags', 'labels', 'versionReleaseSystem', 'diskSizeGB',
]);
/**
 * Attributes a client may send that pushlink accepts and does not model: read-only fields that
 * SDK models echo back, and settings that change nothing a migration can observe.
 */
const ACCEPTED = new Set([
  'id', 'groupId', 'createDate', 'stateName', 'mongoDBVersion', 'connectionStrings', 'links', 'featureCompatibilityVersion',
  'featureCompatibilityVersionExpirationDate', 'effectiveReplicationSpecs', 'internalClusterRole', 'mongoURI', 'mongoURIUpdated',
  'mongoURIWithOptions', 'srvAddress', 'advancedConfiguration', 'encryptionAtRestProvider', 'rootCertType', 'diskWarmingMode',
  'redactClientLogData', 'retainBackups', 'globalClusterSelfManagedSharding', 'configServerManagementMode', 'configServerType',
  'replicaSetScalingStrategy', 'acceptDataRisksAndForceReplicaSetReconfig', 'useAwsTimeBasedSnapshotCopyForFastInitialSync',
  'adaptiveCapacity', 'effectiveDatabaseEdition', 'backupSettings',
]);

function oneOf<T extends string>(value: unknown, allowed: readonly T[], attribute: string, fallback?: T): T {
  if ((value === undefined || value === null) && fallback !== undefined) return fallback;
  if (value === undefined || value === null) throw missingAttribute(attribute);
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new DomainError('INVALID_ENUM_VALUE', `${attribute} is one of ${allowed.join(', ')}`, [String(value), attribute]);
  }
  return value as T;
}

function objectAttribute(value: unknown, attribute: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidAttribute(attribute, `${attribute} is an object`);
  return value as Record<string, unknown>;
}

function listAttribute(value: unknown, attribute: string): unknown[] {
  if (value === undefined || value === null) throw missingAttribute(attribute);
  if (!Array.isArray(value) || value.length === 0) throw invalidAttribute(attribute, `${attribute} is a list with at least one entry`);
  return value;
}

function count(value: unknown, attribute: string, allowed: (n: number) => boolean, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || !allowed(value)) throw invalidAttribute(attribute, `${attribute} is out of range`);
  return value;
}

export function parseClusterName(name: unknown): string {
  if (name === undefined || name === null || name === '') throw missingAttribute('name');
  if (typeof name !== 'string' || !CLUSTER_NAME.test(name)) {
    throw new DomainError('CLUSTER_NAME_INVALID', 'a cluster name has ASCII letters, digits and hyphens, and starts with a letter or digit', [String(name)]);
  }
  if (name.length > MAX_CLUSTER_NAME_LENGTH) throw new DomainError('CLUSTER_NAME_TOO_LONG', 'a cluster name has at most 64 characters', [name]);
  if (RESERVED_CLUSTER_NAME.test(name)) throw new DomainError('ATLAS_RESERVED_CLUSTER_NAME', 'atlas-xxxxxx names are reserved', [name]);
  return name;
}

/** Flex (M2, M5, FLEX) cannot be a live-migration destination, so pushlink does not serve it. */
function refuseFlex(instanceSize: string): void {
  if (instanceSize === 'M2' || instanceSize === 'M5' || instanceSize === 'FLEX') {
    throw new DomainError('FLEX_CLUSTERS_NOT_SUPPORTED', 'pushlink serves no Flex clusters', []);
  }
}

function hardware(value: unknown, attribute: string, provider: RegionConfig['providerName'], tier: string | undefined, diskSizeGB: number | undefined, electable: boolean): HardwareSpec {
  const spec = value === undefined || value === null ? {} : objectAttribute(value, attribute);
  const instanceSize = spec.instanceSize ?? tier;
  if (typeof instanceSize !== 'string') throw missingAttribute(`${attribute}.instanceSize`);
  refuseFlex(instanceSize);
  if (provider === 'TENANT') {
    if (instanceSize !== 'M0') throw new DomainError('INVALID_ENUM_VALUE', 'a TENANT cluster is M0', [instanceSize, `${attribute}.instanceSize`]);
    return { instanceSize };
  }
  if (!DEDICATED_TIER.test(instanceSize)) {
    throw new DomainError('INVALID_ENUM_VALUE', `${instanceSize} is not a dedicated instance size`, [instanceSize, `${attribute}.instanceSize`]);
  }
  const nodeCount = count(spec.nodeCount, `${attribute}.nodeCount`, electable ? (n) => ELECTABLE_NODE_COUNTS.includes(n) : (n) => n >= 0 && n <= 50, electable ? 3 : 0);
  const disk = spec.diskSizeGB ?? diskSizeGB ?? DEFAULT_DISK_GB[instanceSize] ?? 760;
  // Not Atlas's per-tier minimum: the atlas CLI sends its flag default of 2 GB for an M10.
  if (typeof disk !== 'number' || !(disk > 0 && disk <= 4096)) throw invalidAttribute('diskSizeGB', 'diskSizeGB is more than 0 and at most 4096');
  const result: HardwareSpec = { instanceSize, nodeCount, diskSizeGB: disk };
  if (provider === 'AWS') {
    result.diskIOPS = count(spec.diskIOPS, `${attribute}.diskIOPS`, (n) => n >= 100 && n <= 64_000, 3000);
    result.ebsVolumeType = oneOf(spec.ebsVolumeType, ['STANDARD', 'PROVISIONED'] as const, `${attribute}.ebsVolumeType`, 'STANDARD');
  }
  return result;
}

function regionConfig(value: unknown, attribute: string, diskSizeGB: number | undefined, first: boolean): RegionConfig {
  const config = objectAttribute(value, attribute);
  const providerName = oneOf(config.providerName, PROVIDERS, `${attribute}.providerName`);
  if (typeof config.regionName !== 'string' || !REGION_NAME.test(config.regionName)) {
    throw invalidAttribute('regionName', `${attribute}.regionName is a region name such as US_EAST_1`);
  }
  const priority = count(config.priority, `${attribute}.priority`, (n) => n >= 0 && n <= 7, first ? 7 : 6);
  const electableSpecs = hardware(config.electableSpecs, `${attribute}.electableSpecs`, providerName, undefined, diskSizeGB, true);
  const result: RegionConfig = { providerName, regionName: config.regionName, priority, electableSpecs };
  if (providerName === 'TENANT') {
    result.backingProviderName = oneOf(config.backingProviderName, CLOUD_PROVIDERS, `${attribute}.backingProviderName`);
    return result;
  }
  const tier = electableSpecs.instanceSize;
  result.readOnlySpecs = hardware(config.readOnlySpecs, `${attribute}.readOnlySpecs`, providerName, tier, electableSpecs.diskSizeGB, false);
  result.analyticsSpecs = hardware(config.analyticsSpecs, `${attribute}.analyticsSpecs`, providerName, tier, electableSpecs.diskSizeGB, false);
  result.autoScaling = config.autoScaling ?? { compute: { enabled: false, scaleDownEnabled: false }, diskGB: { enabled: true } };
  return result;
}

function replicationSpecs(body: Record<string, unknown>, version: ClusterRequestVersion, clusterType: ClusterSpec['clusterType'], now: Date): ReplicationSpec[] {
  const legacy = version === '2023-02-01';
  const diskSizeGB = legacy && body.diskSizeGB !== undefined && body.diskSizeGB !== null ? body.diskSizeGB : undefined;
  if (diskSizeGB !== undefined && typeof diskSizeGB !== 'number') throw invalidAttribute('diskSizeGB', 'diskSizeGB is a number');
  const shards: ReplicationSpec[] = [];
  listAttribute(body.replicationSpecs, 'replicationSpecs').forEach((value, i) => {
    const attribute = `replicationSpecs[${i}]`;
    const spec = objectAttribute(value, attribute);
    const zoneName = spec.zoneName ?? 'Zone 1';
    if (typeof zoneName !== 'string' || zoneName.length === 0 || zoneName.length > 255) throw invalidAttribute(`${attribute}.zoneName`, 'zoneName is a name');
    const regionConfigs = listAttribute(spec.regionConfigs, `${attribute}.regionConfigs`).map((config, j) =>
      regionConfig(config, `${attribute}.regionConfigs[${j}]`, diskSizeGB, j === 0),
    );
    // 2023-02-01 says how many shards a zone has; 2024-08-05 lists each shard.
    const numShards = legacy ? count(spec.numShards, `${attribute}.numShards`, (n) => n >= 1 && n <= 70, 1) : 1;
    const zoneId = newObjectId(now);
    for (let shard = 0; shard < numShards; shard++) shards.push({ id: newObjectId(now), zoneId, zoneName, regionConfigs });
  });
  const tenant = shards.some((s) => s.regionConfigs.some((c) => c.providerName === 'TENANT'));
  if (clusterType === 'REPLICASET' && shards.length !== 1) throw invalidAttribute('replicationSpecs', 'a REPLICASET cluster has one replication spec with one shard');
  if (tenant && (shards.length !== 1 || shards[0]!.regionConfigs.length !== 1)) throw invalidAttribute('replicationSpecs', 'an M0 cluster is one region of one replica set');
  return shards;
}

/** The spec a create request asks for; every refusal names the attribute. */
export function parseClusterRequest(body: unknown, version: ClusterRequestVersion, now: Date): { name: string; spec: ClusterSpec } {
  const request = objectAttribute(body, 'body');
  for (const attribute of Object.keys(request)) {
    if (!USED.has(attribute) && !ACCEPTED.has(attribute)) throw invalidAttribute(attribute, `${attribute} is not an attribute of a cluster`);
  }
  if (request.diskSizeGB !== undefined && version !== '2023-02-01') {
    throw invalidAttribute('diskSizeGB', 'from version 2024-08-05 on, diskSizeGB goes in each region config\'s hardware specs');
  }
  const name = parseClusterName(request.name);
  const clusterType = oneOf(request.clusterType, CLUSTER_TYPES, 'clusterType', 'REPLICASET');
  const major = request.mongoDBMajorVersion ?? DEFAULT_MONGODB_MAJOR_VERSION;
  const mongoDBVersion = typeof major === 'string' ? MONGODB_VERSIONS[major] : undefined;
  if (mongoDBVersion === undefined) {
    throw invalidAttribute('mongoDBMajorVersion', `mongoDBMajorVersion is one of ${Object.keys(MONGODB_VERSIONS).join(', ')}`);
  }
  const bi = request.biConnector === undefined || request.biConnector === null ? {} : objectAttribute(request.biConnector, 'biConnector');
  const readPreference = bi.readPreference ?? 'secondary';
  if (typeof readPreference !== 'string') throw invalidAttribute('biConnector.readPreference', 'readPreference is a string');
  return {
    name,
    spec: {
      clusterType,
      mongoDBMajorVersion: major as string,
      mongoDBVersion,
      replicationSpecs: replicationSpecs(request, version, clusterType, now),
      backupEnabled: booleanAttribute(request.backupEnabled, 'backupEnabled', false),
      pitEnabled: booleanAttribute(request.pitEnabled, 'pitEnabled', false),
      biConnector: { enabled: booleanAttribute(bi.enabled, 'biConnector.enabled', false), readPreference },
      terminationProtectionEnabled: booleanAttribute(request.terminationProtectionEnabled, 'terminationProtectionEnabled', false),
      paused: booleanAttribute(request.paused, 'paused', false),
      tags: parseTags(request.tags),
      labels: parseTags(request.labels, 'labels'),
      versionReleaseSystem: oneOf(request.versionReleaseSystem, RELEASE_SYSTEMS, 'versionReleaseSystem', 'LTS'),
    },
  };
}
