import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bearerCall, bootstrapKey, bootstrapToken, digestCall, isApiError, newKey } from '../helpers/atlas.js';
import { ManualClock } from '../helpers/clock.js';
import { startServer, type TestServer } from '../helpers/server.js';

// Clusters over HTTP, in the request shapes real clients send and the response shapes recorded
// (../shared/reference/live-migrations.md §4.2-4.4). A manual clock moves them through their phases.

const V2023 = 'application/vnd.atlas.2023-02-01+json';
const V2024 = 'application/vnd.atlas.2024-08-05+json';
const V20241023 = 'application/vnd.atlas.2024-10-23+json';
const PROVISIONING_MS = 60_000;
const DELETION_MS = 30_000;

/** `atlas clusters create NAME --provider AWS --region US_EAST_1 --tier M10` (CLI create.go, 2023-02-01). */
const cliBody = (groupId: string, name: string, extra: Record<string, unknown> = {}) => ({
  clusterType: 'REPLICASET',
  diskSizeGB: 2,
  groupId,
  name,
  terminationProtectionEnabled: false,
  replicationSpecs: [
    {
      numShards: 1,
      zoneName: 'Zone 1',
      regionConfigs: [
        {
          priority: 7,
          providerName: 'AWS',
          regionName: 'US_EAST_1',
          electableSpecs: { instanceSize: 'M10', nodeCount: 3 },
          readOnlySpecs: { instanceSize: 'M10', nodeCount: 0 },
        },
      ],
    },
  ],
  ...extra,
});

/** Terraform's mongodbatlas_advanced_cluster create (MacT capture, 2024-10-23). */
const terraformBody = (name: string) => ({
  clusterType: 'REPLICASET',
  labels: [],
  name,
  replicationSpecs: [
    {
      regionConfigs: [
        {
          autoScaling: { compute: { enabled: false, scaleDownEnabled: false }, diskGB: { enabled: true } },
          electableSpecs: { diskSizeGB: 10, instanceSize: 'M10', nodeCount: 3 },
          priority: 7,
          providerName: 'AWS',
          regionName: 'US_EAST_1',
        },
      ],
      zoneName: 'ZoneName managed by Terraform',
    },
  ],
  tags: [],
});

