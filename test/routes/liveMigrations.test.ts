import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bearerCall, bootstrapToken, decodeToken, digestCall, isApiError, linkTokensPath, newKey } from '../helpers/atlas.js';
import { ManualClock } from '../helpers/clock.js';
import { startServer, type TestServer } from '../helpers/server.js';

// Validate a push live migration (POST …/liveMigrations/validate, GET …/validate/{id}) against
// pushlink's own state: the org's link and the inventory it delivered, and the destination cluster.

const V2024_05_30 = 'application/vnd.atlas.2024-05-30+json';
const V2023 = 'application/vnd.atlas.2023-01-01+json';
const CLUSTERS = 'application/vnd.atlas.2024-10-23+json';
const SETTLE_MS = 2_000;
const SOURCE = '5e2211c17a3e5a48f5497de9';
const HOST = 'mig-host-01.example.net';

const deployment = (name: string, extra: Record<string, unknown> = {}) => ({
  featureCompatibilityVersion: '7.0', managed: true, mongoDBVersion: '7.0.13', name, sharded: false, tlsEnabled: false, ...extra,
});

describe('Live-migration validation (/groups/{groupId}/liveMigrations/validate)', () => {
  let server: TestServer;
  let token: string;
  let groupId: string;
  const clock = new ManualClock();
  const validate = (body: unknown, accept = V2024_05_30) =>
    bearerCall(server, `/api/atlas/v2/groups/${groupId}/liveMigrations/validate`, token, { method: 'POST', json: body, headers: { accept, 'content-type': accept } });
  const status = (id: string) => bearerCall(server, `/api/atlas/v2/groups/${groupId}/liveMigrations/validate/${id}`, token);
  /** The SDK's minimal request (managed authentication), with overrides. */
  const body = (over: { source?: object; destination?: object; [k: string]: unknown } = {}) => {
    const { source, destination, ...rest } = over;
    return {
      destination: { clusterName: 'dest', groupId, hostnameSchemaType: 'PUBLIC', ...destination },
      migrationHosts: [HOST],
      source: { clusterName: 'rs-src', groupId: SOURCE, managedAuthentication: true, ssl: false, ...source },
      ...rest,
    };
  };
  /** Validates and returns the settled job. */
  const settled = async (request: unknown) => {
    const res = await validate(request);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, 'PENDING');
    clock.advance(SETTLE_MS);
    return (await status(res.json._id)).json;
  };
  const createCluster = async (name: string, extra: Record<string, unknown> = {}, region: Record<string, unknown> = {}) => {
    const res = await bearerCall(server, `/api/atlas/v2/groups/${groupId}/clusters`, token, {
      method: 'POST',
      headers: { accept: CLUSTERS, 'content-type': CLUSTERS },
      json: {
        name,
        replicationSpecs: [{ regionConfigs: [{ priority: 7, providerName: 'AWS', regionName: 'US_EAST_1', electableSpecs: { instanceSize: 'M10', nodeCount: 3 }, ...region }] }],
        ...extra,
      },
    });
    assert.equal(res.status, 201, res.text);
  };

  before(async () => {
    server = await startServer({ clusterProvisioningMs: 0, validationMs: SETTLE_MS }, { clock });
    token = await bootstrapToken(server);
    groupId = (await bearerCall(server, '/api/atlas/v2/groups', token, { method: 'POST', json: { name: 'dest-project', orgId: server.bootstrap.orgId } })).json.id;
    await createCluster('dest');
  });
  after(() => server.close());

  it('fails, saying what to do, while the org has no link, then while the link has not synced', async () => {
    const unlinked = await settled(body());
    assert.equal(unlinked.status, 'FAILED');
    assert.match(unlinked.errorMessage, /has no live-migration link\. Create a link-token/);
    const link = await bearerCall(server, linkTokensPath(server.bootstrap.orgId), token, { method: 'POST', json: {} });
    const { publicApiKey, privateApiKey } = decodeToken(link.json.linkToken);
    const notSynced = await settled(body());
    assert.match(notSynced.errorMessage, /has not synced/);
    // The source side pushes its inventory with the link key (what `link complete` makes it do).
    const pushed = await digestCall(server, `/api/private/liveMigrations/orgs/${server.bootstrap.orgId}/inventory`, { publicKey: publicApiKey, privateKey: privateApiKey }, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      json: {
        projects: [
          {
            deployments: [deployment('rs-src'), deployment('old', { mongoDBVersion: '6.0.8', featureCompatibilityVersion: '6.0' }), deployment('tls', { tlsEnabled: true }), deployment('shards', { sharded: true, shardsSize: 2 })],
            migrationHosts: [HOST],
            name: 'Source',
            projectId: SOURCE,
          },
        ],
      },
    });
    assert.equal(pushed.status, 204, pushed.text);
  });

  it('answers PENDING (200, the LiveImportValidation body), then SUCCESS once settled', async () => {
    const res = await validate(body());
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/vnd.atlas.2024-05-30+json;charset=utf-8');
    assert.deepEqual(Object.keys(res.json), ['_id', 'groupId', 'sourceGroupId', 'status']);
    assert.deepEqual({ ...res.json, _id: '' }, { _id: '', groupId, sourceGroupId: SOURCE, status: 'PENDING' });
    clock.advance(SETTLE_MS - 1);
    assert.equal((await status(res.json._id)).json.status, 'PENDING');
    clock.advance(1);
    const done = await status(res.json._id);
    assert.equal(done.status, 200);
    assert.equal(done.headers['content-type'], 'application/vnd.atlas.2023-01-01+json;charset=utf-8');
    assert.deepEqual(done.json, { _id: res.json._id, groupId, sourceGroupId: SOURCE, status: 'SUCCESS' });
  });

  it('takes what real clients send: the atlas CLI\'s empty strings, the v2025 SDK\'s nulls, read-only echoes', async () => {
    const cli = body({
      destination: { hostnameSchemaType: '' },
      source: { caCertificatePath: '', password: '', username: '' },
      dropDestinationData: false,
    });
    assert.equal((await settled(cli)).status, 'SUCCESS');
    const sdk2025 = body({ sharding: null, _id: '0123456789abcdef01234567', links: [] });
    assert.equal((await settled(sdk2025)).status, 'SUCCESS');
    const noHosts = await validate({ ...body(), migrationHosts: null });
    assert.ok(isApiError(noHosts, 400, 'MISSING_ATTRIBUTE'));
    assert.deepEqual(noHosts.json.parameters, ['migrationHosts']);
  });

  it('takes the atlas CLI\'s validation create body byte for byte (reference/live-migrations.md §3.1)', async () => {
    // `atlas liveMigrations validation create --clusterName dest --migrationHost … --sourceClusterName rs-src
    // --sourceProjectId … -u mig -p pw`: struct order, "" for the unset strings, false for the unset flags.
    const raw = `{"destination":{"clusterName":"dest","groupId":"${groupId}","hostnameSchemaType":""},"dropDestinationData":false,"migrationHosts":["${HOST}"],"source":{"caCertificatePath":"","clusterName":"rs-src","groupId":"${SOURCE}","managedAuthentication":false,"password":"pw","ssl":false,"username":"mig"}}\n`;
    const res = await bearerCall(server, `/api/atlas/v2/groups/${groupId}/liveMigrations/validate`, token, {
      method: 'POST',
      body: raw,
      headers: { accept: V2024_05_30, 'content-type': V2024_05_30, 'user-agent': 'atlascli/1.58.3' },
    });
    assert.equal(res.status, 200, res.text);
    clock.advance(SETTLE_MS);
    assert.equal((await status(res.json._id)).json.status, 'SUCCESS');
  });

  it('takes 2023-01-01 with dropEnabled (required there), with the deprecation headers', async () => {
    const res = await validate({ ...body(), dropEnabled: true }, V2023);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.deprecation, 'Thu, 30 May 2024 00:00:00 GMT');
    assert.equal(res.headers.sunset, 'Thu, 1 Jul 2027 00:00:00 GMT');
    assert.ok(isApiError(await validate(body(), V2023), 400, 'MISSING_ATTRIBUTE'));
    assert.ok(isApiError(await validate({ ...body(), dropEnabled: true }), 400, 'INVALID_ATTRIBUTE'), '2024-05-30 has no dropEnabled');
  });

  it('fails with its own message for each documented check', async () => {
    await createCluster('free', {}, { providerName: 'TENANT', backingProviderName: 'AWS', electableSpecs: { instanceSize: 'M0' } });
    await createCluster('bi', { biConnector: { enabled: true } });
    await createCluster('v6', { mongoDBMajorVersion: '6.0' });
    await createCluster('sharded', { clusterType: 'SHARDED' });
    const cases: Array<[string, unknown, RegExp]> = [
      ['source project', body({ source: { groupId: '0123456789abcdef01234567' } }), /Source project 0123456789abcdef01234567 is not one of the projects the organization link made available/],
      ['deployment', body({ source: { clusterName: 'nope' } }), /has no deployment named nope/],
      ['migration host', { ...body(), migrationHosts: ['other.example.net'] }, /other\.example\.net is not a migration host of source project .* \(its migration hosts: mig-host-01\.example\.net\)/],
      ['source version', body({ source: { clusterName: 'old' } }), /runs MongoDB 6\.0\.8; push live migration needs 6\.0\.17 or later/],
      ['tls', body({ source: { clusterName: 'tls' } }), /Invalid SSL options provided/],
      ['destination', body({ destination: { clusterName: 'missing' } }), /Could not find destination cluster missing/],
      ['M0', body({ destination: { clusterName: 'free' } }), /M0 \(free\) cluster, which cannot be a live-migration destination/],
      ['BI Connector', body({ destination: { clusterName: 'bi' } }), /BI Connector enabled/],
      ['private link', body({ destination: { hostnameSchemaType: 'PRIVATE_LINK' } }), /has no private endpoint; use hostnameSchemaType PUBLIC/],
      ['older destination', body({ destination: { clusterName: 'v6' } }), /runs MongoDB 6\.0\.26, older than the source's 7\.0\.13/],
      ['sharded to replica set', body({ source: { clusterName: 'shards' } }), /both must be sharded clusters, or both replica sets/],
      ['replica set to sharded', body({ destination: { clusterName: 'sharded' } }), /give sharding to migrate a replica set into a sharded cluster/],
    ];
    for (const [name, request, message] of cases) {
      const job = await settled(request);
      assert.equal(job.status, 'FAILED', name);
      assert.match(job.errorMessage, message, name);
      assert.deepEqual(Object.keys(job), ['_id', 'errorMessage', 'groupId', 'sourceGroupId', 'status'], name);
    }
    const withSharding = await settled(body({ destination: { clusterName: 'sharded' }, sharding: { createSupportingIndexes: true, shardingEntries: [{ collection: 'c', database: 'd', shardCollection: { key: [{ _id: 1 }] } }] } }));
    assert.equal(withSharding.status, 'SUCCESS');
  });

  it('fails a destination that is not IDLE', async () => {
    await createCluster('going');
    const deleted = await bearerCall(server, `/api/atlas/v2/groups/${groupId}/clusters/going`, token, { method: 'DELETE', headers: { accept: 'application/vnd.atlas.2023-02-01+json' } });
    assert.equal(deleted.status, 202);
    const job = await settled(body({ destination: { clusterName: 'going' } }));
    assert.equal(job.status, 'FAILED');
    assert.match(job.errorMessage, /Destination cluster going is DELETING; it must be IDLE\./);
  });

  it('refuses a malformed request with an ApiError, before any job', async () => {
    assert.ok(isApiError(await validate(body({ destination: { groupId: '0123456789abcdef01234567' } })), 400, 'INVALID_ATTRIBUTE'));
    assert.ok(isApiError(await validate(body({ destination: { hostnameSchemaType: 'VPN' } })), 400, 'INVALID_ENUM_VALUE'));
    assert.ok(isApiError(await validate(body({ source: { managedAuthentication: false } })), 400, 'MISSING_ATTRIBUTE'));
    assert.ok(isApiError(await validate(body({ source: { username: 'u', password: 'p' } })), 400, 'INVALID_ATTRIBUTE'));
    assert.ok(isApiError(await validate({ ...body(), migrationHosts: ['a', 'b'] }), 400, 'INVALID_ATTRIBUTE'));
    assert.ok(isApiError(await validate({ ...body(), extra: 1 }), 400, 'INVALID_ATTRIBUTE'));
    assert.ok(isApiError(await validate({ destination: body().destination, migrationHosts: [HOST] }), 400, 'MISSING_ATTRIBUTE'));
  });

  it('keeps no source password, answers unknown ids 404, and needs Organization Owner', async () => {
    const withPassword = await settled(body({ source: { managedAuthentication: false, username: 'mig', password: 'p&ss<w>-secret' } }));
    assert.equal(withPassword.status, 'SUCCESS');
    const rows = JSON.stringify(await server.store.liveMigrations.getValidation(groupId, withPassword._id));
    assert.ok(!rows.includes('p&ss<w>-secret'));
    const unknown = await status('0123456789abcdef01234567');
    assert.ok(isApiError(unknown, 404, 'RESOURCE_NOT_FOUND'));
    const member = await newKey(server, ['ORG_MEMBER']);
    const byMember = await digestCall(server, `/api/atlas/v2/groups/${groupId}/liveMigrations/validate`, member, { method: 'POST', json: body(), headers: { accept: V2024_05_30, 'content-type': V2024_05_30 } });
    assert.ok(isApiError(byMember, 401, 'NOT_ORG_OWNER'));
  });
});
