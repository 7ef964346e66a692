import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import type { BootstrapCredentials } from '../../src/domain/bootstrap.js';
import { ATLAS_JSON, digestRequest, request, type TestRequest } from '../helpers/http.js';
import { metric, scrape } from '../helpers/metrics.js';
import { readBootstrap, startProcess, type ServerProcess } from '../helpers/process.js';
import { tempDir } from '../helpers/server.js';

// The real binary's request logs and metrics listener: a full scenario at trace level leaves no
// secret in the output and the request id on every line written while a request was handled.

const JSON_HEADERS = { accept: ATLAS_JSON, 'content-type': 'application/json' };
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

/** Every secret the scenario handled, and every request id it sent with what it expects logged. */
interface Scenario {
  secrets: string[];
  requests: Array<{ id: string; route: string; status: number; principal?: string }>;
}

async function runScenario(server: ServerProcess, boot: Required<BootstrapCredentials>): Promise<Scenario> {
  const requests: Scenario['requests'] = [];
  const linkPath = `/api/atlas/v2/orgs/${boot.orgId}/liveMigrations/linkTokens`;
  const linkRoute = '/api/atlas/v2/orgs/:orgId/liveMigrations/linkTokens';
  const send = async (id: string, url: string, options: TestRequest, expect: { route: string; status: number; principal?: string }) => {
    const res = await request(server.url + url, { ...options, headers: { ...options.headers, 'x-request-id': id } });
    assert.equal(res.status, expect.status, `${id}: ${res.text}`);
    assert.equal(res.headers['x-request-id'], id, 'the request id is echoed');
    requests.push({ id, ...expect });
    return res;
  };
  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

  // Digest, both legs under one id (as a client retrying one logical call would).
  const created = await digestRequest(server.url + linkPath, boot.apiKey, {
    method: 'POST',
    headers: { ...JSON_HEADERS, 'x-request-id': 'digest-create' },
    body: '{"accessListIps":["127.0.0.1"]}',
  });
  assert.equal(created.status, 201);
  requests.push({ id: 'digest-create', route: linkRoute, status: 201, principal: boot.apiKey.publicKey });
  const linkToken = created.json.linkToken as string;
  const link = JSON.parse(Buffer.from(linkToken, 'base64').toString()) as { privateApiKey: string; publicApiKey: string };

  const token = await send(
    'oauth-token',
    '/api/oauth/token',
    {
      method: 'POST',
      headers: { authorization: basic(boot.serviceAccount.clientId, boot.serviceAccount.clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    },
    { route: '/api/oauth/token', status: 200, principal: boot.serviceAccount.clientId },
  );
  const accessToken = token.json.access_token as string;
  const bearer = { authorization: `Bearer ${accessToken}` };
  const rotated = await send('bearer-create', linkPath, { method: 'POST', headers: { ...JSON_HEADERS, ...bearer }, body: '{}' }, {
    route: linkRoute,
    status: 201,
    principal: boot.serviceAccount.clientId,
  });
  const secondLink = JSON.parse(Buffer.from(rotated.json.linkToken, 'base64').toString()) as { privateApiKey: string };
  await send('bearer-orgs', '/api/atlas/v2/orgs', { headers: { accept: ATLAS_JSON, ...bearer } }, { route: '/api/atlas/v2/orgs', status: 200, principal: boot.serviceAccount.clientId });
  await send('bad-bearer', '/api/atlas/v2/orgs', { headers: { accept: ATLAS_JSON, authorization: 'Bearer not-a-jwt-at-all' } }, { route: '/api/atlas/v2/orgs', status: 401 });
  await send('bad-client', '/api/oauth/token', {
    method: 'POST',
    headers: { authorization: basic(boot.serviceAccount.clientId, 'mdb_sa_sk_wrong-secret-value'), 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  }, { route: '/api/oauth/token', status: 401 });
  await send('form-secret', '/api/oauth/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `grant_type=client_credentials&client_id=${boot.serviceAccount.clientId}&client_secret=${boot.serviceAccount.clientSecret}`,
  }, { route: '/api/oauth/token', status: 200, principal: boot.serviceAccount.clientId });
  await send('bad-json', linkPath, { method: 'POST', headers: { ...JSON_HEADERS, ...bearer }, body: `{"linkToken":"${linkToken}"` }, {
    route: linkRoute,
    status: 400,
    principal: boot.serviceAccount.clientId, // authenticated before the body was read
  });
  await send('delete', linkPath, { method: 'DELETE', headers: { accept: ATLAS_JSON, ...bearer } }, { route: linkRoute, status: 204, principal: boot.serviceAccount.clientId });
  await send('probe', '/readyz', {}, { route: '/readyz', status: 200 });
  await send('missing', '/nowhere', {}, { route: undefined as unknown as string, status: 404 });

  // An unsafe incoming id is replaced, not echoed.
  const unsafe = await request(`${server.url}/healthz`, { headers: { 'x-request-id': 'has spaces and "quotes"' } });
  assert.match(String(unsafe.headers['x-request-id']), /^[0-9a-f-]{36}$/);

  return {
    secrets: [
      boot.apiKey.privateKey,
      boot.serviceAccount.clientSecret,
      'mdb_sa_sk_wrong-secret-value',
      accessToken,
      linkToken,
      rotated.json.linkToken,
      link.privateApiKey,
      secondLink.privateApiKey,
      basic(boot.serviceAccount.clientId, boot.serviceAccount.clientSecret).slice(6),
    ],
    requests,
  };
}

function jsonLines(output: string): Array<Record<string, unknown>> {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** How many JSON lines the server wrote up to and including Fastify's "Server listening" line. */
async function linesUntilListening(server: ServerProcess): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const index = jsonLines(server.output()).findIndex((line) => String(line.msg).startsWith('Server listening'));
    if (index >= 0) return index + 1;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no "Server listening" line:\n${server.output()}`);
}

describe('request logs (real process)', () => {
  it('at trace level: no secret anywhere, one request line each, and the request id on every line of a request', async () => {
    const dir = tempDir();
    const server = await startProcess(['serve', '--port', '0', '--data-dir', dir, '--log-level', 'trace', '--log-format', 'json']);
    try {
      const boot = readBootstrap(dir);
      const listeningAt = await linesUntilListening(server);
      const scenario = await runScenario(server, boot);
      await settle();
      const output = server.output();
      for (const secret of scenario.secrets) assert.ok(!output.includes(secret), `a secret reached the log: ${secret.slice(0, 6)}…`);
      assert.doesNotMatch(output, /Digest username=/, 'no Authorization header');

      // Every line written while the scenario ran belongs to a request and names it.
      const during = jsonLines(output).slice(listeningAt);
      assert.ok(during.length >= scenario.requests.length);
      for (const line of during) assert.ok(typeof line.reqId === 'string' && line.reqId.length > 0, `line without reqId: ${JSON.stringify(line)}`);
      // Below info there is more than the request lines, and those lines carry the id too.
      const refusals = during.filter((line) => line.msg === 'authentication refused');
      assert.ok(refusals.some((line) => line.reqId === 'bad-bearer' && line.refusal === 'malformed_token'));
      assert.ok(refusals.some((line) => line.reqId === 'digest-create' && line.refusal === 'missing_credentials'));

      for (const expected of scenario.requests) {
        const lines = during.filter((line) => line.reqId === expected.id && line.msg === 'request');
        assert.ok(lines.length >= 1, `a request line for ${expected.id}`);
        const last = lines[lines.length - 1]!;
        assert.equal(last.status, expected.status, expected.id);
        assert.equal(last.route, expected.route, expected.id);
        assert.equal(last.principal, expected.principal, expected.id);
        assert.equal(last.remote, '127.0.0.1');
        assert.equal(typeof last.ms, 'number');
        assert.equal(typeof last.method, 'string');
      }
    } finally {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints readable lines with --log-format pretty, still without secrets', async () => {
    const dir = tempDir();
    const server = await startProcess(['serve', '--port', '0', '--data-dir', dir, '--log-level', 'debug', '--log-format', 'pretty']);
    try {
      const boot = readBootstrap(dir);
      const scenario = await runScenario(server, boot);
      await settle();
      const output = server.output();
      assert.equal(jsonLines(output).length, 0, 'no JSON lines');
      assert.match(output, /INFO.*request/);
      assert.match(output, /reqId: "bearer-create"/);
      for (const secret of scenario.secrets) assert.ok(!output.includes(secret), 'a secret reached the pretty log');
    } finally {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes no request lines above info, but still echoes request ids', async () => {
    const dir = tempDir();
    const server = await startProcess(['serve', '--port', '0', '--data-dir', dir, '--log-level', 'warn']);
    try {
      const res = await request(`${server.url}/healthz`, { headers: { 'x-request-id': 'quiet-1' } });
      assert.equal(res.headers['x-request-id'], 'quiet-1');
      await settle();
      assert.doesNotMatch(server.output(), /quiet-1/);
    } finally {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('--metrics-port (real process)', () => {
  it('serves /metrics on its own listener only, and counts what the API port serves', async () => {
    const dir = tempDir();
    const server = await startProcess(['serve', '--port', '0', '--metrics-port', '0', '--data-dir', dir, '--log-level', 'warn']);
    try {
      const metricsUrl = /pushlink metrics on (\S+)/.exec(server.output())?.[1];
      assert.ok(metricsUrl, server.output());
      assert.match(metricsUrl, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      assert.notEqual(new URL(metricsUrl).port, new URL(server.url).port);
      const onApiPort = await request(`${server.url}/metrics`);
      assert.equal(onApiPort.status, 404);

      const boot = readBootstrap(dir);
      const created = await digestRequest(`${server.url}/api/atlas/v2/orgs/${boot.orgId}/liveMigrations/linkTokens`, boot.apiKey, {
        method: 'POST',
        headers: JSON_HEADERS,
        body: '{}',
      });
      assert.equal(created.status, 201);
      const samples = await scrape(metricsUrl);
      assert.equal(metric(samples, 'pushlink_link_tokens_issued_total'), 1);
      assert.equal(metric(samples, 'pushlink_http_request_duration_seconds_count', { route: 'unmatched', status: '404' }), 1, 'the /metrics miss on the API port');
      assert.ok(metric(samples, 'pushlink_store_commit_batch_size_count') >= 1);
      assert.ok(metric(samples, 'process_resident_memory_bytes') > 0);
    } finally {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
