import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ControllableClock } from '../../src/domain/clock.js';
import { createOrg } from '../../src/domain/orgs.js';
import { parseFaultFile } from '../../src/domain/faults.js';
import { bearerCall, bootstrapKey, bootstrapToken, digestCall, isApiError, linkTokensPath, newKey, newServiceAccount, accessToken } from '../helpers/atlas.js';
import { request } from '../helpers/http.js';
import { startServer, type TestServer } from '../helpers/server.js';

// pushlink's own controls (routes/admin.ts): fault rules from a file and at run time, the
// controllable clock, and who may reach them.

const ADMIN_TOKEN = 'pladm_test-admin-token-0123456789abcdefghijklmnopqrstuv';
const admin = (server: TestServer, path: string, options: { method?: string; json?: unknown; token?: string } = {}) =>
  request(server.url + path, {
    method: options.method ?? 'GET',
    headers: {
      accept: 'application/json',
      authorization: `Bearer ${options.token ?? ADMIN_TOKEN}`,
      ...(options.json !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(options.json !== undefined ? { body: JSON.stringify(options.json) } : {}),
  });
let counter = 0;
const ids = () => `${(++counter).toString(16).padStart(24, '0')}`;

describe('fault injection', () => {
  let server: TestServer;
  before(async () => {
    const faults = parseFaultFile(
      { faults: [{ route: 'POST /api/atlas/v2/orgs/{orgId}/liveMigrations/linkTokens', after: 2, times: 1, status: 429, errorCode: 'RATE_LIMITED', retryAfter: 1 }] },
      ids,
    );
    server = await startServer({ faults }, { adminToken: ADMIN_TOKEN });
  });
  after(() => server.close());

  it('makes the third link-token create answer 429 with Retry-After, and the fourth succeed', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await digestCall(server, linkTokensPath(server.bootstrap.orgId), bootstrapKey(server), { method: 'POST', json: {} });
      statuses.push(res.status);
      if (i === 2) {
        assert.ok(isApiError(res, 429, 'RATE_LIMITED'), res.text);
        assert.equal(res.headers['retry-after'], '1');
        assert.match(res.json.detail, /retry after 1 seconds/);
        assert.doesNotMatch(res.text, /inject|fault|pushlink/i, 'an injected answer looks like Atlas');
      }
    }
    assert.deepEqual(statuses, [201, 201, 429, 201]);
    const metrics = await request(`${server.url}/metrics`);
    assert.match(metrics.text, /pushlink_injected_faults_total\{target="atlas",route="\/api\/atlas\/v2\/orgs\/:orgId\/liveMigrations\/linkTokens",kind="error"\} 1/);
  });

  it('adds, lists and clears rules at run time, and a latency rule slows the answer', async () => {
    const added = await admin(server, '/api/private/pushlink/faults', { method: 'POST', json: { route: 'GET /api/atlas/v2/orgs/{orgId}', latencyMs: 300 } });
    assert.equal(added.status, 201, added.text);
    const started = Date.now();
    const res = await digestCall(server, `/api/atlas/v2/orgs/${server.bootstrap.orgId}`, bootstrapKey(server));
    assert.equal(res.status, 200);
    assert.ok(Date.now() - started >= 290, 'the answer came at least 300 ms later');
    const listed = await admin(server, '/api/private/pushlink/faults');
    assert.deepEqual(listed.json.results.map((r: { route: string; matched: number; faulted: number }) => [r.route, r.matched, r.faulted]), [
      ['POST /api/atlas/v2/orgs/{orgId}/liveMigrations/linkTokens', 4, 1],
      ['GET /api/atlas/v2/orgs/{orgId}', 1, 1],
    ]);
    assert.deepEqual((await admin(server, `/api/private/pushlink/faults/${added.json.id}`, { method: 'DELETE' })).json, { removed: 1 });
    assert.ok(isApiError(await admin(server, `/api/private/pushlink/faults/${added.json.id}`, { method: 'DELETE' }), 404, 'RESOURCE_NOT_FOUND'));
  });

  it('refuses a rule it cannot run, naming the field', async () => {
    const res = await admin(server, '/api/private/pushlink/faults', { method: 'POST', json: { route: 'GET /x', status: 429, retryAfter: -1 } });
    assert.ok(isApiError(res, 400, 'INVALID_FAULT_RULE'), res.text);
    assert.equal(res.json.badRequestDetail.fields[0].field, 'fault.retryAfter');
  });

  it('a probabilistic rule with a seed gives the same sequence twice', async () => {
    const run = async () => {
      await admin(server, '/api/private/pushlink/faults', { method: 'DELETE' });
      const rule = { route: 'GET /api/atlas/v2/orgs/{orgId}', probability: 0.5, seed: 42, status: 503 };
      assert.equal((await admin(server, '/api/private/pushlink/faults', { method: 'POST', json: rule })).status, 201);
      const token = await bootstrapToken(server);
      let sequence = '';
      for (let i = 0; i < 16; i++) sequence += (await bearerCall(server, `/api/atlas/v2/orgs/${server.bootstrap.orgId}`, token)).status === 503 ? 'x' : '.';
      return sequence;
    };
    const first = await run();
    assert.match(first, /x/);
    assert.match(first, /\./);
    assert.equal(await run(), first);
    await admin(server, '/api/private/pushlink/faults', { method: 'DELETE' });
  });

  it("lets an org owner manage their own org's rules, and nobody else reach the controls", async () => {
    const orgId = server.bootstrap.orgId;
    const owner = bootstrapKey(server);
    const added = await digestCall(server, `/api/private/pushlink/orgs/${orgId}/faults`, owner, {
      method: 'POST',
      json: { route: 'GET /api/atlas/v2/groups', status: 500 },
      headers: { accept: 'application/json', 'content-type': 'application/json' },
    });
    assert.equal(added.status, 201, added.text);
    assert.equal(added.json.orgId, orgId);
    const listed = await digestCall(server, `/api/private/pushlink/orgs/${orgId}/faults`, owner, { headers: { accept: 'application/json' } });
    assert.equal(listed.json.totalCount, 1);
    // The path names no org: the caller's org decides whose calls the rule hits.
    assert.ok(isApiError(await digestCall(server, '/api/atlas/v2/groups', owner), 500, 'UNEXPECTED_ERROR'));
    const otherOrgOwner = await newKey(server, ['ORG_OWNER'], [], (await createOrg(server.store, 'Elsewhere')).id);
    assert.equal((await digestCall(server, '/api/atlas/v2/groups', otherOrgOwner)).status, 200);
    // Global controls are the local admin's.
    assert.ok(isApiError(await digestCall(server, '/api/private/pushlink/faults', owner, { headers: { accept: 'application/json' } }), 403, 'ACCESS_FORBIDDEN'));

    const member = await newKey(server, ['ORG_MEMBER']);
    assert.ok(isApiError(await digestCall(server, `/api/private/pushlink/orgs/${orgId}/faults`, member, { headers: { accept: 'application/json' } }), 401, 'NOT_ORG_OWNER'));
    const memberAccount = await newServiceAccount(server, ['ORG_READ_ONLY']);
    const memberToken = await accessToken(server, memberAccount.clientId, memberAccount.clientSecret);
    assert.ok(isApiError(await bearerCall(server, '/api/private/pushlink/clock', memberToken, { headers: { accept: 'application/json' } }), 401, 'NOT_ORG_OWNER'));
    const otherOrg = '5f00000000000000000000ff';
    assert.ok(isApiError(await digestCall(server, `/api/private/pushlink/orgs/${otherOrg}/faults`, owner, { headers: { accept: 'application/json' } }), 401, 'USER_CANNOT_ACCESS_ORG'));
    const wrongToken = await admin(server, '/api/private/pushlink/faults', { token: 'pladm_not-the-token' });
    assert.equal(wrongToken.status, 401);
    const none = await request(`${server.url}/api/private/pushlink/faults`, { headers: { accept: 'application/json' } });
    assert.equal(none.status, 401);
    assert.match(String(none.headers['www-authenticate']), /^Digest /);
    await admin(server, '/api/private/pushlink/faults', { method: 'DELETE' });
  });
});

