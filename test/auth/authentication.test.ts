import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { mintNonce } from '../../src/auth/digest.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { bearerCall, bootstrapKey, bootstrapToken, isApiError, newServiceAccount, accessToken } from '../helpers/atlas.js';
import { ATLAS_JSON, digestAuthorization, fetchNonce, parseChallengeLikeGoSdk, request, type TestResponse } from '../helpers/http.js';

// HTTP Digest and OAuth bearer authentication against the real server.

const ORGS = '/api/atlas/v2/orgs';

function assertChallenge(res: TestResponse, stale = false): string {
  assert.ok(isApiError(res, 401, 'UNEXPECTED_ERROR'), `${res.status} ${res.text}`);
  // Byte for byte the body Atlas sends with its challenge: pretty, in this key order, no parameters.
  assert.equal(res.text, '{\n  "error" : 401,\n  "reason" : "Unauthorized",\n  "detail" : "You are not authorized for this resource.",\n  "errorCode" : "UNEXPECTED_ERROR"\n}');
  const header = res.headers['www-authenticate'] as string;
  assert.match(header, /^Digest realm="MMS Public API", domain="", nonce="[A-Za-z0-9+/]{32}", algorithm=MD5, qop="auth", stale=(true|false)$/);
  const challenge = parseChallengeLikeGoSdk(header);
  assert.equal(challenge.stale, String(stale));
  return challenge.nonce!;
}

describe('HTTP Digest', () => {
  let server: TestServer;
  let nonceKey: Buffer;
  before(async () => {
    server = await startServer();
    nonceKey = await server.store.housekeeping.getOrCreateSecret('digest-nonce-key', () => {
      throw new Error('the server created it');
    });
  });
  after(() => server.close());

  const call = (authorization: string | undefined, method = 'GET', path = ORGS) =>
    request(server.url + path, { method, headers: { accept: ATLAS_JSON, authorization } });
  const answer = (nonce: string, changes: Partial<Parameters<typeof digestAuthorization>[0]> = {}) =>
    digestAuthorization({
      username: bootstrapKey(server).publicKey,
      password: bootstrapKey(server).privateKey,
      method: 'GET',
      uri: ORGS,
      nonce,
      ...changes,
    });

  it('challenges an unauthenticated request exactly like Atlas', async () => {
    assertChallenge(await call(undefined));
  });

  it('challenges the first POST of the Go SDK (full body, no credentials) without reading it as an error', async () => {
    const res = await request(`${server.url}/api/atlas/v2/orgs/${server.bootstrap.orgId}/liveMigrations/linkTokens`, {
      method: 'POST',
      headers: { accept: ATLAS_JSON, 'content-type': ATLAS_JSON },
      body: '{"accessListIps":["10.0.0.1","192.168.1.0/24"]}\n',
    });
    assertChallenge(res);
  });

  it('accepts the Go SDK answer (algorithm quoted) and the curl answer (algorithm bare)', async () => {
    assert.equal((await call(answer(await fetchNonce(server.url + ORGS)))).status, 200);
    const curlStyle = answer(await fetchNonce(server.url + ORGS)).replace('algorithm="MD5"', 'algorithm=MD5');
    assert.equal((await call(curlStyle)).status, 200);
  });

  it('accepts a URI with a query string when it is the one requested', async () => {
    const path = `${ORGS}?pageNum=1&itemsPerPage=5`;
    const res = await call(answer(await fetchNonce(server.url + path), { uri: path }), 'GET', path);
    assert.equal(res.status, 200);
  });

  const refusals: Array<[string, (nonce: string) => string]> = [
    ['a wrong private key', (n) => answer(n, { password: crypto.randomUUID() })],
    ['an unknown public key', (n) => answer(n, { username: 'zzzzzzzz' })],
    ['another realm', (n) => answer(n, { realm: 'Other Realm' })],
    ['another URI', (n) => answer(n, { uri: '/api/atlas/v2/orgs/000000000000000000000000' })],
    ['another method', (n) => answer(n, { method: 'POST' })],
    ['no qop (RFC 2069 style)', (n) => answer(n, { qop: null })],
    ['SHA-256', (n) => answer(n, { algorithm: 'SHA-256' })],
    ['MD5-sess', (n) => answer(n, { algorithm: 'MD5-sess' })],
    ['a forged nonce', () => answer(Buffer.alloc(24, 7).toString('base64'))],
    ['a wrong response', (n) => answer(n, { response: '0'.repeat(32) })],
    ['a malformed header', () => 'Digest username="x"'],
    ['Basic credentials', () => `Basic ${Buffer.from('a:b').toString('base64')}`],
  ];
  for (const [name, build] of refusals) {
    it(`refuses ${name} with a fresh challenge`, async () => {
      const nonce = await fetchNonce(server.url + ORGS);
      assertChallenge(await call(build(nonce)));
    });
  }

  it('refuses a replayed (nonce, nc) pair, and accepts the next nc', async () => {
    const nonce = await fetchNonce(server.url + ORGS);
    const authorization = answer(nonce, { cnonce: 'aaaa', nc: '00000001' });
    assert.equal((await call(authorization)).status, 200);
    assertChallenge(await call(authorization));
    assert.equal((await call(answer(nonce, { nc: '00000002' }))).status, 200);
  });

  it('answers an expired nonce with stale=true, and the retry with the new nonce works', async () => {
    const old = mintNonce(nonceKey, Date.now() - server.config.nonceTtlMs - 1000);
    const fresh = assertChallenge(await call(answer(old)), true);
    assert.equal((await call(answer(fresh))).status, 200);
  });

  it('does not mark a wrong answer to an expired nonce as stale', async () => {
    const old = mintNonce(nonceKey, Date.now() - server.config.nonceTtlMs - 1000);
    assertChallenge(await call(answer(old, { password: 'wrong' })), false);
  });
});

