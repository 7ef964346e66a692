import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOrg } from '../../src/domain/orgs.js';
import { newObjectId } from '../../src/domain/ids.js';
import { startServer, type TestServer } from '../helpers/server.js';
import {
  accessToken,
  bearerCall,
  decodeToken,
  digestCall,
  isApiError,
  linkTokensPath,
  newKey,
  newServiceAccount,
} from '../helpers/atlas.js';

// Organization Owner RBAC, cross-org isolation and API access lists, over real sockets.

describe('authorization', () => {
  let server: TestServer;
  let otherOrgId: string;
  before(async () => {
    server = await startServer();
    otherOrgId = (await createOrg(server.store, 'Other Org')).id;
  });
  after(() => server.close());

  describe('roles', () => {
    for (const role of ['ORG_MEMBER', 'ORG_READ_ONLY', 'ORG_GROUP_CREATOR', 'ORG_BILLING_ADMIN']) {
      it(`an API key with ${role} cannot create or delete link-tokens (401 NOT_ORG_OWNER)`, async () => {
        const key = await newKey(server, [role]);
        const path = linkTokensPath(server.bootstrap.orgId);
        const create = await digestCall(server, path, key, { method: 'POST', json: {} });
        assert.ok(isApiError(create, 401, 'NOT_ORG_OWNER'), create.text);
        assert.deepEqual(create.json.parameters, [server.bootstrap.orgId]);
        assert.match(create.json.detail, /does not have the owner role in organization/);
        const del = await digestCall(server, path, key, { method: 'DELETE' });
        assert.ok(isApiError(del, 401, 'NOT_ORG_OWNER'));
        // …but it can read its org.
        assert.equal((await digestCall(server, `/api/atlas/v2/orgs/${server.bootstrap.orgId}`, key)).status, 200);
      });
    }

    it('a service account with ORG_MEMBER cannot create link-tokens', async () => {
      const sa = await newServiceAccount(server, ['ORG_MEMBER']);
      const token = await accessToken(server, sa.clientId, sa.clientSecret);
      const res = await bearerCall(server, linkTokensPath(server.bootstrap.orgId), token, { method: 'POST', json: {} });
      assert.ok(isApiError(res, 401, 'NOT_ORG_OWNER'));
    });

    it('an owner key with several roles may', async () => {
      const key = await newKey(server, ['ORG_MEMBER', 'ORG_OWNER']);
      const res = await digestCall(server, linkTokensPath(server.bootstrap.orgId), key, { method: 'POST', json: {} });
      assert.equal(res.status, 201);
    });
  });

  describe('cross-org', () => {
    it('an owner of another org is refused, and a missing org answers the same', async () => {
      const otherOwner = await newKey(server, ['ORG_OWNER'], [], otherOrgId);
      const linkBefore = await server.store.links.getLink(server.bootstrap.orgId);
      const existing = await digestCall(server, linkTokensPath(server.bootstrap.orgId), otherOwner, { method: 'POST', json: {} });
      const missing = await digestCall(server, linkTokensPath(newObjectId()), otherOwner, { method: 'POST', json: {} });
      assert.ok(isApiError(existing, 401, 'USER_CANNOT_ACCESS_ORG'));
      assert.ok(isApiError(missing, 401, 'USER_CANNOT_ACCESS_ORG'));
      assert.equal(existing.text, missing.text, 'byte-identical answers: no existence oracle');
      for (const path of [`/api/atlas/v2/orgs/${server.bootstrap.orgId}`, `/api/atlas/v2/orgs/${newObjectId()}`]) {
        assert.ok(isApiError(await digestCall(server, path, otherOwner), 401, 'USER_CANNOT_ACCESS_ORG'));
      }
      assert.deepEqual(await server.store.links.getLink(server.bootstrap.orgId), linkBefore, 'nothing changed in the victim org');
    });

    it('a service account of another org is refused the same way', async () => {
      const sa = await newServiceAccount(server, ['ORG_OWNER'], [], otherOrgId);
      const token = await accessToken(server, sa.clientId, sa.clientSecret);
      const res = await bearerCall(server, linkTokensPath(server.bootstrap.orgId), token, { method: 'DELETE' });
      assert.ok(isApiError(res, 401, 'USER_CANNOT_ACCESS_ORG'));
    });

    it('GET /orgs lists only the caller org', async () => {
      const otherOwner = await newKey(server, ['ORG_OWNER'], [], otherOrgId);
      const res = await digestCall(server, '/api/atlas/v2/orgs', otherOwner);
      assert.deepEqual(res.json.results.map((o: { id: string }) => o.id), [otherOrgId]);
    });
  });

  describe('API access lists', () => {
    const orgPath = () => `/api/atlas/v2/orgs/${server.bootstrap.orgId}`;

    it('admits an address on the list and refuses one off it (IPv4), with the caller IP as parameter', async () => {
      const key = await newKey(server, ['ORG_OWNER'], ['127.0.0.1']);
      assert.equal((await digestCall(server, orgPath(), key)).status, 200);
      const off = await digestCall(server, orgPath(), key, { localAddress: '127.0.0.2' });
      assert.ok(isApiError(off, 403, 'IP_ADDRESS_NOT_ON_ACCESS_LIST'), off.text);
      assert.deepEqual(off.json.parameters, ['127.0.0.2']);
      assert.equal(off.json.detail, 'IP address 127.0.0.2 is not allowed to access this resource.');
    });

    it('matches CIDR edges exactly', async () => {
      const key = await newKey(server, ['ORG_OWNER'], ['127.0.0.2/31']);
      assert.equal((await digestCall(server, orgPath(), key, { localAddress: '127.0.0.2' })).status, 200);
      assert.equal((await digestCall(server, orgPath(), key, { localAddress: '127.0.0.3' })).status, 200);
      assert.equal((await digestCall(server, orgPath(), key, { localAddress: '127.0.0.1' })).status, 403);
      assert.equal((await digestCall(server, orgPath(), key, { localAddress: '127.0.0.4' })).status, 403);
    });

    it('applies to service accounts on API calls, not on the token request', async () => {
      const sa = await newServiceAccount(server, ['ORG_OWNER'], ['10.9.9.9']);
      const token = await accessToken(server, sa.clientId, sa.clientSecret);
      const res = await bearerCall(server, orgPath(), token);
      assert.ok(isApiError(res, 403, 'IP_ADDRESS_NOT_ON_ACCESS_LIST'));
    });

    it('refuses before creating anything', async () => {
      const key = await newKey(server, ['ORG_OWNER'], ['10.0.0.0/8']);
      const before = await server.store.links.getLink(server.bootstrap.orgId);
      const res = await digestCall(server, linkTokensPath(server.bootstrap.orgId), key, { method: 'POST', json: {} });
      assert.equal(res.status, 403);
      assert.deepEqual(await server.store.links.getLink(server.bootstrap.orgId), before);
    });

    it("the link key's access list is the request's accessListIps", async () => {
      const owner = await newKey(server, ['ORG_OWNER']);
      const listed = await digestCall(server, linkTokensPath(server.bootstrap.orgId), owner, { method: 'POST', json: { accessListIps: ['127.0.0.1'] } });
      const t = decodeToken(listed.json.linkToken);
      const linkKey = { publicKey: t.publicApiKey, privateKey: t.privateApiKey };
      assert.equal((await digestCall(server, '/api/atlas/v2/orgs', linkKey)).status, 200);
      const unlisted = await digestCall(server, linkTokensPath(server.bootstrap.orgId), owner, { method: 'POST', json: { accessListIps: ['10.1.1.1'] } });
      const u = decodeToken(unlisted.json.linkToken);
      const res = await digestCall(server, '/api/atlas/v2/orgs', { publicKey: u.publicApiKey, privateKey: u.privateApiKey });
      assert.ok(isApiError(res, 403, 'IP_ADDRESS_NOT_ON_ACCESS_LIST'));
    });
  });

  describe('IPv6 peers', () => {
    let v6: TestServer;
    before(async () => {
      v6 = await startServer({}, { host: '::1' });
    });
    after(() => v6.close());

    it('admits ::1 on an IPv6 list, refuses it on an IPv4-only list, matches IPv6 CIDR', async () => {
      const path = `/api/atlas/v2/orgs/${v6.bootstrap.orgId}`;
      const onList = await newKey(v6, ['ORG_OWNER'], ['::1']);
      assert.equal((await digestCall(v6, path, onList)).status, 200);
      const cidr = await newKey(v6, ['ORG_OWNER'], ['::/127']);
      assert.equal((await digestCall(v6, path, cidr)).status, 200);
      const v4only = await newKey(v6, ['ORG_OWNER'], ['127.0.0.1', '0.0.0.0/0']);
      const res = await digestCall(v6, path, v4only);
      assert.ok(isApiError(res, 403, 'IP_ADDRESS_NOT_ON_ACCESS_LIST'));
      assert.deepEqual(res.json.parameters, ['::1']);
      const otherV6 = await newKey(v6, ['ORG_OWNER'], ['2001:db8::/32']);
      assert.equal((await digestCall(v6, path, otherV6)).status, 403);
    });
  });

  describe('the link key', () => {
    it('can read its org but cannot create or delete link-tokens', async () => {
      const owner = await newKey(server, ['ORG_OWNER']);
      const res = await digestCall(server, linkTokensPath(server.bootstrap.orgId), owner, { method: 'POST', json: {} });
      const t = decodeToken(res.json.linkToken);
      const linkKey = { publicKey: t.publicApiKey, privateKey: t.privateApiKey };
      assert.equal((await digestCall(server, `/api/atlas/v2/orgs/${server.bootstrap.orgId}`, linkKey)).status, 200);
      const create = await digestCall(server, linkTokensPath(server.bootstrap.orgId), linkKey, { method: 'POST', json: {} });
      assert.ok(isApiError(create, 401, 'NOT_ORG_OWNER'));
      const del = await digestCall(server, linkTokensPath(server.bootstrap.orgId), linkKey, { method: 'DELETE' });
      assert.ok(isApiError(del, 401, 'NOT_ORG_OWNER'));
      assert.equal((await server.store.links.getLink(server.bootstrap.orgId))?.apiKeyId, (await server.store.orgs.findApiKeyByPublicKey(t.publicApiKey))?.id);
    });
  });
});
