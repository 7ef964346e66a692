import { clusterState, connectionStrings } from '../../domain/clusters.js';
import { atlasInstant } from '../../http/links.js';
import type { ClusterRecord, HardwareSpec, RegionConfig } from '../../store/groups.js';

// A cluster in the two response shapes clients read, keys in Atlas's (alphabetical) order, as
// recorded (atlas CLI snapshots TestClustersFlags, 2026-08-10; Terraform's MacT capture):
// 2023-02-01 (`AdvancedClusterDescription`: one replication spec per zone with numShards, the
// disk size at the top) and 2024-08-05 (`ClusterDescription20240805`: one spec per shard, the disk
// size in each hardware spec, plus the effective specs and featureCompatibilityVersion).

export type ClusterResponseVersion = '2023-02-01' | '2024-08-05';

const ADVANCED_CONFIGURATION = { customOpensslCipherConfigTls12: [], minimumEnabledTlsProtocol: 'TLS1_2', tlsCipherConfigMode: 'DEFAULT' };

function hardwareView(spec: HardwareSpec, withDisk: boolean) {
  return {
    ...(spec.diskIOPS !== undefined ? { diskIOPS: spec.diskIOPS } : {}),
    ...(withDisk && spec.diskSizeGB !== undefined ? { diskSizeGB: spec.diskSizeGB } : {}),
    ...(spec.ebsVolumeType !== undefined ? { ebsVolumeType: spec.ebsVolumeType } : {}),
    instanceSize: spec.instanceSize,
    ...(spec.nodeCount !== undefined ? { nodeCount: spec.nodeCount } : {}),
  };
}

function regionConfigView(config: RegionConfig, withDisk: boolean) {
  if (config.providerName === 'TENANT') {
    return {
      backingProviderName: config.backingProviderName,
      electableSpecs: { effectiveInstanceSize: config.electableSpecs.instanceSize, instanceSize: config.electableSpecs.instanceSize },
      priority: config.priority,
      providerName: config.providerName,
      regionName: config.regionName,
    };
  }
  return {
    analyticsSpecs: hardwareView(config.analyticsSpecs ?? config.electableSpecs, withDisk),
    autoScaling: config.autoScaling,
    electableSpecs: hardwareView(config.electableSpecs, withDisk),
    priority: config.priority,
    providerName: config.providerName,
    readOnlySpecs: hardwareView(config.readOnlySpecs ?? config.electableSpecs, withDisk),
    regionName: config.regionName,
  };
}

/** 2023-02-01 counts shards per zone: specs of one zone become one entry with numShards. */
function zonedReplicationSpecs(cluster: ClusterRecord) {
  const zones = new Map<string, { id: string; numShards: number; regionConfigs: unknown[]; zoneId: string; zoneName: string }>();
  for (const spec of cluster.spec.replicationSpecs) {
    const zone = zones.get(spec.zoneId);
    if (zone) zone.numShards += 1;
    else {
      zones.set(spec.zoneId, {
        id: spec.id,
        numShards: 1,
        regionConfigs: spec.regionConfigs.map((c) => regionConfigView(c, false)),
        zoneId: spec.zoneId,
        zoneName: spec.zoneName,
      });
    }
  }
  return [...zones.values()];
}

function shardReplicationSpecs(cluster: ClusterRecord) {
  return cluster.spec.replicationSpecs.map((spec) => ({
    id: spec.id,
    regionConfigs: spec.regionConfigs.map((c) => regionConfigView(c, true)),
    zoneId: spec.zoneId,
    zoneName: spec.zoneName,
  }));
}

export function clusterView(cluster: ClusterRecord, version: ClusterResponseVersion, base: string, now: Date) {
  const state = clusterState(cluster, now);
  const self = `${base}/groups/${cluster.groupId}/clusters/${cluster.name}`;
  const spec = cluster.spec;
  const firstElectable = spec.replicationSpecs[0]!.regionConfigs[0]!.electableSpecs;
  const modern = version === '2024-08-05';
  const replicationSpecs = modern ? shardReplicationSpecs(cluster) : zonedReplicationSpecs(cluster);
  return {
    advancedConfiguration: ADVANCED_CONFIGURATION,
    backupEnabled: spec.backupEnabled,
    biConnector: spec.biConnector,
    clusterType: spec.clusterType,
    connectionStrings: connectionStrings(cluster, state),
    createDate: atlasInstant(cluster.createdAt),
    ...(modern ? {} : { diskSizeGB: firstElectable.diskSizeGB ?? 0.5 }),
    diskWarmingMode: 'FULLY_WARMED',
    ...(modern ? { effectiveReplicationSpecs: replicationSpecs } : {}),
    encryptionAtRestProvider: 'NONE',
    ...(modern ? { featureCompatibilityVersion: spec.mongoDBMajorVersion } : {}),
    globalClusterSelfManagedSharding: false,
    groupId: cluster.groupId,
    id: cluster.id,
    ...(modern ? { internalClusterRole: 'NONE' } : {}),
    labels: spec.labels,
    links: [
      { href: self, rel: 'self' },
      { href: `${self}/restoreJobs`, rel: 'https://cloud.mongodb.com/restoreJobs' },
      { href: `${self}/backup/snapshots`, rel: 'https://cloud.mongodb.com/snapshots' },
    ],
    mongoDBMajorVersion: spec.mongoDBMajorVersion,
    mongoDBVersion: spec.mongoDBVersion,
    name: cluster.name,
    paused: spec.paused,
    pitEnabled: spec.pitEnabled,
    ...(modern ? { redactClientLogData: false } : {}),
    replicationSpecs,
    ...(modern ? { retainBackups: false } : {}),
    rootCertType: 'ISRGROOTX1',
    stateName: state,
    tags: spec.tags,
    terminationProtectionEnabled: spec.terminationProtectionEnabled,
    ...(modern ? { useAwsTimeBasedSnapshotCopyForFastInitialSync: false } : {}),
    versionReleaseSystem: spec.versionReleaseSystem,
  };
}
