import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer } from '../helpers/server.js';
import { bearerCall, bootstrapToken, isApiError } from '../helpers/atlas.js';

describe('GET /api/atlas/v2/orgs and /orgs/{orgId}', () => {
  let server: TestServer;
  let token: string;
  before(async () => {
    server = await startServer();
    token = await bootstrapToken(server);
  });
  after(() => server.close());

  it('lists the caller org as an Atlas paginated list', async () => {
    const res = await bearerCall(server, '/api/atlas/v2/orgs', token);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/vnd.atlas.2023-01-01+json;charset=utf-8');
    assert.deepEqual(res.json, {
      links: [{ href: `${server.url}/api/atlas/v2/orgs?pageNum=1&itemsPerPage=100`, rel: 'self' }],
      results: [
        {
          id: server.bootstrap.orgId,
          isDeleted: false,
          links: [{ href: `${server.url}/api/atlas/v2/orgs/${server.bootstrap.orgId}`, rel: 'self' }],
          name: 'Test Org',
        },
      ],
      totalCount: 1,
    });
  });

  it('honours pageNum, itemsPerPage, includeCount and name', async () => {
    const page2 = await bearerCall(server, '/api/atlas/v2/orgs?pageNum=2&itemsPerPage=1', token);
    assert.deepEqual(page2.json.results, []);
    assert.deepEqual(page2.json.links.map((l: { rel: string }) => l.rel), ['previous', 'self']);
    const noCount = await bearerCall(server, '/api/atlas/v2/orgs?includeCount=false', token);
    assert.equal(noCount.json.totalCount, undefined);
    const named = await bearerCall(server, '/api/atlas/v2/orgs?name=Nope', token);
    assert.deepEqual(named.json.results, []);
    assert.equal(named.json.totalCount, 0);
  });

  it('adds status to the list envelope and pretty-prints Jackson style', async () => {
    const res = await bearerCall(server, '/api/atlas/v2/orgs?envelope=true&pretty=true', token);
    assert.equal(res.json.status, 200);
    assert.equal(res.json.totalCount, 1);
    assert.match(res.text, /^\{\n  "links" : \[ \{\n    "href" : /);
  });

  for (const query of ['itemsPerPage=0', 'itemsPerPage=501', 'pageNum=0', 'pageNum=x', 'includeCount=maybe']) {
    it(`refuses ${query} with 400 INVALID_QUERY_PARAMETER`, async () => {
      const res = await bearerCall(server, `/api/atlas/v2/orgs?${query}`, token);
      assert.ok(isApiError(res, 400, 'INVALID_QUERY_PARAMETER'));
      assert.deepEqual(res.json.parameters, [query.split('=')[0]]);
    });
  }

  it('returns one org, enveloped on request', async () => {
    const res = await bearerCall(server, `/api/atlas/v2/orgs/${server.bootstrap.orgId}?envelope=true`, token);
    assert.equal(res.status, 200);
    assert.equal(res.json.status, 200);
    assert.equal(res.json.content.id, server.bootstrap.orgId);
    assert.equal(res.json.content.name, 'Test Org');
  });
});