describe('the controllable clock', () => {
  it('is off by default: the clock endpoint says so and refuses to move', async () => {
    const server = await startServer({}, { adminToken: ADMIN_TOKEN });
    try {
      assert.equal((await admin(server, '/api/private/pushlink/clock')).json.controllable, false);
      assert.ok(isApiError(await admin(server, '/api/private/pushlink/clock/advance', { method: 'POST', json: { by: '1h' } }), 409, 'CLOCK_NOT_CONTROLLABLE'));
    } finally {
      await server.close();
    }
  });

  it('advanced, expires an access token', async () => {
    const server = await startServer({ accessTokenTtlSeconds: 3600 }, { adminToken: ADMIN_TOKEN, clock: new ControllableClock() });
    try {
      const token = await bootstrapToken(server);
      const orgPath = `/api/atlas/v2/orgs/${server.bootstrap.orgId}`;
      assert.equal((await bearerCall(server, orgPath, token)).status, 200);
      const moved = await admin(server, '/api/private/pushlink/clock/advance', { method: 'POST', json: { by: '61m' } });
      assert.equal(moved.status, 200, moved.text);
      assert.ok(moved.json.offsetMs >= 61 * 60_000 - 1000, `about 61 min ahead, got ${moved.json.offsetMs} ms`);
      const expired = await bearerCall(server, orgPath, token);
      assert.equal(expired.status, 401);
      assert.match(String(expired.headers['www-authenticate']), /The access token expired/);
      assert.ok(isApiError(await admin(server, '/api/private/pushlink/clock/advance', { method: 'POST', json: { by: 'soon' } }), 400, 'INVALID_JSON_ATTRIBUTE'));
    } finally {
      await server.close();
    }
  });

  it('runs faster with a rate', () => {
    let wall = 1_000_000;
    const clock = new ControllableClock(3600, () => wall);
    wall += 2000;
    assert.equal(clock.now().getTime() - 1_000_000, 2 * 3600 * 1000);
    clock.advance(1000);
    assert.equal(clock.state().offsetMs, 2 * 3600 * 1000 - 2000 + 1000);
    assert.throws(() => clock.advance(-1), /only moves forward/);
  });
});
