import crypto from 'node:crypto';
import http from 'node:http';

// The baseline: the least a Node server can do for the same request. A POST: read the body, parse
// the JSON, answer 201 with a token-sized JSON body. A GET: answer 200 with a cluster-sized JSON
// body (a cluster description of the same shape and size as pushlink's, serialised per request).
// No framework, no auth, no storage.

const spec = { diskIOPS: 3000, diskSizeGB: 10, ebsVolumeType: 'STANDARD', instanceSize: 'M10', nodeCount: 3 };
const region = { analyticsSpecs: spec, autoScaling: { compute: { enabled: false }, diskGB: { enabled: true } }, electableSpecs: spec, priority: 7, providerName: 'AWS', readOnlySpecs: spec, regionName: 'US_EAST_1' };
const replicationSpecs = [{ id: '0'.repeat(24), regionConfigs: [region], zoneId: '1'.repeat(24), zoneName: 'Zone 1' }];
const cluster = {
  advancedConfiguration: { customOpensslCipherConfigTls12: [], minimumEnabledTlsProtocol: 'TLS1_2', tlsCipherConfigMode: 'DEFAULT' },
  backupEnabled: false, biConnector: { enabled: false, readPreference: 'secondary' }, clusterType: 'REPLICASET',
  connectionStrings: { standard: `mongodb://${['00', '01', '02'].map((n) => `bench-shard-00-${n}.abcdef.mongodb.pushlink.invalid:27017`).join(',')}/?ssl=true&authSource=admin&replicaSet=atlas-abcdef-shard-0`, standardSrv: 'mongodb+srv://bench.abcdef.mongodb.pushlink.invalid' },
  createDate: '2026-12-07T00:00:00Z', diskWarmingMode: 'FULLY_WARMED', effectiveReplicationSpecs: replicationSpecs, encryptionAtRestProvider: 'NONE',
  featureCompatibilityVersion: '8.0', globalClusterSelfManagedSharding: false, groupId: '2'.repeat(24), id: '3'.repeat(24), internalClusterRole: 'NONE', labels: [],
  links: ['', '/restoreJobs', '/backup/snapshots'].map((suffix) => ({ href: `http://127.0.0.1:8080/api/atlas/v2/groups/${'2'.repeat(24)}/clusters/bench${suffix}`, rel: 'self' })),
  mongoDBMajorVersion: '8.0', mongoDBVersion: '8.0.16', name: 'bench', paused: false, pitEnabled: false, redactClientLogData: false, replicationSpecs,
  retainBackups: false, rootCertType: 'ISRGROOTX1', stateName: 'IDLE', tags: [], terminationProtectionEnabled: false, useAwsTimeBasedSnapshotCopyForFastInitialSync: false, versionReleaseSystem: 'LTS',
};

const server = http.createServer((req, res) => {
  if (req.method === 'GET') {
    const body = JSON.stringify(cluster);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400).end();
      return;
    }
    const token = Buffer.from(JSON.stringify({ parsed, privateApiKey: crypto.randomUUID() })).toString('base64');
    const body = JSON.stringify({ linkToken: token });
    res.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`pushlink listening on http://127.0.0.1:${port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
