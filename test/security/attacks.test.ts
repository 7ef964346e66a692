import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { mintNonce } from '../../src/auth/digest.js';
import { createOrg } from '../../src/domain/orgs.js';
import { newObjectId } from '../../src/domain/ids.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { startSourceServer, type TestSourceServer } from '../helpers/source.js';
import { accessToken, bearerCall, bootstrapToken, decodeToken, digestCall, linkTokensPath, newKey, newServiceAccount } from '../helpers/atlas.js';
import { ATLAS_JSON, digestAuthorization, digestRequest, fetchNonce, request, type Credentials, type TestResponse } from '../helpers/http.js';

// Every way in that Atlas refuses, refused the same way: each case names the attack and the exact
// answer (status and errorCode, X-Error-Code header, Content-Type application/json). Nothing an
// attack tries may change state; the last test checks the victim org is untouched.

interface Attack {
  name: string;
  status: number;
  errorCode: string;
  run: () => Promise<TestResponse>;
}

describe('attack suite', () => {
  let atlas: TestServer;
  let atlasV6: TestServer;
  let source: TestSourceServer;
  let owner: Credentials;
  let ownerToken: string;
  let nonceKey: Buffer;
  let signingKey: Uint8Array;
  let linkKey: Credentials;
  let otherOrgId: string;
  let otherOwner: Credentials;
  let otherOwnerToken: string;
  let member: Credentials;
  let readOnly: Credentials;
  let deletedKey: Credentials;
  let deletedAccountToken: string;
  let revokedToken: string;
  let listedKey: Credentials;
  let cidrKey: Credentials;
  let v6Key: Credentials;
  let v6OnlyV4Key: Credentials;
  let linkBefore: unknown;
  const attacks: Attack[] = [];

  const ORGS = '/api/atlas/v2/orgs';
  const orgPath = () => `${ORGS}/${atlas.bootstrap.orgId}`;
  const create = () => linkTokensPath(atlas.bootstrap.orgId);
  const raw = (path: string, authorization: string | undefined, method = 'GET', extra: Record<string, string> = {}, body?: string) =>
    request(atlas.url + path, { method, headers: { accept: ATLAS_JSON, authorization, ...extra }, ...(body === undefined ? {} : { body }) });
  /** A digest answer for GET /orgs with the bootstrap owner key, a fresh nonce, and `changes`. */
  const digestAnswer = async (changes: Partial<Parameters<typeof digestAuthorization>[0]> = {}) =>
    digestAuthorization({
      username: owner.publicKey,
      password: owner.privateKey,
      method: 'GET',
      uri: ORGS,
      nonce: await fetchNonce(atlas.url + ORGS),
      ...changes,
    });
  const jwt = (claims: Record<string, unknown>, key: Uint8Array = signingKey, alg = 'HS256') =>
    new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(key);
  const claims = (extra: Record<string, unknown> = {}) => ({
    iss: 'pushlink',
    aud: 'mms-public-api',
    sub: atlas.bootstrap.serviceAccount.clientId,
    jti: crypto.randomUUID(),
    iat: Math.floor(Date.now() / 1000),
    exp: Math.floor(Date.now() / 1000) + 600,
    ...extra,
  });
  const bearer = (token: string, path = ORGS) => bearerCall(atlas, path, token);

  before(async () => {
    atlas = await startServer({ bodyLimitBytes: 64 * 1024 });
    atlasV6 = await startServer({}, { host: '::1' });
    source = await startSourceServer(atlas.url);
    owner = atlas.bootstrap.apiKey;
    ownerToken = await bootstrapToken(atlas);
    nonceKey = await atlas.store.housekeeping.getOrCreateSecret('digest-nonce-key', () => Buffer.alloc(0));
    signingKey = new Uint8Array(await atlas.store.housekeeping.getOrCreateSecret('oauth-jwt-signing-key', () => Buffer.alloc(0)));
    const created = await bearerCall(atlas, create(), ownerToken, { method: 'POST', json: {} });
    const t = decodeToken(created.json.linkToken);
    linkKey = { publicKey: t.publicApiKey, privateKey: t.privateApiKey };
    linkBefore = await atlas.store.links.getLink(atlas.bootstrap.orgId);
    otherOrgId = (await createOrg(atlas.store, 'Other Org')).id;
    otherOwner = await newKey(atlas, ['ORG_OWNER'], [], otherOrgId);
    const otherSa = await newServiceAccount(atlas, ['ORG_OWNER'], [], otherOrgId);
    otherOwnerToken = await accessToken(atlas, otherSa.clientId, otherSa.clientSecret);
    member = await newKey(atlas, ['ORG_MEMBER']);
    readOnly = await newKey(atlas, ['ORG_READ_ONLY']);
    deletedKey = await newKey(atlas, ['ORG_OWNER']);
    await atlas.store.orgs.deleteApiKey(atlas.bootstrap.orgId, deletedKey.publicKey);
    const doomed = await newServiceAccount(atlas, ['ORG_OWNER']);
    deletedAccountToken = await accessToken(atlas, doomed.clientId, doomed.clientSecret);
    await atlas.store.serviceAccounts.deleteServiceAccount(atlas.bootstrap.orgId, doomed.clientId);
    revokedToken = await bootstrapToken(atlas);
    const sa = atlas.bootstrap.serviceAccount;
    await request(`${atlas.url}/api/oauth/revoke`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${sa.clientId}:${sa.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${revokedToken}`,
    });
    listedKey = await newKey(atlas, ['ORG_OWNER'], ['127.0.0.1']);
    cidrKey = await newKey(atlas, ['ORG_OWNER'], ['127.0.0.0/31']);
    v6Key = await newKey(atlasV6, ['ORG_OWNER'], ['::1']);
    v6OnlyV4Key = await newKey(atlasV6, ['ORG_OWNER'], ['0.0.0.0/0']);
  });
  after(async () => {
    await source.close();
    await atlasV6.close();
    await atlas.close();
  });

  const add = (name: string, status: number, errorCode: string, run: () => Promise<TestResponse>) => attacks.push({ name, status, errorCode, run });
  const UNAUTHORIZED: [number, string] = [401, 'UNEXPECTED_ERROR'];

  // HTTP Digest
  add('no credentials', ...UNAUTHORIZED, () => raw(ORGS, undefined));
  add('digest: wrong public key', ...UNAUTHORIZED, async () => raw(ORGS, await digestAnswer({ username: 'qqqqqqqq' })));
  add('digest: wrong private key', ...UNAUTHORIZED, async () => raw(ORGS, await digestAnswer({ password: crypto.randomUUID() })));
  add('digest: another realm', ...UNAUTHORIZED, async () => raw(ORGS, await digestAnswer({ realm: 'Other' })));
  add('digest: another URI', ...UNAUTHORIZED, async () => raw(ORGS, await digestAnswer({ uri: orgPath() })));
  add('digest: same path, another query', ...UNAUTHORIZED, async () => raw(`${ORGS}?pageNum=2`, await digestAnswer()));
  add('digest: another method', ...UNAUTHORIZED, async () => raw(ORGS, await digestAnswer({ method: 'DELETE' })));
  add('digest: replayed nonce and nc', ...UNAUTHORIZED, async () => {
    const answer = await digestAnswer();
    assert.equal((await raw(ORGS, answer)).status, 200);
    return raw(ORGS, answer);
  });
  add('digest: old nonce (stale)', ...UNAUTHORIZED, async () => {
    const res = await raw(ORGS, await digestAnswer({ nonce: mintNonce(nonceKey, Date.now() - 3_600_000) }));
    assert.match(res.headers['www-authenticate'] as string, /stale=true$/);
    return res;
  });
  add('digest: forged nonce', ...UNAUTHORIZED, async () => raw(ORGS, await digestAnswer({ nonce: crypto.randomBytes(24).toString('base64') })));
  add('digest: nonce minted with another key', ...UNAUTHORIZED, async () =>
    raw(ORGS, await digestAnswer({ nonce: mintNonce(crypto.randomBytes(32), Date.now()) })),
  );
  add('digest: missing qop', ...UNAUTHORIZED, async () => raw(ORGS, await digestAnswer({ qop: null })));
  add('digest: qop auth-int', ...UNAUTHORIZED, async () => raw(ORGS, await digestAnswer({ qop: 'auth-int' })));
  add('digest: algorithm SHA-256', ...UNAUTHORIZED, async () => raw(ORGS, await digestAnswer({ algorithm: 'SHA-256' })));
  add('digest: algorithm MD5-sess', ...UNAUTHORIZED, async () => raw(ORGS, await digestAnswer({ algorithm: 'MD5-sess' })));
  add('digest: nc not hex', ...UNAUTHORIZED, async () => raw(ORGS, await digestAnswer({ nc: 'zzzzzzzz' })));
  add('digest: empty response', ...UNAUTHORIZED, async () => raw(ORGS, await digestAnswer({ response: '' })));
  add('digest: quote injection in username', ...UNAUTHORIZED, async () => raw(ORGS, await digestAnswer({ username: `${owner.publicKey}", realm="x` })));
  add('digest: deleted API key', ...UNAUTHORIZED, () => digestCall(atlas, ORGS, deletedKey));
  add('Basic credentials', ...UNAUTHORIZED, () => raw(ORGS, `Basic ${Buffer.from(`${owner.publicKey}:${owner.privateKey}`).toString('base64')}`));
  add('unknown scheme', ...UNAUTHORIZED, () => raw(ORGS, 'Negotiate abc'));

  // OAuth bearer
  add('bearer: expired JWT', ...UNAUTHORIZED, async () => bearer(await jwt(claims({ exp: Math.floor(Date.now() / 1000) - 5 }))));
  add('bearer: tampered payload', ...UNAUTHORIZED, async () => {
    const [h, p, sig] = ownerToken.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    return bearer(`${h}.${Buffer.from(JSON.stringify({ ...payload, exp: payload.exp + 86400 })).toString('base64url')}.${sig}`);
  });
  add('bearer: alg none', ...UNAUTHORIZED, () =>
    bearer(`${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}.`),
  );
  add('bearer: HS512 with the right key', ...UNAUTHORIZED, async () => bearer(await jwt(claims(), signingKey, 'HS512')));
  add('bearer: wrong key', ...UNAUTHORIZED, async () => bearer(await jwt(claims(), crypto.randomBytes(32))));
  add('bearer: another issuer', ...UNAUTHORIZED, async () => bearer(await jwt(claims({ iss: 'https://cloud.mongodb.com' }))));
  add('bearer: no exp', ...UNAUTHORIZED, async () => {
    const { exp: _, ...rest } = claims();
    return bearer(await jwt(rest));
  });
  add('bearer: revoked token', ...UNAUTHORIZED, () => bearer(revokedToken));
  add('bearer: token of a deleted service account', ...UNAUTHORIZED, () => bearer(deletedAccountToken));
  add('bearer: garbage', ...UNAUTHORIZED, () => bearer('a.b.c'));
  add('bearer: subject of another client', ...UNAUTHORIZED, async () => bearer(await jwt(claims({ sub: 'mdb_sa_id_000000000000000000000000' }))));

  // API access lists
  add('IPv4 address not on the list', 403, 'IP_ADDRESS_NOT_ON_ACCESS_LIST', () => digestCall(atlas, ORGS, listedKey, { localAddress: '127.0.0.2' }));
  add('CIDR edge: just outside /31', 403, 'IP_ADDRESS_NOT_ON_ACCESS_LIST', () => digestCall(atlas, ORGS, cidrKey, { localAddress: '127.0.0.2' }));
  add('IPv6 peer on an IPv4-only list', 403, 'IP_ADDRESS_NOT_ON_ACCESS_LIST', () => digestCall(atlasV6, ORGS, v6OnlyV4Key, { localAddress: '::1' }));

  // Cross-org and roles
  add('cross-org: owner of another org creates a token', 401, 'USER_CANNOT_ACCESS_ORG', () => digestCall(atlas, create(), otherOwner, { method: 'POST', json: {} }));
  add('cross-org: a service account of another org deletes the link', 401, 'USER_CANNOT_ACCESS_ORG', () =>
    bearerCall(atlas, create(), otherOwnerToken, { method: 'DELETE' }),
  );
  add('cross-org: an org that does not exist', 401, 'USER_CANNOT_ACCESS_ORG', () => digestCall(atlas, linkTokensPath(newObjectId()), otherOwner, { method: 'POST', json: {} }));
  add('role: ORG_MEMBER creates a token', 401, 'NOT_ORG_OWNER', () => digestCall(atlas, create(), member, { method: 'POST', json: {} }));
  add('role: ORG_READ_ONLY deletes the link', 401, 'NOT_ORG_OWNER', () => digestCall(atlas, create(), readOnly, { method: 'DELETE' }));
  add('role: ORG_MEMBER lists available projects', 401, 'NOT_ORG_OWNER', () =>
    digestCall(atlas, `/api/atlas/v2/orgs/${atlas.bootstrap.orgId}/liveMigrations/availableProjects`, member),
  );

  // The link key beyond its scope
  add('link key creates a token', 401, 'NOT_ORG_OWNER', () => digestCall(atlas, create(), linkKey, { method: 'POST', json: {} }));
  add('link key deletes the link', 401, 'NOT_ORG_OWNER', () => digestCall(atlas, create(), linkKey, { method: 'DELETE' }));
  add('link key reads another org', 401, 'USER_CANNOT_ACCESS_ORG', () => digestCall(atlas, `${ORGS}/${otherOrgId}`, linkKey));
  add("link key pushes another org's inventory", 401, 'USER_CANNOT_ACCESS_ORG', () =>
    digestRequest(`${atlas.url}/api/private/liveMigrations/orgs/${otherOrgId}/inventory`, linkKey, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{"projects":[]}',
    }),
  );
  add('an owner key pushes inventory (link key only)', 403, 'ACCESS_FORBIDDEN', () =>
    digestRequest(`${atlas.url}/api/private/liveMigrations/orgs/${atlas.bootstrap.orgId}/inventory`, owner, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{"projects":[]}',
    }),
  );
  add('an Atlas key on the source API', ...UNAUTHORIZED, () =>
    digestRequest(`${source.url}/api/public/v1.0/orgs/${source.orgId}/liveExport/migrationLink/status`, owner),
  );

  // pushlink's own controls (faults, the clock): never the link key, never a lower role, never another org.
  const ownFaults = () => `/api/private/pushlink/orgs/${atlas.bootstrap.orgId}/faults`;
  const controls = (path: string, credentials: Credentials, method = 'GET', body?: unknown) =>
    digestRequest(atlas.url + path, credentials, {
      method,
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const rule = { route: 'POST /api/atlas/v2/orgs/{orgId}/liveMigrations/linkTokens', status: 500 };
  add('the link key adds a fault rule to its org', 403, 'ACCESS_FORBIDDEN', () => controls(ownFaults(), linkKey, 'POST', rule));
  add('the link key lists its org\'s fault rules', 403, 'ACCESS_FORBIDDEN', () => controls(ownFaults(), linkKey));
  add('the link key clears fault rules', 403, 'ACCESS_FORBIDDEN', () => controls(ownFaults(), linkKey, 'DELETE'));
  add('the link key reads the clock', 403, 'ACCESS_FORBIDDEN', () => controls('/api/private/pushlink/clock', linkKey));
  add('the link key advances the clock', 403, 'ACCESS_FORBIDDEN', () => controls('/api/private/pushlink/clock/advance', linkKey, 'POST', { by: '121h' }));
  add('a member key adds a fault rule', 401, 'NOT_ORG_OWNER', () => controls(ownFaults(), member, 'POST', rule));
  add('a read-only key advances the clock', 401, 'NOT_ORG_OWNER', () => controls('/api/private/pushlink/clock/advance', readOnly, 'POST', { by: '1h' }));
  add('an owner key reaches the global fault rules (the local admin\'s)', 403, 'ACCESS_FORBIDDEN', () => controls('/api/private/pushlink/faults', owner, 'POST', rule));
  add("another org's owner adds a fault rule to the victim org", 401, 'USER_CANNOT_ACCESS_ORG', () => controls(ownFaults(), otherOwner, 'POST', rule));
  add('a made-up admin token', ...UNAUTHORIZED, () => raw('/api/private/pushlink/faults', 'Bearer pladm_guessed-token'));

  // Oversized and malformed input
  add('oversized headers', 431, 'REQUEST_HEADER_FIELDS_TOO_LARGE', () => raw(ORGS, undefined, 'GET', { 'x-padding': 'x'.repeat(20_000) }));
  add('oversized body', 413, 'REQUEST_TOO_LARGE', () =>
    bearerCall(atlas, create(), ownerToken, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"accessListIps":["${'1'.repeat(70_000)}"]}` }),
  );
  add('an authorization header beyond the digest parser bound', ...UNAUTHORIZED, () => raw(ORGS, `Digest username="${'a'.repeat(8000)}"`));
  add('prototype pollution in the body', 400, 'MALFORMED_JSON', () =>
    bearerCall(atlas, create(), ownerToken, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"__proto__":{"admin":true}}' }),
  );
  add('a path-traversal org id', 404, 'INVALID_ORG_ID', () => bearerCall(atlas, linkTokensPath('..%2F..%2Fetc'), ownerToken, { method: 'POST', json: {} }));

  it('has at least 40 cases', () => {
    assert.ok(attacks.length >= 40, String(attacks.length));
  });

  it('refuses every attack exactly', async () => {
    const failures: string[] = [];
    for (const attack of attacks) {
      const res = await attack.run();
      const ok =
        res.status === attack.status &&
        res.headers['x-error-code'] === attack.errorCode &&
        res.headers['content-type'] === 'application/json' &&
        res.json?.errorCode === attack.errorCode &&
        res.json?.error === attack.status;
      if (!ok) failures.push(`${attack.name}: expected ${attack.status} ${attack.errorCode}, got ${res.status} ${String(res.headers['x-error-code'])} ${res.text.slice(0, 200)}`);
      // A refusal is still an answer a browser could be handed: it carries the security headers too.
      if (res.headers['x-content-type-options'] !== 'nosniff' || res.headers['x-frame-options'] !== 'DENY') {
        failures.push(`${attack.name}: without the security headers`);
      }
      if (res.status === 401 && attack.errorCode === 'UNEXPECTED_ERROR' && !/^Bearer/.test(String(res.headers['www-authenticate']))) {
        // Every digest refusal comes with a fresh challenge, so a client can always retry.
        if (!/^Digest realm="MMS Public API", domain="", nonce="/.test(String(res.headers['www-authenticate']))) {
          failures.push(`${attack.name}: 401 without a digest challenge`);
        }
      }
    }
    assert.deepEqual(failures, []);
  });

  it('left the victim org untouched', async () => {
    assert.deepEqual(await atlas.store.links.getLink(atlas.bootstrap.orgId), linkBefore);
    assert.equal((await digestCall(atlas, ORGS, linkKey)).status, 200, 'the link key still works');
    const rules = await digestRequest(`${atlas.url}/api/private/pushlink/orgs/${atlas.bootstrap.orgId}/faults`, owner, { headers: { accept: 'application/json' } });
    assert.equal(rules.json.totalCount, 0, 'no attack added a fault rule');
    assert.equal((await digestCall(atlasV6, ORGS, v6Key)).status, 200, 'the IPv6 listed key works');
  });
});
