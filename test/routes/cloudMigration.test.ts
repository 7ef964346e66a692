import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer } from '../helpers/server.js';
import {
  bearerCall,
  bootstrapKey,
  bootstrapToken,
  decodeToken,
  digestCall,
  isApiError,
  linkTokensPath,
} from '../helpers/atlas.js';
import { request } from '../helpers/http.js';

describe('Create One Link-Token / Remove One Link-Token', () => {
  let server: TestServer;
  let token: string;
  before(async () => {
    server = await startServer();
    token = await bootstrapToken(server);
  });
  after(() => server.close());

  it('creates a token by digest: 201, versioned content type, four fields in Atlas order', async () => {
    const res = await digestCall(server, linkTokensPath(server.bootstrap.orgId), bootstrapKey(server), {
      method: 'POST',
      json: { accessListIps: ['127.0.0.1', '10.0.0.0/8'] },
    });
    assert.equal(res.status, 201);
    assert.equal(res.headers['content-type'], 'application/vnd.atlas.2023-01-01+json;charset=utf-8');
    assert.deepEqual(Object.keys(res.json), ['linkToken']);
    const raw = Buffer.from(res.json.linkToken, 'base64').toString('utf8');
    assert.equal(Buffer.from(raw).toString('base64'), res.json.linkToken, 'standard base64 with padding');
    const contents = decodeToken(res.json.linkToken);
    assert.deepEqual(Object.keys(contents), ['orgId', 'orgName', 'privateApiKey', 'publicApiKey']);
    assert.equal(raw, JSON.stringify(contents), 'compact JSON');
    assert.equal(contents.orgId, server.bootstrap.orgId);
    assert.equal(contents.orgName, server.bootstrap.orgName);
    assert.match(contents.publicApiKey, /^[a-z]{8}$/);
    assert.match(contents.privateApiKey, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const key = await server.store.orgs.findApiKeyByPublicKey(contents.publicApiKey);
    assert.deepEqual(key?.accessList, ['127.0.0.1', '10.0.0.0/8']);
    assert.equal(key?.purpose, 'LIVE_MIGRATION_LINK');
    assert.deepEqual(key?.roles, ['ORG_READ_ONLY']);
  });

  it('creates a token by bearer with the Atlas docs Accept date 2024-10-23 and plain JSON body', async () => {
    const res = await bearerCall(server, linkTokensPath(server.bootstrap.orgId), token, {
      method: 'POST',
      headers: { accept: 'application/vnd.atlas.2024-10-23+json', 'content-type': 'application/json' },
      json: { accessListIps: ['127.0.0.1'] },
    });
    assert.equal(res.status, 201);
    assert.equal(res.headers['content-type'], 'application/vnd.atlas.2023-01-01+json;charset=utf-8');
    assert.equal(decodeToken(res.json.linkToken).orgId, server.bootstrap.orgId);
  });

  it('accepts the Go SDK body with no IPs ({}) and makes an unrestricted key', async () => {
    const res = await bearerCall(server, linkTokensPath(server.bootstrap.orgId), token, { method: 'POST', json: {} });
    assert.equal(res.status, 201);
    const key = await server.store.orgs.findApiKeyByPublicKey(decodeToken(res.json.linkToken).publicApiKey);
    assert.deepEqual(key?.accessList, []);
  });

  it('rotates: a new token replaces the link and the old key stops working at once', async () => {
    const path = linkTokensPath(server.bootstrap.orgId);
    const first = decodeToken((await bearerCall(server, path, token, { method: 'POST', json: {} })).json.linkToken);
    const firstKey = { publicKey: first.publicApiKey, privateKey: first.privateApiKey };
    assert.equal((await digestCall(server, '/api/atlas/v2/orgs', firstKey)).status, 200);
    const second = decodeToken((await bearerCall(server, path, token, { method: 'POST', json: {} })).json.linkToken);
    assert.notEqual(second.publicApiKey, first.publicApiKey);
    const refused = await digestCall(server, '/api/atlas/v2/orgs', firstKey);
    assert.ok(isApiError(refused, 401, 'UNEXPECTED_ERROR'));
    const secondKey = { publicKey: second.publicApiKey, privateKey: second.privateApiKey };
    assert.equal((await digestCall(server, '/api/atlas/v2/orgs', secondKey)).status, 200);
    const linkKeys = (await server.store.orgs.listApiKeys(server.bootstrap.orgId)).filter((k) => k.purpose === 'LIVE_MIGRATION_LINK');
    assert.deepEqual(linkKeys.map((k) => k.publicKey), [second.publicApiKey], 'one link key per org');
  });

  it('deletes the link and its key (204, versioned content type, no body), then 404 as Atlas', async () => {
    const path = linkTokensPath(server.bootstrap.orgId);
    const created = decodeToken((await bearerCall(server, path, token, { method: 'POST', json: {} })).json.linkToken);
    const deleted = await digestCall(server, path, bootstrapKey(server), { method: 'DELETE' });
    assert.equal(deleted.status, 204);
    assert.equal(deleted.text, '');
    assert.equal(deleted.headers['content-type'], 'application/vnd.atlas.2023-01-01+json;charset=utf-8');
    assert.equal(await server.store.links.getLink(server.bootstrap.orgId), undefined);
    const linkKey = { publicKey: created.publicApiKey, privateKey: created.privateApiKey };
    assert.equal((await digestCall(server, '/api/atlas/v2/orgs', linkKey)).status, 401);

    const again = await bearerCall(server, path, token, { method: 'DELETE' });
    assert.ok(isApiError(again, 404, 'UNEXPECTED_ERROR'));
    // Byte for byte the recorded Atlas body.
    assert.equal(
      again.text,
      '{"detail":"Could not find the requested external organization link.","error":404,"errorCode":"UNEXPECTED_ERROR","parameters":null,"reason":"Not Found"}',
    );
  });

  it('wraps the token in an envelope and pretty-prints on request', async () => {
    const res = await bearerCall(server, `${linkTokensPath(server.bootstrap.orgId)}?envelope=true&pretty=true`, token, {
      method: 'POST',
      json: {},
    });
    assert.equal(res.status, 201);
    assert.match(res.text, /^\{\n  "content" : \{\n    "linkToken" : "[A-Za-z0-9+/=]+"\n  \},\n  "status" : 201\n\}$/);
    assert.equal(res.json.status, 201);
    assert.ok(decodeToken(res.json.content.linkToken).publicApiKey);
  });

  it('keeps keys and links consistent under concurrent creates', async () => {
    const path = linkTokensPath(server.bootstrap.orgId);
    const results = await Promise.all(Array.from({ length: 30 }, () => bearerCall(server, path, token, { method: 'POST', json: {} })));
    assert.ok(results.every((r) => r.status === 201));
    const link = await server.store.links.getLink(server.bootstrap.orgId);
    const linkKeys = (await server.store.orgs.listApiKeys(server.bootstrap.orgId)).filter((k) => k.purpose === 'LIVE_MIGRATION_LINK');
    assert.equal(linkKeys.length, 1);
    assert.equal(link?.apiKeyId, linkKeys[0]!.id);
    const live = results.map((r) => decodeToken(r.json.linkToken).publicApiKey).filter((k) => k === linkKeys[0]!.publicKey);
    assert.equal(live.length, 1, 'exactly one of the returned tokens is live');
  });

  it('answers a GET on the link-token path as an unknown resource (no such operation)', async () => {
    const res = await request(server.url + linkTokensPath(server.bootstrap.orgId), { headers: { accept: 'application/vnd.atlas.2023-01-01+json' } });
    assert.ok(isApiError(res, 404, 'RESOURCE_NOT_FOUND'));
  });
});
