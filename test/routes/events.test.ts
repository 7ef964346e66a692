import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ControllableClock } from '../../src/domain/clock.js';
import { addSourceMigrationHost, createSourceProject, saveSourceDeployment } from '../../src/domain/inventory.js';
import { bearerCall, bootstrapKey, bootstrapToken, decodeToken, digestCall, isApiError, linkTokensPath, newKey } from '../helpers/atlas.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { eventually, startSourceServer, type TestSourceServer } from '../helpers/source.js';

// Atlas's Events API as the audit trail (routes/events.ts): a whole link-and-migration run, with
// a controllable clock, leaves each of its state changes once, in order, with who made it and
// from where — and never a secret.

const V2024_05_30 = 'application/vnd.atlas.2024-05-30+json';
const V2024_10_23 = 'application/vnd.atlas.2024-10-23+json';
const PROVISIONING_MS = 60_000;
const WINDOW_MS = 120 * 3_600_000;

interface EventView {
  id: string;
  eventTypeName: string;
  created: string;
  groupId?: string;
  publicKey?: string;
  apiKeyId?: string;
  username?: string;
  remoteAddress?: string;
  [field: string]: unknown;
}

describe('the events of a link-and-migration run', () => {
  const clock = new ControllableClock();
  let atlas: TestServer;
  let source: TestSourceServer;
  let token: string;
  let groupId: string;
  let migrationId: string;
  let linkToken: string;
  const secrets: string[] = [];
  const orgEvents = async (query = '') => (await bearerCall(atlas, `/api/atlas/v2/orgs/${atlas.bootstrap.orgId}/events${query}`, token)).json.results as EventView[];
  const groupEvents = async (query = '') => (await bearerCall(atlas, `/api/atlas/v2/groups/${groupId}/events${query}`, token)).json.results as EventView[];

  before(async () => {
    atlas = await startServer({ clusterProvisioningMs: PROVISIONING_MS, validationMs: 0, cutoverWindowMs: WINDOW_MS }, { clock });
    token = await bootstrapToken(atlas);
    secrets.push(token, atlas.bootstrap.serviceAccount.clientSecret, atlas.bootstrap.apiKey.privateKey, 'secret-pw');
    source = await startSourceServer(atlas.url, { migrationPollMs: 100, migrationSyncMs: 300, migrationCutoverMs: 200 }, { clock });
  });
  after(async () => {
    await source.close();
    await atlas.close();
  });

  it('records the run, each change once, with its actor', async () => {
    const created = await bearerCall(atlas, '/api/atlas/v2/groups', token, { method: 'POST', json: { name: 'dest', orgId: atlas.bootstrap.orgId } });
    groupId = created.json.id;
    const cluster = await bearerCall(atlas, `/api/atlas/v2/groups/${groupId}/clusters`, token, {
      method: 'POST',
      headers: { accept: V2024_10_23, 'content-type': V2024_10_23 },
      json: { name: 'dest', replicationSpecs: [{ regionConfigs: [{ providerName: 'AWS', regionName: 'US_EAST_1', electableSpecs: { instanceSize: 'M10' } }] }] },
    });
    assert.equal(cluster.status, 201, cluster.text);
    // CLUSTER_READY happens by time alone: not yet.
    assert.deepEqual((await groupEvents()).map((e) => e.eventTypeName), ['CLUSTER_CREATED', 'GROUP_CREATED']);
    clock.advance(PROVISIONING_MS + 1000);
    assert.deepEqual((await groupEvents()).map((e) => e.eventTypeName), ['CLUSTER_READY', 'CLUSTER_CREATED', 'GROUP_CREATED']);

    const sourceProjectId = (await createSourceProject(source.store, source.orgId, 'Billing')).id;
    await saveSourceDeployment(source.store, sourceProjectId, { name: 'rs-billing', mongoDBVersion: '7.0.13', featureCompatibilityVersion: '7.0', sharded: false, tlsEnabled: true, managed: true });
    await addSourceMigrationHost(source.store, sourceProjectId, 'mh1.example.com');
    const issued = await digestCall(atlas, linkTokensPath(atlas.bootstrap.orgId), bootstrapKey(atlas), { method: 'POST', json: {} });
    linkToken = issued.json.linkToken;
    secrets.push(linkToken, decodeToken(linkToken).privateApiKey);
    const linked = await source.call('POST', `/api/public/v1.0/orgs/${source.orgId}/liveExport/migrationLink`, { linkToken });
    assert.equal(linked.status, 200, linked.text);
    await eventually(orgEvents, (events) => events.some((e) => e.eventTypeName === 'LIVE_MIGRATION_LINK_SYNCED'));

    const request = {
      destination: { clusterName: 'dest', groupId, hostnameSchemaType: 'PUBLIC' },
      dropDestinationData: true,
      migrationHosts: ['mh1.example.com'],
      source: { clusterName: 'rs-billing', groupId: sourceProjectId, managedAuthentication: false, ssl: true, username: 'mig', password: 'secret-pw' },
    };
    const headers = { accept: V2024_05_30, 'content-type': V2024_05_30 };
    const validation = await bearerCall(atlas, `/api/atlas/v2/groups/${groupId}/liveMigrations/validate`, token, { method: 'POST', json: request, headers });
    assert.equal(validation.status, 200, validation.text);
    const migration = await bearerCall(atlas, `/api/atlas/v2/groups/${groupId}/liveMigrations`, token, { method: 'POST', json: request, headers });
    assert.equal(migration.status, 201, migration.text);
    migrationId = migration.json._id;
    const path = `/api/atlas/v2/groups/${groupId}/liveMigrations/${migrationId}`;
    await eventually(async () => (await bearerCall(atlas, path, token)).json, (m) => m.readyForCutover === true, 10_000);
    assert.equal((await bearerCall(atlas, `${path}/cutover`, token, { method: 'PUT' })).status, 202);
    await eventually(async () => (await bearerCall(atlas, path, token)).json.status, (s) => s === 'COMPLETE', 10_000);
    // The cutover cancelled the window's end: long after it, no EXPIRED.
    clock.advance(WINDOW_MS + 3_600_000);
    // 121 hours on, the access token has long expired, as it would.
    assert.equal((await bearerCall(atlas, `/api/atlas/v2/groups/${groupId}/events`, token)).status, 401);
    token = await bootstrapToken(atlas);

    const linkKey = decodeToken(linkToken).publicApiKey;
    const orgFeed = (await orgEvents()).reverse();
    assert.deepEqual(orgFeed.map((e) => e.eventTypeName), ['LIVE_MIGRATION_LINK_CREATED', 'LIVE_MIGRATION_LINK_SYNCED']);
    assert.equal(orgFeed[0]!.publicKey, atlas.bootstrap.apiKey.publicKey, 'the owner key made the link');
    assert.equal(orgFeed[0]!.targetPublicKey, linkKey);
    assert.equal(orgFeed[1]!.publicKey, linkKey, 'the source side pushed with the link key');
    assert.equal(orgFeed[0]!.remoteAddress, '127.0.0.1');

    const groupFeed = (await groupEvents()).reverse();
    assert.deepEqual(groupFeed.map((e) => e.eventTypeName), [
      'GROUP_CREATED',
      'CLUSTER_CREATED',
      'CLUSTER_READY',
      'LIVE_MIGRATION_VALIDATION_REQUESTED',
      'LIVE_MIGRATION_VALIDATION_SUCCEEDED',
      'LIVE_MIGRATION_CREATED',
      'LIVE_MIGRATION_WORKING',
      'LIVE_MIGRATION_READY_FOR_CUTOVER',
      'LIVE_MIGRATION_CUTOVER_REQUESTED',
      'LIVE_MIGRATION_COMPLETED',
    ]);
    const instants = groupFeed.map((e) => e.created);
    assert.deepEqual(instants, [...instants].sort(), 'in the order they happened');
    assert.equal(new Set(groupFeed.map((e) => e.id)).size, groupFeed.length);
    const sa = atlas.bootstrap.serviceAccount.clientId;
    assert.equal(groupFeed[0]!.username, sa, 'a service account made the project');
    assert.equal(groupFeed[2]!.username, undefined, 'a cluster gets ready by itself');
    assert.equal(groupFeed[6]!.publicKey, linkKey, "the migration host's report");
    assert.equal(groupFeed[8]!.username, sa);
    assert.equal(groupFeed[9]!.liveMigrationId, migrationId);
    assert.equal(groupFeed[1]!.clusterName, 'dest');
  });

  it('advancing the clock past a cutover window expires the migration, and records it when it happened', async () => {
    const cluster = await bearerCall(atlas, `/api/atlas/v2/groups/${groupId}/clusters`, token, {
      method: 'POST',
      headers: { accept: V2024_10_23, 'content-type': V2024_10_23 },
      json: { name: 'dest2', replicationSpecs: [{ regionConfigs: [{ providerName: 'AWS', regionName: 'US_EAST_1', electableSpecs: { instanceSize: 'M10' } }] }] },
    });
    assert.equal(cluster.status, 201, cluster.text);
    clock.advance(PROVISIONING_MS + 1000);
    const first = (await bearerCall(atlas, `/api/atlas/v2/groups/${groupId}/liveMigrations/${migrationId}`, token)).json;
    assert.equal(first.status, 'COMPLETE');
    const sourceProject = (await source.store.source.getSourceInventory(source.orgId)).projects[0]!.project.id;
    const headers = { accept: V2024_05_30, 'content-type': V2024_05_30 };
    const migration = await bearerCall(atlas, `/api/atlas/v2/groups/${groupId}/liveMigrations`, token, {
      method: 'POST',
      headers,
      json: {
        destination: { clusterName: 'dest2', groupId, hostnameSchemaType: 'PUBLIC' },
        dropDestinationData: true,
        migrationHosts: ['mh1.example.com'],
        source: { clusterName: 'rs-billing', groupId: sourceProject, managedAuthentication: false, ssl: true, username: 'mig', password: 'secret-pw' },
      },
    });
    assert.equal(migration.status, 201, migration.text);
    const path = `/api/atlas/v2/groups/${groupId}/liveMigrations/${migration.json._id}`;
    await eventually(async () => (await bearerCall(atlas, path, token)).json, (m) => m.readyForCutover === true, 10_000);
    const readyAt = Date.parse((await groupEvents('?eventType=LIVE_MIGRATION_READY_FOR_CUTOVER'))[0]!.created);
    assert.equal((await groupEvents('?eventType=LIVE_MIGRATION_EXPIRED')).length, 0);
    clock.advance(WINDOW_MS + 1000);
    token = await bootstrapToken(atlas);
    assert.equal((await bearerCall(atlas, path, token)).json.status, 'EXPIRED');
    const expired = await groupEvents('?eventType=LIVE_MIGRATION_EXPIRED');
    assert.equal(expired.length, 1);
    assert.equal(expired[0]!.liveMigrationId, migration.json._id);
    assert.equal(Date.parse(expired[0]!.created), readyAt + WINDOW_MS, 'dated when the window ran out');
  });

  it('never holds a secret', async () => {
    const everything = JSON.stringify([await orgEvents(), await groupEvents()]);
    for (const secret of secrets) assert.ok(!everything.includes(secret), `an event holds a secret (${secret.slice(0, 4)}…)`);
  });

  it('filters by eventType and time, pages, and reads one event', async () => {
    const types = await groupEvents('?eventType=CLUSTER_CREATED&eventType=CLUSTER_READY');
    assert.deepEqual(types.map((e) => `${e.eventTypeName} ${String(e.clusterName)}`), ['CLUSTER_READY dest2', 'CLUSTER_CREATED dest2', 'CLUSTER_READY dest', 'CLUSTER_CREATED dest']);
    const all = await groupEvents();
    const middle = all[5]!.created;
    assert.ok((await groupEvents(`?maxDate=${encodeURIComponent(middle)}`)).every((e) => e.created <= middle));
    const page = await bearerCall(atlas, `/api/atlas/v2/groups/${groupId}/events?itemsPerPage=3&pageNum=2`, token);
    assert.equal(page.json.totalCount, all.length);
    assert.deepEqual(page.json.results.map((e: EventView) => e.id), all.slice(3, 6).map((e) => e.id));
    assert.deepEqual(page.json.links.map((l: { rel: string }) => l.rel), ['previous', 'self', 'next']);
    const one = await bearerCall(atlas, `/api/atlas/v2/groups/${groupId}/events/${all[0]!.id}`, token);
    assert.deepEqual(one.json, all[0]);
    assert.ok(isApiError(await bearerCall(atlas, `/api/atlas/v2/groups/${groupId}/events?minDate=yesterday`, token), 400, 'INVALID_QUERY_PARAMETER'));
    assert.ok(isApiError(await bearerCall(atlas, `/api/atlas/v2/groups/${groupId}/events/${'0'.repeat(24)}`, token), 404, 'RESOURCE_NOT_FOUND'));
  });

  it('lets an org member read them, and not the link key', async () => {
    const member = await newKey(atlas, ['ORG_READ_ONLY']);
    assert.equal((await digestCall(atlas, `/api/atlas/v2/orgs/${atlas.bootstrap.orgId}/events`, member)).status, 200);
    const link = decodeToken(linkToken);
    const refused = await digestCall(atlas, `/api/atlas/v2/orgs/${atlas.bootstrap.orgId}/events`, { publicKey: link.publicApiKey, privateKey: link.privateApiKey });
    assert.equal(refused.status, 401);
  });
});
