import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bearerCall, bootstrapKey, bootstrapToken, digestCall, isApiError, linkTokensPath, newKey } from '../helpers/atlas.js';
import { startServer, type TestServer } from '../helpers/server.js';

// Projects (groups) over HTTP, in the shapes the recordings show (../shared/reference/live-migrations.md §4.1).

const RELATED = ['containers', 'clusters', 'databaseUsers', 'peers', 'processes', 'whitelist'];

describe('Atlas projects (/api/atlas/v2/groups)', () => {
  let server: TestServer;
  let token: string;
  before(async () => {
    server = await startServer();
    token = await bootstrapToken(server);
  });
  after(() => server.close());

  const create = (name: string, extra: Record<string, unknown> = {}) =>
    bearerCall(server, '/api/atlas/v2/groups', token, { method: 'POST', json: { name, orgId: server.bootstrap.orgId, ...extra } });

  it('creates a project with 201 and the recorded Group body', async () => {
    const res = await create('e2e-proj-1', { tags: [{ key: 'env', value: 'e2e' }] });
    assert.equal(res.status, 201);
    assert.equal(res.headers['content-type'], 'application/vnd.atlas.2023-01-01+json;charset=utf-8');
    const id = res.json.id as string;
    assert.match(id, /^[a-f0-9]{24}$/);
    assert.match(res.json.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const self = `${server.url}/api/atlas/v2/groups/${id}`;
    assert.deepEqual(res.json, {
      clusterCount: 0,
      created: res.json.created,
      id,
      links: [{ href: self, rel: 'self' }, ...RELATED.map((name) => ({ href: `${self}/${name}`, rel: `https://cloud.mongodb.com/${name}` }))],
      name: 'e2e-proj-1',
      orgId: server.bootstrap.orgId,
      tags: [{ key: 'env', value: 'e2e' }],
      withDefaultAlertsSettings: true,
    });
    assert.deepEqual(Object.keys(res.json), ['clusterCount', 'created', 'id', 'links', 'name', 'orgId', 'tags', 'withDefaultAlertsSettings']);
    const got = await digestCall(server, `/api/atlas/v2/groups/${id}`, bootstrapKey(server));
    assert.equal(got.status, 200);
    assert.deepEqual(got.json, res.json);
    const byName = await bearerCall(server, '/api/atlas/v2/groups/byName/e2e-proj-1', token);
    assert.deepEqual(byName.json, res.json);
  });

  it('accepts what the Go SDK sends: read-only fields with zero values, and projectOwnerId', async () => {
    const res = await bearerCall(server, '/api/atlas/v2/groups?projectOwnerId=5e2211c17a3e5a48f5497de3', token, {
      method: 'POST',
      body: `{"clusterCount":0,"created":"0001-01-01T00:00:00Z","name":"sdk-made","orgId":"${server.bootstrap.orgId}"}\n`,
      headers: { 'content-type': 'application/vnd.atlas.2023-01-01+json' },
    });
    assert.equal(res.status, 201);
    assert.equal(res.json.name, 'sdk-made');
    assert.equal('tags' in res.json, false);
  });

  it('refuses a duplicate name with the recorded 409 GROUP_ALREADY_EXISTS', async () => {
    await create('twice');
    const res = await create('twice');
    assert.ok(isApiError(res, 409, 'GROUP_ALREADY_EXISTS'));
    assert.deepEqual(res.json, { detail: 'A group with name twice already exists.', error: 409, errorCode: 'GROUP_ALREADY_EXISTS', parameters: ['twice'], reason: 'Conflict' });
  });

  it('refuses bad bodies with Atlas codes, never a 500', async () => {
    assert.ok(isApiError(await create('bad name!'), 400, 'INVALID_ATTRIBUTE'));
    assert.ok(isApiError(await create('x'.repeat(65)), 400, 'INVALID_ATTRIBUTE'));
    assert.ok(isApiError(await create('tags', { tags: [{ key: 'k' }] }), 400, 'INVALID_ATTRIBUTE'));
    assert.ok(isApiError(await create('bogus', { bogus: 1 }), 400, 'INVALID_ATTRIBUTE'));
    assert.ok(isApiError(await create('gov', { regionUsageRestrictions: 'GOV_REGIONS_ONLY' }), 400, 'INVALID_ATTRIBUTE'));
    const noName = await bearerCall(server, '/api/atlas/v2/groups', token, { method: 'POST', json: { orgId: server.bootstrap.orgId } });
    assert.ok(isApiError(noName, 400, 'MISSING_ATTRIBUTE'));
    assert.deepEqual(noName.json.parameters, ['name']);
    const noOrg = await bearerCall(server, '/api/atlas/v2/groups', token, { method: 'POST', json: { name: 'p' } });
    assert.ok(isApiError(noOrg, 400, 'MISSING_ATTRIBUTE'));
    const array = await bearerCall(server, '/api/atlas/v2/groups', token, { method: 'POST', json: [] });
    assert.equal(array.status, 400);
    const owner = await bearerCall(server, '/api/atlas/v2/groups?projectOwnerId=nope', token, { method: 'POST', json: { name: 'o', orgId: server.bootstrap.orgId } });
    assert.ok(isApiError(owner, 400, 'INVALID_QUERY_PARAMETER'));
  });

  it('lists the org\'s projects paginated, each with its self link and tags, as recorded', async () => {
    const res = await bearerCall(server, '/api/atlas/v2/groups?includeCount=true&itemsPerPage=100&pageNum=1', token);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json.links, [{ href: `${server.url}/api/atlas/v2/groups?includeCount=true&pageNum=1&itemsPerPage=100`, rel: 'self' }]);
    assert.equal(res.json.totalCount, res.json.results.length);
    for (const group of res.json.results) {
      assert.deepEqual(group.links, [{ href: `${server.url}/api/atlas/v2/groups/${group.id}`, rel: 'self' }]);
      assert.ok(Array.isArray(group.tags));
    }
    const ofOrg = await digestCall(server, `/api/atlas/v2/orgs/${server.bootstrap.orgId}/groups?name=twice`, bootstrapKey(server));
    assert.equal(ofOrg.status, 200);
    assert.deepEqual(ofOrg.json.results.map((g: { name: string }) => g.name), ['twice']);
  });

  it('updates name and tags, and deletes with 202 {}, after which the project is 404 GROUP_NOT_FOUND', async () => {
    const { id } = (await create('to-change')).json;
    const patched = await bearerCall(server, `/api/atlas/v2/groups/${id}`, token, { method: 'PATCH', json: { name: 'changed', tags: [{ key: 'a', value: 'b' }] } });
    assert.equal(patched.status, 200);
    assert.equal(patched.json.name, 'changed');
    assert.deepEqual(patched.json.tags, [{ key: 'a', value: 'b' }]);
    const deleted = await bearerCall(server, `/api/atlas/v2/groups/${id}`, token, { method: 'DELETE' });
    assert.equal(deleted.status, 202);
    assert.equal(deleted.text, '{}');
    assert.equal(deleted.headers['content-type'], 'application/vnd.atlas.2023-01-01+json;charset=utf-8');
    const gone = await bearerCall(server, `/api/atlas/v2/groups/${id}`, token);
    assert.deepEqual(gone.json, { detail: `No group with ID ${id} exists.`, error: 404, errorCode: 'GROUP_NOT_FOUND', parameters: [id], reason: 'Not Found' });
    assert.ok(isApiError(await bearerCall(server, '/api/atlas/v2/groups/byName/changed', token), 404, 'GROUP_NAME_NOT_FOUND'));
    assert.ok(isApiError(await bearerCall(server, '/api/atlas/v2/groups/not-an-id', token), 404, 'INVALID_GROUP_ID'));
  });

  it('lets members read, group creators create, and only owners change; the link key only reads', async () => {
    const { id } = (await create('roles')).json;
    const member = await newKey(server, ['ORG_MEMBER']);
    const creator = await newKey(server, ['ORG_GROUP_CREATOR']);
    const readOnly = await newKey(server, ['ORG_READ_ONLY']);
    assert.equal((await digestCall(server, `/api/atlas/v2/groups/${id}`, readOnly)).status, 200);
    assert.equal((await digestCall(server, '/api/atlas/v2/groups', member)).status, 200);
    const byMember = await digestCall(server, '/api/atlas/v2/groups', member, { method: 'POST', json: { name: 'm', orgId: server.bootstrap.orgId } });
    assert.ok(isApiError(byMember, 401, 'NOT_ORG_GROUP_CREATOR'));
    const byCreator = await digestCall(server, '/api/atlas/v2/groups', creator, { method: 'POST', json: { name: 'by-creator', orgId: server.bootstrap.orgId } });
    assert.equal(byCreator.status, 201);
    assert.ok(isApiError(await digestCall(server, `/api/atlas/v2/groups/${id}`, member, { method: 'DELETE' }), 401, 'USER_UNAUTHORIZED'));
    assert.ok(isApiError(await digestCall(server, `/api/atlas/v2/groups/${id}`, member, { method: 'PATCH', json: { name: 'x' } }), 401, 'USER_UNAUTHORIZED'));

    const link = await bearerCall(server, linkTokensPath(server.bootstrap.orgId), token, { method: 'POST', json: {} });
    const decoded = JSON.parse(Buffer.from(link.json.linkToken, 'base64').toString('utf8'));
    const linkKey = { publicKey: decoded.publicApiKey, privateKey: decoded.privateApiKey };
    // The link key's access list is the link-token's: this test's link allows any address.
    assert.equal((await digestCall(server, `/api/atlas/v2/groups/${id}`, linkKey)).status, 200);
    assert.equal((await digestCall(server, '/api/atlas/v2/groups', linkKey)).status, 200);
    assert.ok(isApiError(await digestCall(server, '/api/atlas/v2/groups', linkKey, { method: 'POST', json: { name: 'lk', orgId: server.bootstrap.orgId } }), 401, 'USER_CANNOT_ACCESS_ORG'));
    const clusters = await digestCall(server, `/api/atlas/v2/groups/${id}/clusters`, linkKey, { headers: { accept: 'application/vnd.atlas.2024-08-05+json' } });
    assert.ok(isApiError(clusters, 401, 'USER_CANNOT_ACCESS_ORG'));
  });

  it('answers a project of another org exactly like a missing one', async () => {
    const otherOrg = await server.store.orgs.listOrgs();
    const { createOrg } = await import('../../src/domain/orgs.js');
    const foreign = await createOrg(server.store, 'Foreign');
    assert.ok(otherOrg.length >= 1);
    const foreignKey = await newKey(server, ['ORG_OWNER'], [], foreign.id);
    const { id } = (await create('mine')).json;
    const missing = '0123456789abcdef01234567';
    const seen = await digestCall(server, `/api/atlas/v2/groups/${id}`, foreignKey);
    const unknown = await digestCall(server, `/api/atlas/v2/groups/${missing}`, foreignKey);
    assert.ok(isApiError(seen, 404, 'GROUP_NOT_FOUND'));
    assert.ok(isApiError(unknown, 404, 'GROUP_NOT_FOUND'));
    assert.deepEqual({ ...seen.json, parameters: [], detail: '' }, { ...unknown.json, parameters: [], detail: '' });
    const intoOther = await digestCall(server, '/api/atlas/v2/groups', foreignKey, { method: 'POST', json: { name: 'x', orgId: server.bootstrap.orgId } });
    assert.ok(isApiError(intoOther, 401, 'USER_CANNOT_ACCESS_ORG'));
    assert.equal((await digestCall(server, '/api/atlas/v2/groups/byName/mine', foreignKey)).status, 404);
  });
});
