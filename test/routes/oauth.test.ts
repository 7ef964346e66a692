import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { hashClientSecret } from '../../src/domain/secrets.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { bearerCall } from '../helpers/atlas.js';
import { request } from '../helpers/http.js';

// POST /api/oauth/token and /api/oauth/revoke, as the Go SDK (both generations) and curl call them.

describe('/api/oauth/token', () => {
  let server: TestServer;
  const specialId = 'mdb_sa_id_abc';
  // The secret of the SDK capture (go-sdk-client.md): a colon and an ampersand.
  const specialSecret = 'mdb_sa_sk_s3cr:t&x';
  before(async () => {
    server = await startServer();
    // A secret with characters that URL-encoding changes, as in the SDK capture.
    await server.store.serviceAccounts.insertServiceAccount({
      clientId: specialId,
      orgId: server.bootstrap.orgId,
      secretHash: hashClientSecret(specialSecret),
      roles: ['ORG_OWNER'],
      accessList: [],
      name: 'special',
      createdAt: new Date().toISOString(),
    });
  });
  after(() => server.close());

  const tokenRequest = (basic: string | undefined, body = 'grant_type=client_credentials', contentType = 'application/x-www-form-urlencoded') =>
    request(`${server.url}/api/oauth/token`, {
      method: 'POST',
      headers: { authorization: basic === undefined ? undefined : `Basic ${Buffer.from(basic).toString('base64')}`, 'content-type': contentType },
      body,
    });

  it('issues a JWT bearer token valid one hour', async () => {
    const sa = server.bootstrap.serviceAccount;
    const res = await tokenRequest(`${sa.clientId}:${sa.clientSecret}`);
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'] as string, /^application\/json/);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.deepEqual(Object.keys(res.json).sort(), ['access_token', 'expires_in', 'token_type']);
    assert.equal(res.json.expires_in, 3600);
    assert.equal(res.json.token_type, 'Bearer');
    const claims = decodeJwt(res.json.access_token);
    assert.equal(claims.sub, sa.clientId);
    assert.ok(typeof claims.exp === 'number' && Math.abs(claims.exp - Date.now() / 1000 - 3600) < 5);
  });

  it('takes raw Basic credentials (SDK v2024) with a colon in the secret: split on the first colon', async () => {
    const res = await tokenRequest(`${specialId}:${specialSecret}`);
    assert.equal(res.status, 200);
  });

  it('takes URL-encoded Basic credentials (SDK v2025, x/oauth2 QueryEscape)', async () => {
    const queryEscape = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
    const res = await tokenRequest(`${queryEscape(specialId)}:${queryEscape(specialSecret)}`);
    assert.equal(res.status, 200);
    const api = await bearerCall(server, '/api/atlas/v2/orgs', res.json.access_token);
    assert.equal(api.status, 200);
  });

  it('takes client_secret_post credentials in the form body', async () => {
    const sa = server.bootstrap.serviceAccount;
    const res = await tokenRequest(undefined, `grant_type=client_credentials&client_id=${sa.clientId}&client_secret=${sa.clientSecret}`);
    assert.equal(res.status, 200);
  });

  const invalidClient = { error: 'invalid_client', error_description: 'Invalid credentials provided.' };
  for (const [name, basic] of [
    ['a wrong secret', () => `${server.bootstrap.serviceAccount.clientId}:mdb_sa_sk_wrong`],
    ['an unknown client', () => 'mdb_sa_id_000000000000000000000000:x'],
    ['no credentials', () => undefined],
    ['no colon', () => 'justonepart'],
  ] as const) {
    it(`answers ${name} with 401 invalid_client`, async () => {
      const res = await tokenRequest(basic());
      assert.equal(res.status, 401);
      assert.deepEqual(res.json, invalidClient);
      assert.equal(res.headers['www-authenticate'], 'Basic realm="MMS Public API"');
    });
  }

  it('answers a malformed Authorization header with 401 invalid_client', async () => {
    const res = await request(`${server.url}/api/oauth/token`, {
      method: 'POST',
      headers: { authorization: 'Basic !!!', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    assert.equal(res.status, 401);
    assert.equal(res.json.error, 'invalid_client');
  });

  it('answers a missing or other grant type with 400', async () => {
    const sa = server.bootstrap.serviceAccount;
    const missing = await tokenRequest(`${sa.clientId}:${sa.clientSecret}`, 'scope=x');
    assert.equal(missing.status, 400);
    assert.equal(missing.json.error, 'invalid_request');
    const other = await tokenRequest(`${sa.clientId}:${sa.clientSecret}`, 'grant_type=password');
    assert.equal(other.status, 400);
    assert.equal(other.json.error, 'unsupported_grant_type');
  });

  // Found by fuzzing: an unparseable JSON body answered with a charset added to the content type.
  it('answers an unparseable JSON body with 400 invalid_request, plain application/json and X-Error-Code', async () => {
    const sa = server.bootstrap.serviceAccount;
    const res = await tokenRequest(`${sa.clientId}:${sa.clientSecret}`, 'grant_type=client_credentials', 'application/json');
    assert.equal(res.status, 400);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.equal(res.headers['x-error-code'], 'INVALID_REQUEST');
    assert.deepEqual(Object.keys(res.json), ['error', 'error_description']);
  });

  it('answers a non-form body with 400 invalid_request, not a 500', async () => {
    const sa = server.bootstrap.serviceAccount;
    const res = await tokenRequest(`${sa.clientId}:${sa.clientSecret}`, 'grant_type=client_credentials', 'text/plain');
    assert.equal(res.status, 400);
    assert.equal(res.json.error, 'invalid_request');
  });

  it('revoke needs client authentication', async () => {
    const res = await request(`${server.url}/api/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'token=abc',
    });
    assert.equal(res.status, 401);
    assert.equal(res.json.error, 'invalid_client');
  });

  it("revoke ignores another client's token (no oracle, no effect)", async () => {
    const sa = server.bootstrap.serviceAccount;
    const victim = (await tokenRequest(`${sa.clientId}:${sa.clientSecret}`)).json.access_token;
    const res = await request(`${server.url}/api/oauth/revoke`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${specialId}:${encodeURIComponent(specialSecret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `token=${victim}`,
    });
    assert.equal(res.status, 200);
    assert.equal((await bearerCall(server, '/api/atlas/v2/orgs', victim)).status, 200);
  });
});