describe('Atlas clusters (/api/atlas/v2/groups/{groupId}/clusters)', () => {
  let server: TestServer;
  let token: string;
  let groupId: string;
  const clock = new ManualClock(Date.parse('2026-12-07T12:00:00.000Z'));
  const clusters = () => `/api/atlas/v2/groups/${groupId}/clusters`;
  const call = (path: string, accept: string, options: { method?: string; json?: unknown } = {}) =>
    bearerCall(server, path, token, { ...options, headers: { accept, ...(options.json !== undefined ? { 'content-type': accept } : {}) } });

  before(async () => {
    server = await startServer({ clusterProvisioningMs: PROVISIONING_MS, clusterDeletionMs: DELETION_MS }, { clock });
    token = await bootstrapToken(server);
    const project = await bearerCall(server, '/api/atlas/v2/groups', token, { method: 'POST', json: { name: 'destinations', orgId: server.bootstrap.orgId } });
    groupId = project.json.id;
  });
  after(() => server.close());

  it('creates an M10 as the atlas CLI asks (2023-02-01): 201 CREATING, the recorded keys and deprecation headers', async () => {
    const res = await call(clusters(), V2023, { method: 'POST', json: cliBody(groupId, 'cluster-712') });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.headers['content-type'], 'application/vnd.atlas.2023-02-01+json;charset=utf-8');
    assert.equal(res.headers.deprecation, 'Mon, 5 Aug 2024 00:00:00 GMT');
    assert.equal(res.headers.sunset, 'Thu, 1 Jul 2027 00:00:00 GMT');
    assert.deepEqual(Object.keys(res.json), [
      'advancedConfiguration', 'backupEnabled', 'biConnector', 'clusterType', 'connectionStrings', 'createDate', 'diskSizeGB',
      'diskWarmingMode', 'encryptionAtRestProvider', 'globalClusterSelfManagedSharding', 'groupId', 'id', 'labels', 'links',
      'mongoDBMajorVersion', 'mongoDBVersion', 'name', 'paused', 'pitEnabled', 'replicationSpecs', 'rootCertType', 'stateName',
      'tags', 'terminationProtectionEnabled', 'versionReleaseSystem',
    ]);
    assert.equal(res.json.stateName, 'CREATING');
    assert.deepEqual(res.json.connectionStrings, {});
    assert.equal(res.json.mongoDBMajorVersion, '8.0');
    assert.equal(res.json.mongoDBVersion, '8.0.16');
    assert.equal(res.json.diskSizeGB, 2);
    assert.equal(res.json.groupId, groupId);
    const [spec] = res.json.replicationSpecs;
    assert.equal(spec.numShards, 1);
    assert.equal(spec.zoneName, 'Zone 1');
    assert.deepEqual(spec.regionConfigs[0].electableSpecs, { diskIOPS: 3000, ebsVolumeType: 'STANDARD', instanceSize: 'M10', nodeCount: 3 });
    assert.deepEqual(spec.regionConfigs[0].analyticsSpecs, { diskIOPS: 3000, ebsVolumeType: 'STANDARD', instanceSize: 'M10', nodeCount: 0 });
  });

  it('goes CREATING → IDLE after the provisioning time, with connection strings at IDLE (2024-08-05)', async () => {
    const path = `${clusters()}/cluster-712`;
    const creating = await call(path, V2024);
    assert.equal(creating.status, 200);
    assert.equal(creating.headers['content-type'], 'application/vnd.atlas.2024-08-05+json;charset=utf-8');
    assert.equal(creating.headers.deprecation, undefined);
    assert.equal(creating.json.stateName, 'CREATING');
    assert.deepEqual(creating.json.connectionStrings, {});
    clock.advance(PROVISIONING_MS - 1);
    assert.equal((await call(path, V2024)).json.stateName, 'CREATING');
    clock.advance(1);
    const idle = await call(path, V2024);
    assert.equal(idle.json.stateName, 'IDLE');
    assert.equal(idle.json.featureCompatibilityVersion, '8.0');
    assert.match(idle.json.connectionStrings.standardSrv, /^mongodb\+srv:\/\/cluster-712\.[a-z0-9]{6}\.mongodb\.pushlink\.invalid$/);
    assert.match(
      idle.json.connectionStrings.standard,
      /^mongodb:\/\/cluster-712-shard-00-00\.[a-z0-9]{6}\.mongodb\.pushlink\.invalid:27017,cluster-712-shard-00-01\.[^,]+,cluster-712-shard-00-02\.[^/]+\/\?ssl=true&authSource=admin&replicaSet=atlas-[a-z0-9]{6}-shard-0$/,
    );
    assert.equal(idle.json.replicationSpecs[0].regionConfigs[0].electableSpecs.diskSizeGB, 2);
    assert.deepEqual(idle.json.effectiveReplicationSpecs, idle.json.replicationSpecs);
    // Digest sees the same cluster, in the older shape.
    const old = await digestCall(server, path, bootstrapKey(server), { headers: { accept: V2023 } });
    assert.equal(old.json.stateName, 'IDLE');
    assert.equal(old.json.replicationSpecs[0].numShards, 1);
  });

  it('creates as Terraform asks (2024-10-23), filling the server-side specs, and answers in the 2024-08-05 shape', async () => {
    const res = await call(clusters(), V20241023, { method: 'POST', json: terraformBody('test') });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.headers['content-type'], 'application/vnd.atlas.2024-10-23+json;charset=utf-8');
    assert.equal(res.json.stateName, 'CREATING');
    const region = res.json.replicationSpecs[0].regionConfigs[0];
    assert.deepEqual(region.readOnlySpecs, { diskIOPS: 3000, diskSizeGB: 10, ebsVolumeType: 'STANDARD', instanceSize: 'M10', nodeCount: 0 });
    assert.match(res.json.replicationSpecs[0].id, /^[a-f0-9]{24}$/);
    assert.match(res.json.replicationSpecs[0].zoneId, /^[a-f0-9]{24}$/);
    const asV2024 = await call(clusters(), V2024, { method: 'POST', json: terraformBody('test-2024') });
    assert.equal(asV2024.status, 201);
    assert.equal(asV2024.headers.deprecation, 'Wed, 23 Oct 2024 00:00:00 GMT');
    assert.equal(asV2024.headers.sunset, 'Mon, 1 Mar 2027 00:00:00 GMT');
  });

  it('refuses a duplicate name with the recorded 400 DUPLICATE_CLUSTER_NAME', async () => {
    const res = await call(clusters(), V2023, { method: 'POST', json: cliBody(groupId, 'cluster-712') });
    assert.ok(isApiError(res, 400, 'DUPLICATE_CLUSTER_NAME'));
    assert.deepEqual(res.json, {
      detail: `A cluster or serverless instance named cluster-712 is already present in group ${groupId}.`,
      error: 400,
      errorCode: 'DUPLICATE_CLUSTER_NAME',
      parameters: ['cluster or serverless instance', 'cluster-712', groupId],
      reason: 'Bad Request',
    });
  });

  it('lists clusters in both versions with the recorded self link', async () => {
    for (const accept of [V2023, V2024]) {
      const res = await call(`${clusters()}?includeCount=true&includeDeletedWithRetainedBackups=false&itemsPerPage=100&pageNum=1`, accept);
      assert.equal(res.status, 200);
      assert.deepEqual(res.json.links, [
        { href: `${server.url}${clusters()}?includeCount=true&includeDeletedWithRetainedBackups=false&pageNum=1&itemsPerPage=100`, rel: 'self' },
      ]);
      assert.deepEqual(res.json.results.map((c: { name: string }) => c.name), ['cluster-712', 'test', 'test-2024']);
      assert.equal(res.json.totalCount, 3);
    }
    const project = await call(`/api/atlas/v2/groups/${groupId}`, 'application/vnd.atlas.2023-01-01+json');
    assert.equal(project.json.clusterCount, 3);
  });

  it('keeps a protected cluster (recorded 400), deletes through DELETING to the recorded 404, and frees the project', async () => {
    const created = await call(clusters(), V2023, { method: 'POST', json: cliBody(groupId, 'protected', { terminationProtectionEnabled: true }) });
    assert.equal(created.status, 201);
    const path = `${clusters()}/protected`;
    const refused = await call(path, V2023, { method: 'DELETE' });
    assert.ok(isApiError(refused, 400, 'CANNOT_TERMINATE_CLUSTER_WHEN_TERMINATION_PROTECTION_ENABLED'));
    assert.deepEqual(refused.json, {
      detail: 'Cannot terminate a cluster when termination protection is enabled. Disable termination protection and try again.',
      error: 400,
      errorCode: 'CANNOT_TERMINATE_CLUSTER_WHEN_TERMINATION_PROTECTION_ENABLED',
      parameters: [`Cannot terminate cluster protected in group ${groupId} because termination protection is enabled. Disable termination protection and try again.`],
      reason: 'Bad Request',
    });
    const unprotected = await call(path, V2024, { method: 'PATCH', json: { terminationProtectionEnabled: false } });
    assert.equal(unprotected.status, 200, unprotected.text);
    assert.equal(unprotected.json.terminationProtectionEnabled, false);
    assert.ok(isApiError(await call(path, V2024, { method: 'PATCH', json: { replicationSpecs: [], bogus: 1 } }), 400, 'INVALID_ATTRIBUTE'));

    const deleted = await call(path, V2023, { method: 'DELETE' });
    assert.equal(deleted.status, 202);
    assert.equal(deleted.text, '{}');
    assert.equal(deleted.headers['content-type'], 'application/vnd.atlas.2023-02-01+json;charset=utf-8');
    assert.equal((await call(path, V2024)).json.stateName, 'DELETING');
    assert.ok(isApiError(await call(path, V2023, { method: 'DELETE' }), 400, 'CLUSTER_ALREADY_REQUESTED_DELETION'));
    assert.ok(isApiError(await call(path, V2024, { method: 'PATCH', json: { paused: true } }), 400, 'CLUSTER_ALREADY_REQUESTED_DELETION'));
    clock.advance(DELETION_MS);
    const gone = await call(path, V2024);
    assert.ok(isApiError(gone, 404, 'CLUSTER_NOT_FOUND'));
    assert.deepEqual(gone.json, {
      detail: `No cluster named protected exists in group ${groupId}.`,
      error: 404,
      errorCode: 'CLUSTER_NOT_FOUND',
      parameters: ['protected', groupId],
      reason: 'Not Found',
    });
    // The name is free again.
    assert.equal((await call(clusters(), V2023, { method: 'POST', json: cliBody(groupId, 'protected') })).status, 201);
  });

  it('refuses to delete a project with clusters (409), then deletes it once they are gone', async () => {
    const project = await bearerCall(server, '/api/atlas/v2/groups', token, { method: 'POST', json: { name: 'short-lived', orgId: server.bootstrap.orgId } });
    const id = project.json.id;
    await call(`/api/atlas/v2/groups/${id}/clusters`, V2023, { method: 'POST', json: cliBody(id, 'only') });
    const refused = await bearerCall(server, `/api/atlas/v2/groups/${id}`, token, { method: 'DELETE' });
    assert.ok(isApiError(refused, 409, 'CANNOT_CLOSE_GROUP_ACTIVE_ATLAS_CLUSTERS'));
    await call(`/api/atlas/v2/groups/${id}/clusters/only`, V2023, { method: 'DELETE' });
    assert.equal((await bearerCall(server, `/api/atlas/v2/groups/${id}`, token, { method: 'DELETE' })).status, 409, 'a DELETING cluster still counts');
    clock.advance(DELETION_MS);
    assert.equal((await bearerCall(server, `/api/atlas/v2/groups/${id}`, token, { method: 'DELETE' })).status, 202);
  });

  it('refuses bad bodies with Atlas codes, never a 500', async () => {
    const post = (body: unknown, accept = V2023) => call(clusters(), accept, { method: 'POST', json: body });
    assert.ok(isApiError(await post(cliBody(groupId, '-bad')), 400, 'CLUSTER_NAME_INVALID'));
    assert.ok(isApiError(await post(cliBody(groupId, 'x'.repeat(65))), 400, 'CLUSTER_NAME_TOO_LONG'));
    assert.ok(isApiError(await post(cliBody(groupId, 'atlas-abc123')), 400, 'ATLAS_RESERVED_CLUSTER_NAME'));
    assert.ok(isApiError(await post({ ...cliBody(groupId, 'n'), name: undefined }), 400, 'MISSING_ATTRIBUTE'));
    assert.ok(isApiError(await post({ ...cliBody(groupId, 'n'), replicationSpecs: undefined }), 400, 'MISSING_ATTRIBUTE'));
    assert.ok(isApiError(await post({ ...cliBody(groupId, 'n'), clusterType: 'RING' }), 400, 'INVALID_ENUM_VALUE'));
    assert.ok(isApiError(await post({ ...cliBody(groupId, 'n'), bogus: true }), 400, 'INVALID_ATTRIBUTE'));
    assert.ok(isApiError(await post({ ...cliBody(groupId, 'n'), mongoDBMajorVersion: '3.6' }), 400, 'INVALID_ATTRIBUTE'));
    const region = (overrides: Record<string, unknown>) => {
      const body = cliBody(groupId, 'n');
      Object.assign(body.replicationSpecs[0]!.regionConfigs[0]!, overrides);
      return body;
    };
    assert.ok(isApiError(await post(region({ providerName: 'OCI' })), 400, 'INVALID_ENUM_VALUE'));
    const badRegion = await post(region({ regionName: 'us-east-1' }));
    assert.ok(isApiError(badRegion, 400, 'INVALID_ATTRIBUTE'));
    assert.match(badRegion.json.detail, /regionName/, 'the atlas CLI looks for regionName in the detail');
    assert.ok(isApiError(await post(region({ electableSpecs: { instanceSize: 'M7', nodeCount: 3 } })), 400, 'INVALID_ENUM_VALUE'));
    assert.ok(isApiError(await post(region({ electableSpecs: { instanceSize: 'M10', nodeCount: 4 } })), 400, 'INVALID_ATTRIBUTE'));
    assert.ok(isApiError(await post(region({ electableSpecs: { instanceSize: 'M5' } })), 400, 'FLEX_CLUSTERS_NOT_SUPPORTED'));
    assert.ok(isApiError(await post({ ...terraformBody('n'), diskSizeGB: 10 }, V2024), 400, 'INVALID_ATTRIBUTE'));
    assert.equal((await post('not an object')).status, 400);
    const flex = await call(`/api/atlas/v2/groups/${groupId}/flexClusters`, 'application/vnd.atlas.2024-11-13+json', { method: 'POST', json: { name: 'f' } });
    assert.ok(isApiError(flex, 400, 'FLEX_CLUSTERS_NOT_SUPPORTED'));
    const flexList = await call(`/api/atlas/v2/groups/${groupId}/flexClusters`, 'application/vnd.atlas.2024-11-13+json');
    assert.deepEqual(flexList.json.results, []);
    assert.ok(isApiError(await call(clusters(), 'application/vnd.atlas.2023-01-01+json'), 406, 'INVALID_VERSION_DATE'));
  });

  it('creates an M0 as a TENANT cluster, as the CLI sends it', async () => {
    const body = cliBody(groupId, 'free');
    body.replicationSpecs[0]!.regionConfigs = [
      { priority: 7, providerName: 'TENANT', backingProviderName: 'AWS', regionName: 'US_EAST_1', electableSpecs: { instanceSize: 'M0' } } as never,
    ];
    const res = await call(clusters(), V2023, { method: 'POST', json: { ...body, diskSizeGB: undefined } });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.json.replicationSpecs[0].regionConfigs, [
      { backingProviderName: 'AWS', electableSpecs: { effectiveInstanceSize: 'M0', instanceSize: 'M0' }, priority: 7, providerName: 'TENANT', regionName: 'US_EAST_1' },
    ]);
  });

  it('lets members read and only owners change; an unknown cluster is 404', async () => {
    const member = await newKey(server, ['ORG_MEMBER']);
    const read = await digestCall(server, `${clusters()}/cluster-712`, member, { headers: { accept: V2024 } });
    assert.equal(read.status, 200);
    const create = await digestCall(server, clusters(), member, { method: 'POST', json: cliBody(groupId, 'm'), headers: { accept: V2023, 'content-type': V2023 } });
    assert.ok(isApiError(create, 401, 'USER_UNAUTHORIZED'));
    const del = await digestCall(server, `${clusters()}/cluster-712`, member, { method: 'DELETE', headers: { accept: V2023 } });
    assert.ok(isApiError(del, 401, 'USER_UNAUTHORIZED'));
    assert.ok(isApiError(await call(`${clusters()}/nope`, V2024), 404, 'CLUSTER_NOT_FOUND'));
    assert.ok(isApiError(await call('/api/atlas/v2/groups/0123456789abcdef01234567/clusters', V2024), 404, 'GROUP_NOT_FOUND'));
  });

  it('spends the project\'s rate-limit bucket, with Atlas\'s group capacity', async () => {
    const res = await call(`${clusters()}/cluster-712`, V2024);
    assert.equal(res.headers['ratelimit-limit'], '1200');
  });
});
