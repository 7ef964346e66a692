import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addSourceMigrationHost, createSourceProject, saveSourceDeployment } from '../../src/domain/inventory.js';
import { parseFaultFile } from '../../src/domain/faults.js';
import { bearerCall, bootstrapToken, linkTokensPath } from '../helpers/atlas.js';
import { request } from '../helpers/http.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { eventually, startSourceServer, type TestSourceServer } from '../helpers/source.js';

// The fault targets beyond this server's own answers: the source side's calls to Atlas (as if
// Atlas answered them), and a live migration (failed at a phase, or its lag pinned).

const V2024_05_30 = 'application/vnd.atlas.2024-05-30+json';
const ADMIN_TOKEN = 'pladm_fault-targets-test-token-0123456789abcdefghijkl';
let n = 0;
const ids = () => (++n).toString(16).padStart(24, '0');

describe('fault targets: the source side and live migrations', () => {
  let atlas: TestServer;
  let source: TestSourceServer;
  let token: string;
  let groupId: string;
  let sourceProjectId: string;
  const linkStatus = async () => (await source.call('GET', `/api/public/v1.0/orgs/${source.orgId}/liveExport/migrationLink/status`)).json;
  const addRule = (rule: unknown) =>
    request(`${atlas.url}/api/private/pushlink/faults`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(rule),
    });
  const migrate = async (cluster: string) => {
    const res = await bearerCall(atlas, `/api/atlas/v2/groups/${groupId}/liveMigrations`, token, {
      method: 'POST',
      headers: { accept: V2024_05_30, 'content-type': V2024_05_30 },
      json: {
        destination: { clusterName: cluster, groupId, hostnameSchemaType: 'PUBLIC' },
        dropDestinationData: true,
        migrationHosts: ['mh1.example.com'],
        source: { clusterName: 'rs', groupId: sourceProjectId, managedAuthentication: false, ssl: true, username: 'u', password: 'p' },
      },
    });
    assert.equal(res.status, 201, res.text);
    return res.json._id as string;
  };
  const get = async (id: string) => (await bearerCall(atlas, `/api/atlas/v2/groups/${groupId}/liveMigrations/${id}`, token)).json;

  before(async () => {
    atlas = await startServer({ clusterProvisioningMs: 0, validationMs: 0 }, { adminToken: ADMIN_TOKEN });
    token = await bootstrapToken(atlas);
    groupId = (await bearerCall(atlas, '/api/atlas/v2/groups', token, { method: 'POST', json: { name: 'dest', orgId: atlas.bootstrap.orgId } })).json.id;
    for (const name of ['a', 'b', 'c']) {
      const res = await bearerCall(atlas, `/api/atlas/v2/groups/${groupId}/clusters`, token, {
        method: 'POST',
        headers: { accept: 'application/vnd.atlas.2024-10-23+json', 'content-type': 'application/vnd.atlas.2024-10-23+json' },
        json: { name, replicationSpecs: [{ regionConfigs: [{ providerName: 'AWS', regionName: 'US_EAST_1', electableSpecs: { instanceSize: 'M10' } }] }] },
      });
      assert.equal(res.status, 201);
    }
    // The source side's first two inventory pushes get Atlas's 503, as if Atlas were down.
    const faults = parseFaultFile(
      { faults: [{ target: 'source', route: 'PUT /api/private/liveMigrations/orgs/{orgId}/inventory', times: 2, status: 503 }] },
      ids,
    );
    source = await startSourceServer(atlas.url, { faults, migrationPollMs: 100, migrationSyncMs: 400, migrationCutoverMs: 200, syncIntervalMs: 300 });
    sourceProjectId = (await createSourceProject(source.store, source.orgId, 'P')).id;
    await saveSourceDeployment(source.store, sourceProjectId, { name: 'rs', mongoDBVersion: '7.0.13', featureCompatibilityVersion: '7.0', sharded: false, tlsEnabled: true, managed: true });
    await addSourceMigrationHost(source.store, sourceProjectId, 'mh1.example.com');
  });
  after(async () => {
    await source.close();
    await atlas.close();
  });

  it("fails the source side's calls to Atlas as a rule says, then lets them through", async () => {
    const linkToken = (await bearerCall(atlas, linkTokensPath(atlas.bootstrap.orgId), token, { method: 'POST', json: {} })).json.linkToken;
    const linked = await source.call('POST', `/api/public/v1.0/orgs/${source.orgId}/liveExport/migrationLink`, { linkToken });
    assert.equal(linked.status, 200, linked.text);
    assert.equal(linked.json.status, 'NOT_SYNCED');
    assert.match(linked.json.reason, /503 SERVICE_UNAVAILABLE/);
    const synced = await eventually(linkStatus, (s) => s.status === 'SYNCED', 5000);
    assert.equal(synced.status, 'SYNCED');
    const metrics = await request(`${source.url}/metrics`);
    assert.match(metrics.text, /pushlink_injected_faults_total\{target="source",route="PUT \/api\/private\/liveMigrations\/orgs\/\{orgId\}\/inventory",kind="error"\} 2/);
  });

  it('fails a live migration at the phase a rule names', async () => {
    assert.equal((await addRule({ liveMigration: { failAt: 'READY_FOR_CUTOVER', errorMessage: 'The oplog window was exceeded.' } })).status, 201);
    const id = await migrate('a');
    const failed = await eventually(() => get(id), (m) => m.status === 'FAILED', 5000);
    assert.equal(failed.status, 'FAILED');
    const events = (await bearerCall(atlas, `/api/atlas/v2/groups/${groupId}/events?eventType=LIVE_MIGRATION_FAILED`, token)).json.results;
    assert.equal(events[0].errorMessage, 'The oplog window was exceeded.');
    assert.equal(events[0].liveMigrationId, id);
    await request(`${atlas.url}/api/private/pushlink/faults`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  });

  it("pins a migration's lag, so it never gets ready for cutover, until the rule goes", async () => {
    const rule = (await addRule({ liveMigration: { lagTimeSeconds: 120 } })).json;
    const id = await migrate('b');
    const pinned = await eventually(() => get(id), (m) => m.status === 'WORKING' && m.lagTimeSeconds === 120, 5000);
    assert.equal(pinned.lagTimeSeconds, 120);
    await new Promise((resolve) => setTimeout(resolve, 800));
    assert.deepEqual([(await get(id)).lagTimeSeconds, (await get(id)).readyForCutover], [120, false], 'well past the sync time, still lagging');
    await request(`${atlas.url}/api/private/pushlink/faults/${rule.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const ready = await eventually(() => get(id), (m) => m.readyForCutover === true, 5000);
    assert.equal(ready.readyForCutover, true);
  });
});
