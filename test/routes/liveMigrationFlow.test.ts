import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addSourceMigrationHost, createSourceProject, removeSourceDeployment, saveSourceDeployment } from '../../src/domain/inventory.js';
import { bearerCall, bootstrapKey, bootstrapToken, digestCall, isApiError, linkTokensPath } from '../helpers/atlas.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { eventually, startSourceServer, type TestSourceServer } from '../helpers/source.js';

// The whole push live migration in one process, both halves: link → inventory → project and
// cluster → validate → create → watch (the source side's migration host reports) → cutover →
// COMPLETE; and the unhappy endings: EXPIRED, FAILED, and the rules that protect a running one.

const V2024_05_30 = 'application/vnd.atlas.2024-05-30+json';
const V2023 = 'application/vnd.atlas.2023-01-01+json';
const WINDOW_MS = 4_000;
const SYNC_MS = 1_500;

describe('a push live migration, end to end', () => {
  let atlas: TestServer;
  let source: TestSourceServer;
  let token: string;
  let groupId: string;
  let sourceProjectId: string;
  const migrations = () => `/api/atlas/v2/groups/${groupId}/liveMigrations`;
  const get = async (id: string) => (await bearerCall(atlas, `${migrations()}/${id}`, token)).json;
  const cutover = (id: string) => bearerCall(atlas, `${migrations()}/${id}/cutover`, token, { method: 'PUT' });
  const request = (destination: string) => ({
    destination: { clusterName: destination, groupId, hostnameSchemaType: 'PUBLIC' },
    dropDestinationData: true,
    migrationHosts: ['mh1.example.com'],
    source: { clusterName: 'rs-billing', groupId: sourceProjectId, managedAuthentication: false, ssl: true, username: 'mig', password: 'secret-pw' },
  });
  const create = (destination: string) =>
    bearerCall(atlas, migrations(), token, { method: 'POST', json: request(destination), headers: { accept: V2024_05_30, 'content-type': V2024_05_30 } });
  const deployment = { name: 'rs-billing', mongoDBVersion: '7.0.13', featureCompatibilityVersion: '7.0', sharded: false, tlsEnabled: true, managed: true };

  before(async () => {
    atlas = await startServer({ clusterProvisioningMs: 0, validationMs: 0, cutoverWindowMs: WINDOW_MS });
    token = await bootstrapToken(atlas);
    groupId = (await bearerCall(atlas, '/api/atlas/v2/groups', token, { method: 'POST', json: { name: 'dest', orgId: atlas.bootstrap.orgId } })).json.id;
    for (const name of ['dest', 'dest2']) {
      const res = await bearerCall(atlas, `/api/atlas/v2/groups/${groupId}/clusters`, token, {
        method: 'POST',
        headers: { accept: 'application/vnd.atlas.2024-10-23+json', 'content-type': 'application/vnd.atlas.2024-10-23+json' },
        json: { name, replicationSpecs: [{ regionConfigs: [{ providerName: 'AWS', regionName: 'US_EAST_1', electableSpecs: { instanceSize: 'M10' } }] }] },
      });
      assert.equal(res.status, 201);
    }
    source = await startSourceServer(atlas.url, { migrationPollMs: 100, migrationSyncMs: SYNC_MS, migrationCutoverMs: 500 });
    sourceProjectId = (await createSourceProject(source.store, source.orgId, 'Billing')).id;
    await saveSourceDeployment(source.store, sourceProjectId, deployment);
    await addSourceMigrationHost(source.store, sourceProjectId, 'mh1.example.com');
    const linkToken = (await bearerCall(atlas, linkTokensPath(atlas.bootstrap.orgId), token, { method: 'POST', json: {} })).json.linkToken;
    const linked = await source.call('POST', `/api/public/v1.0/orgs/${source.orgId}/liveExport/migrationLink`, { linkToken });
    assert.equal(linked.status, 200, linked.text);
  });
  after(async () => {
    await source.close();
    await atlas.close();
  });

  let first: string;

  it('validates, then creates (201 NEW), and the migration host takes it to ready for cutover with a falling lag', async () => {
    const validation = await bearerCall(atlas, `${migrations()}/validate`, token, { method: 'POST', json: request('dest'), headers: { accept: V2024_05_30, 'content-type': V2024_05_30 } });
    assert.equal(validation.json.status, 'SUCCESS', validation.text);
    const created = await create('dest');
    assert.equal(created.status, 201, created.text);
    assert.equal(created.headers['content-type'], 'application/vnd.atlas.2024-05-30+json;charset=utf-8');
    assert.deepEqual(Object.keys(created.json), ['_id', 'lagTimeSeconds', 'migrationHosts', 'readyForCutover', 'status']);
    assert.deepEqual({ ...created.json, _id: '' }, { _id: '', lagTimeSeconds: null, migrationHosts: ['mh1.example.com'], readyForCutover: false, status: 'NEW' });
    first = created.json._id;
    const working = await eventually(() => get(first), (m) => m.status === 'WORKING');
    assert.equal(working.readyForCutover, false);
    assert.ok(working.lagTimeSeconds >= 1, `lag ${working.lagTimeSeconds}`);
    const ready = await eventually(() => get(first), (m) => m.readyForCutover === true, 10_000);
    assert.deepEqual({ ...ready, _id: '' }, { _id: '', lagTimeSeconds: 0, migrationHosts: ['mh1.example.com'], readyForCutover: true, status: 'WORKING' });
  });

  it('protects a running migration: its cluster, its link, its destination', async () => {
    const del = await bearerCall(atlas, `/api/atlas/v2/groups/${groupId}/clusters/dest`, token, { method: 'DELETE', headers: { accept: 'application/vnd.atlas.2023-02-01+json' } });
    assert.ok(isApiError(del, 409, 'CANNOT_MODIFY_CLUSTER_WITH_RUNNING_LIVE_IMPORT'));
    const patch = await bearerCall(atlas, `/api/atlas/v2/groups/${groupId}/clusters/dest`, token, { method: 'PATCH', json: { paused: true }, headers: { accept: 'application/vnd.atlas.2024-08-05+json', 'content-type': 'application/vnd.atlas.2024-08-05+json' } });
    assert.ok(isApiError(patch, 409, 'CANNOT_MODIFY_CLUSTER_WITH_RUNNING_LIVE_IMPORT'));
    const unlink = await bearerCall(atlas, linkTokensPath(atlas.bootstrap.orgId), token, { method: 'DELETE' });
    assert.ok(isApiError(unlink, 409, 'CANNOT_DELETE_ORG_ACTIVE_LIVE_MIGRATION_ATLAS_ORG_LINK'));
    assert.equal(unlink.json.detail, `Cannot delete organization link while there is active migration in following project ids: ${groupId}`);
    assert.ok(isApiError(await bearerCall(atlas, linkTokensPath(atlas.bootstrap.orgId), token, { method: 'POST', json: {} }), 409, 'CANNOT_DELETE_ORG_ACTIVE_LIVE_MIGRATION_ATLAS_ORG_LINK'));
    assert.ok(isApiError(await create('dest'), 409, 'CANNOT_MODIFY_CLUSTER_WITH_RUNNING_LIVE_IMPORT'));
    const validation = await bearerCall(atlas, `${migrations()}/validate`, token, { method: 'POST', json: request('dest'), headers: { accept: V2024_05_30, 'content-type': V2024_05_30 } });
    assert.match(validation.json.errorMessage, new RegExp(`already has live migration ${first} running into it`));
  });

  let second: string;

  it('refuses a cutover before ready; cuts over once (202, the digest transport\'s chunked empty PUT), then COMPLETE', async () => {
    const other = await create('dest2');
    second = other.json._id;
    assert.ok(isApiError(await cutover(second), 400, 'LIVE_MIGRATION_NOT_READY_FOR_CUTOVER'));
    const res = await digestCall(atlas, `${migrations()}/${first}/cutover`, bootstrapKey(atlas), { method: 'PUT', headers: { accept: V2023, 'transfer-encoding': 'chunked' } });
    assert.equal(res.status, 202, res.text);
    assert.equal(res.text, '');
    assert.ok(isApiError(await cutover(first), 400, 'LIVE_MIGRATION_CUTOVER_ALREADY_REQUESTED'));
    const after = await get(first);
    assert.equal(after.status, 'WORKING');
    assert.equal(after.lagTimeSeconds, null);
    const complete = await eventually(() => get(first), (m) => m.status === 'COMPLETE', 10_000);
    assert.deepEqual({ ...complete, _id: '' }, { _id: '', lagTimeSeconds: null, migrationHosts: ['mh1.example.com'], readyForCutover: false, status: 'COMPLETE' });
    assert.ok(isApiError(await cutover(first), 400, 'LIVE_MIGRATION_ENDED'));
  });

  it('expires a migration whose cutover window runs out', async () => {
    await eventually(() => get(second), (m) => m.readyForCutover === true, 10_000);
    const expired = await eventually(() => get(second), (m) => m.status === 'EXPIRED', WINDOW_MS + 5_000);
    assert.equal(expired.status, 'EXPIRED');
    assert.equal(expired.readyForCutover, false);
    assert.ok(isApiError(await cutover(second), 400, 'LIVE_MIGRATION_ENDED'));
    // An expired migration no longer holds its destination.
    const del = await bearerCall(atlas, `/api/atlas/v2/groups/${groupId}/clusters/dest2`, token, { method: 'PATCH', json: { tags: [] }, headers: { accept: 'application/vnd.atlas.2024-08-05+json', 'content-type': 'application/vnd.atlas.2024-08-05+json' } });
    assert.equal(del.status, 200);
  });

  it('fails a migration whose source deployment leaves the inventory', async () => {
    const third = (await create('dest')).json._id;
    await eventually(() => get(third), (m) => m.status === 'WORKING');
    await removeSourceDeployment(source.store, sourceProjectId, 'rs-billing');
    await source.app.linkSyncer!.sync(source.orgId);
    const failed = await eventually(() => get(third), (m) => m.status === 'FAILED', 10_000);
    assert.equal(failed.status, 'FAILED');
    const listed = await bearerCall(atlas, `/api/atlas/v2/orgs/${atlas.bootstrap.orgId}/liveMigrations`, token);
    assert.deepEqual(listed.json.map((m: { _id: string; status: string }) => [m._id, m.status]), [[first, 'COMPLETE'], [second, 'EXPIRED'], [third, 'FAILED']]);
    await saveSourceDeployment(source.store, sourceProjectId, deployment);
  });

  it('answers unknown ids 404, and lets a member read but not cut over', async () => {
    assert.ok(isApiError(await bearerCall(atlas, `${migrations()}/0123456789abcdef01234567`, token), 404, 'RESOURCE_NOT_FOUND'));
    const { newKey } = await import('../helpers/atlas.js');
    const member = await newKey(atlas, ['ORG_MEMBER']);
    assert.equal((await digestCall(atlas, `${migrations()}/${first}`, member)).status, 200);
    assert.ok(isApiError(await digestCall(atlas, `${migrations()}/${first}/cutover`, member, { method: 'PUT' }), 401, 'NOT_ORG_OWNER'));
  });
});
