import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { createOrg } from '../../src/domain/orgs.js';
import { bearerCall, bootstrapKey, bootstrapToken, digestCall, linkTokensPath, newKey } from '../helpers/atlas.js';
import { request } from '../helpers/http.js';
import { metric, scrape, type Sample } from '../helpers/metrics.js';
import { startServer, type TestServer } from '../helpers/server.js';

// /metrics while a scripted scenario runs: each step moves exactly the counters it should.

const LINK_ROUTE = '/api/atlas/v2/orgs/:orgId/liveMigrations/linkTokens';

describe('GET /metrics', () => {
  let server: TestServer;
  let before_: Sample[];
  let now: Sample[];
  const capacity = 6;
  before(async () => {
    server = await startServer({ rateLimit: { enabled: true, capacity, refillAmount: 1, refillPeriodMs: 3_600_000 } });
  });
  after(() => server.close());

  const refresh = async () => {
    now = await scrape(`${server.url}/metrics`);
  };
  const moved = (name: string, labels: Record<string, string> = {}) => metric(now, name, labels) - metric(before_, name, labels);
  const step = async (run: () => Promise<unknown>) => {
    before_ = await scrape(`${server.url}/metrics`);
    await run();
    await refresh();
  };

  it('is Prometheus text with process metrics, no auth needed', async () => {
    const res = await request(`${server.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    await refresh();
    assert.ok(metric(now, 'process_cpu_user_seconds_total') > 0);
    assert.ok(now.some((s) => s.name === 'nodejs_heap_size_used_bytes'));
    assert.ok(now.some((s) => s.name === 'nodejs_eventloop_lag_seconds'));
  });

  it('counts a digest create: issued, the challenge leg as missing_credentials, the request by route/method/status, a commit', async () => {
    await step(async () => {
      const res = await digestCall(server, linkTokensPath(server.bootstrap.orgId), bootstrapKey(server), { method: 'POST', json: {} });
      assert.equal(res.status, 201);
    });
    assert.equal(moved('pushlink_link_tokens_issued_total'), 1);
    assert.equal(moved('pushlink_link_tokens_rotated_total'), 0);
    assert.equal(moved('pushlink_auth_failures_total', { reason: 'missing_credentials' }), 1);
    assert.equal(moved('pushlink_http_request_duration_seconds_count', { route: LINK_ROUTE, method: 'POST', status: '201' }), 1);
    assert.equal(moved('pushlink_http_request_duration_seconds_count', { route: LINK_ROUTE, method: 'POST', status: '401' }), 1);
    assert.ok(moved('pushlink_http_request_duration_seconds_sum', { route: LINK_ROUTE, method: 'POST', status: '201' }) > 0);
    assert.ok(moved('pushlink_store_commit_batch_size_count') >= 1, 'the create committed');
    assert.ok(moved('pushlink_store_commit_batch_size_sum') >= 2, 'nonce use and link write (at least)');
    assert.ok(moved('pushlink_store_commit_duration_seconds_count') >= 1);
  });

  it('counts a bearer create that replaces the link as issued and rotated, then a delete', async () => {
    const token = await bootstrapToken(server);
    await step(async () => {
      const res = await bearerCall(server, linkTokensPath(server.bootstrap.orgId), token, { method: 'POST', json: {} });
      assert.equal(res.status, 201);
    });
    assert.equal(moved('pushlink_link_tokens_issued_total'), 1);
    assert.equal(moved('pushlink_link_tokens_rotated_total'), 1);
    await step(async () => {
      assert.equal((await bearerCall(server, linkTokensPath(server.bootstrap.orgId), token, { method: 'DELETE' })).status, 204);
      assert.equal((await bearerCall(server, linkTokensPath(server.bootstrap.orgId), token, { method: 'DELETE' })).status, 404);
    });
    assert.equal(moved('pushlink_link_tokens_deleted_total'), 1, 'a delete of no link is not counted');
    assert.equal(moved('pushlink_http_request_duration_seconds_count', { route: LINK_ROUTE, method: 'DELETE', status: '204' }), 1);
    assert.equal(moved('pushlink_http_request_duration_seconds_count', { route: LINK_ROUTE, method: 'DELETE', status: '404' }), 1);
  });

  it('counts auth failures by reason: bad digest, bad JWT, access list, role, foreign org, OAuth client', async () => {
    const orgId = server.bootstrap.orgId;
    const path = linkTokensPath(orgId);
    const wrongKey = { ...bootstrapKey(server), privateKey: '00000000-0000-4000-8000-000000000000' };
    const offList = await newKey(server, ['ORG_OWNER'], ['10.9.9.9']);
    const member = await newKey(server, ['ORG_MEMBER']);
    const other = await createOrg(server.store, 'Other');
    const forgedToken = await new SignJWT({ org: orgId })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(server.bootstrap.serviceAccount.clientId)
      .setExpirationTime('1h')
      .sign(crypto.randomBytes(32));
    const cases: Array<[string, () => Promise<unknown>]> = [
      // A wrong private key and a key that does not exist count alike: /metrics answers anyone, and
      // must not tell which public keys exist.
      ['bad_digest', () => digestCall(server, path, wrongKey, { method: 'POST', json: {} })],
      ['bad_digest', () => digestCall(server, path, { ...wrongKey, publicKey: 'zzzzzzzz' }, { method: 'POST', json: {} })],
      // Likewise a garbage token and a well-formed one signed with another key.
      ['bad_jwt', () => bearerCall(server, path, 'not.a.jwt', { method: 'POST', json: {} })],
      ['bad_jwt', () => bearerCall(server, path, forgedToken, { method: 'POST', json: {} })],
      ['ip_not_on_access_list', () => digestCall(server, path, offList, { method: 'POST', json: {} })],
      ['not_org_owner', () => digestCall(server, path, member, { method: 'POST', json: {} })],
      ['org_not_accessible', () => digestCall(server, linkTokensPath(other.id), bootstrapKey(server), { method: 'POST', json: {} })],
      [
        'invalid_client',
        () =>
          request(`${server.url}/api/oauth/token`, {
            method: 'POST',
            headers: {
              authorization: `Basic ${Buffer.from(`${server.bootstrap.serviceAccount.clientId}:wrong`).toString('base64')}`,
              'content-type': 'application/x-www-form-urlencoded',
            },
            body: 'grant_type=client_credentials',
          }),
      ],
    ];
    for (const [reason, run] of cases) {
      await step(run);
      assert.equal(moved('pushlink_auth_failures_total', { reason }), 1, reason);
      assert.equal(moved('pushlink_link_tokens_issued_total'), 0, reason);
    }
    const shownReasons = new Set(now.filter((sample) => sample.name === 'pushlink_auth_failures_total').map((sample) => sample.labels.reason));
    for (const fine of ['unknown_key', 'bad_response', 'revoked_token', 'expired_token', 'bad_signature', 'unknown_service_account']) {
      assert.ok(!shownReasons.has(fine), `${fine} is not a label /metrics shows`);
    }
    assert.equal(moved('pushlink_auth_failures_total', { reason: 'replayed_nonce' }), 0);
  });

  it('counts rate-limit rejections by route', async () => {
    const token = await bootstrapToken(server);
    let refused = 0;
    await step(async () => {
      for (let i = 0; i <= capacity && refused === 0; i++) {
        const res = await bearerCall(server, linkTokensPath(server.bootstrap.orgId), token, { method: 'POST', json: {} });
        if (res.status === 429) refused++;
      }
    });
    assert.equal(refused, 1, 'the bucket ran dry within its capacity');
    assert.equal(moved('pushlink_rate_limit_rejections_total', { route: LINK_ROUTE }), 1);
    assert.equal(moved('pushlink_http_request_duration_seconds_count', { route: LINK_ROUTE, method: 'POST', status: '429' }), 1);
  });

  it('labels requests that match no route as one series', async () => {
    await step(async () => {
      await request(`${server.url}/no/such/path/${Date.now()}`);
      await request(`${server.url}/another/${Date.now()}`);
    });
    assert.equal(moved('pushlink_http_request_duration_seconds_count', { route: 'unmatched', method: 'GET', status: '404' }), 2);
    assert.ok(!now.some((s) => s.labels.route?.startsWith('/no/such')));
  });

  it('keeps each app its own counters when several run in one process', async () => {
    const second = await startServer();
    try {
      before_ = await scrape(`${server.url}/metrics`);
      const res = await digestCall(second, linkTokensPath(second.bootstrap.orgId), bootstrapKey(second), { method: 'POST', json: {} });
      assert.equal(res.status, 201);
      await refresh();
      assert.equal(moved('pushlink_link_tokens_issued_total'), 0, 'the first app did not count the second one\'s create');
      assert.equal(metric(await scrape(`${second.url}/metrics`), 'pushlink_link_tokens_issued_total'), 1);
    } finally {
      await second.close();
    }
  });
});
