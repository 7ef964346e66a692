import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer } from '../helpers/server.js';
import { bearerCall, bootstrapToken, isApiError, linkTokensPath } from '../helpers/atlas.js';
import { createOrg } from '../../src/domain/orgs.js';
import { createServiceAccount } from '../../src/domain/serviceAccounts.js';
import { accessToken } from '../helpers/atlas.js';

describe('rate limits', () => {
  describe('Atlas defaults', () => {
    let server: TestServer;
    let token: string;
    before(async () => {
      server = await startServer();
      token = await bootstrapToken(server);
    });
    after(() => server.close());

    it('announces capacity 500 and counts down on link-token operations', async () => {
      const path = linkTokensPath(server.bootstrap.orgId);
      const first = await bearerCall(server, path, token, { method: 'POST', json: {} });
      assert.equal(first.headers['ratelimit-limit'], '500');
      assert.equal(first.headers['ratelimit-remaining'], '499');
      const second = await bearerCall(server, path, token, { method: 'DELETE' });
      assert.equal(second.headers['ratelimit-remaining'], '498');
      const notFound = await bearerCall(server, path, token, { method: 'DELETE' });
      assert.equal(notFound.status, 404);
      assert.equal(notFound.headers['ratelimit-remaining'], '497', 'errors after the check count too');
    });
  });

  describe('a small bucket', () => {
    let server: TestServer;
    let token: string;
    before(async () => {
      server = await startServer({ rateLimit: { enabled: true, capacity: 5, refillAmount: 2, refillPeriodMs: 60_000 } });
      token = await bootstrapToken(server);
    });
    after(() => server.close());

    it('refuses the request after capacity with 429 RATE_LIMITED_TOKEN_BUCKET and Retry-After', async () => {
      const path = linkTokensPath(server.bootstrap.orgId);
      const results = [];
      for (let i = 0; i < 6; i++) results.push(await bearerCall(server, path, token, { method: 'POST', json: {} }));
      assert.deepEqual(results.map((r) => r.status), [201, 201, 201, 201, 201, 429]);
      const limited = results[5]!;
      assert.ok(isApiError(limited, 429, 'RATE_LIMITED_TOKEN_BUCKET'), limited.text);
      const retryAfter = Number(limited.headers['retry-after']);
      assert.ok(retryAfter >= 1 && retryAfter <= 60, String(retryAfter));
      assert.equal(limited.headers['ratelimit-limit'], '5');
      assert.equal(limited.headers['ratelimit-remaining'], '0');
      assert.equal(
        limited.json.detail,
        `Rate limit exceeded for api/atlas/v2/orgs/${server.bootstrap.orgId}/liveMigrations. Please retry after ${retryAfter} seconds. Request capacity: 5. Refill rate: 2 per 60 seconds.`,
      );
      assert.deepEqual(limited.json.parameters, [`api/atlas/v2/orgs/${server.bootstrap.orgId}/liveMigrations`, retryAfter, 5, 2, 60]);
    });

    it('keeps one bucket per org and leaves other endpoints alone', async () => {
      const org = await createOrg(server.store, 'Second');
      const sa = await createServiceAccount(server.store, { orgId: org.id, roles: ['ORG_OWNER'], accessList: [] });
      const other = await accessToken(server, sa.record.clientId, sa.clientSecret);
      assert.equal((await bearerCall(server, linkTokensPath(org.id), other, { method: 'POST', json: {} })).status, 201);
      const orgs = await bearerCall(server, '/api/atlas/v2/orgs', token);
      assert.equal(orgs.status, 200);
      assert.equal(orgs.headers['ratelimit-limit'], undefined);
    });

    it('does not spend the bucket on unauthenticated or cross-org calls', async () => {
      const org = await createOrg(server.store, 'Third');
      const sa = await createServiceAccount(server.store, { orgId: org.id, roles: ['ORG_OWNER'], accessList: [] });
      const owner = await accessToken(server, sa.record.clientId, sa.clientSecret);
      for (let i = 0; i < 10; i++) {
        const res = await bearerCall(server, linkTokensPath(org.id), token, { method: 'POST', json: {} });
        assert.equal(res.status, 401);
      }
      const res = await bearerCall(server, linkTokensPath(org.id), owner, { method: 'POST', json: {} });
      assert.equal(res.headers['ratelimit-remaining'], '4');
    });
  });

  describe('switched off', () => {
    it('sends no rate-limit headers and never refuses', async () => {
      const server = await startServer({ rateLimit: { enabled: false, capacity: 1, refillAmount: 1, refillPeriodMs: 60_000 } });
      try {
        const token = await bootstrapToken(server);
        for (let i = 0; i < 3; i++) {
          const res = await bearerCall(server, linkTokensPath(server.bootstrap.orgId), token, { method: 'POST', json: {} });
          assert.equal(res.status, 201);
          assert.equal(res.headers['ratelimit-limit'], undefined);
        }
      } finally {
        await server.close();
      }
    });
  });
});