describe('OAuth bearer tokens', () => {
  let server: TestServer;
  let token: string;
  let signingKey: Uint8Array;
  before(async () => {
    server = await startServer();
    token = await bootstrapToken(server);
    signingKey = new Uint8Array(await server.store.housekeeping.getOrCreateSecret('oauth-jwt-signing-key', () => Buffer.alloc(0)));
  });
  after(() => server.close());

  const call = (bearer: string) => bearerCall(server, ORGS, bearer);
  const assertRefused = (res: TestResponse, description: RegExp = /invalid/) => {
    assert.ok(isApiError(res, 401, 'UNEXPECTED_ERROR'), `${res.status} ${res.text}`);
    assert.match(res.headers['www-authenticate'] as string, /^Bearer realm="MMS Public API", error="invalid_token"/);
    assert.match(res.headers['www-authenticate'] as string, description);
  };
  const sign = (claims: Record<string, unknown>, key: Uint8Array = signingKey, alg = 'HS256') =>
    new SignJWT(claims).setProtectedHeader({ alg }).sign(key);
  const validClaims = () => ({
    iss: 'pushlink',
    aud: 'mms-public-api',
    sub: server.bootstrap.serviceAccount.clientId,
    jti: crypto.randomUUID(),
    iat: Math.floor(Date.now() / 1000),
    exp: Math.floor(Date.now() / 1000) + 600,
  });

  it('authenticates a token from /api/oauth/token', async () => {
    assert.equal((await call(token)).status, 200);
  });

  it('accepts a token signed with the server key (the test forges correctly)', async () => {
    assert.equal((await call(await sign(validClaims()))).status, 200);
  });

  it('refuses an expired token', async () => {
    const claims = { ...validClaims(), exp: Math.floor(Date.now() / 1000) - 1 };
    assertRefused(await call(await sign(claims)), /expired/);
  });

  it('refuses a tampered payload', async () => {
    const [header, , signature] = token.split('.');
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    const tampered = Buffer.from(JSON.stringify({ ...payload, sub: 'mdb_sa_id_someone_else' })).toString('base64url');
    assertRefused(await call(`${header}.${tampered}.${signature}`));
  });

  it('refuses alg: none', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify(validClaims())).toString('base64url');
    assertRefused(await call(`${header}.${payload}.`));
  });

  it('refuses a token signed with another key', async () => {
    assertRefused(await call(await sign(validClaims(), crypto.randomBytes(32))));
  });

  it('refuses a token for another issuer or audience', async () => {
    assertRefused(await call(await sign({ ...validClaims(), iss: 'https://cloud.mongodb.com' })));
    assertRefused(await call(await sign({ ...validClaims(), aud: 'other' })));
  });

  it('refuses garbage and an empty bearer', async () => {
    assertRefused(await call('not-a-jwt'));
    const res = await request(server.url + ORGS, { headers: { accept: ATLAS_JSON, authorization: 'Bearer ' } });
    assert.equal(res.status, 401);
  });

  it('refuses a revoked token, other tokens of the account keep working', async () => {
    const sa = server.bootstrap.serviceAccount;
    const doomed = await accessToken(server, sa.clientId, sa.clientSecret);
    assert.equal((await call(doomed)).status, 200);
    const revoke = await request(`${server.url}/api/oauth/revoke`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${sa.clientId}:${sa.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `token=${encodeURIComponent(doomed)}&token_type_hint=access_token`,
    });
    assert.equal(revoke.status, 200);
    assertRefused(await call(doomed));
    assert.equal((await call(token)).status, 200);
  });

  it('refuses the token of a deleted service account', async () => {
    const sa = await newServiceAccount(server, ['ORG_OWNER']);
    const saToken = await accessToken(server, sa.clientId, sa.clientSecret);
    assert.equal((await call(saToken)).status, 200);
    assert.equal(await server.store.serviceAccounts.deleteServiceAccount(server.bootstrap.orgId, sa.clientId), true);
    assertRefused(await call(saToken));
  });
});
