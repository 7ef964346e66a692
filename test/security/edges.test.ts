import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildMetricsApp } from '../../src/app.js';
import { DomainError } from '../../src/domain/errors.js';
import { Metrics } from '../../src/observability/metrics.js';
import { bearerCall, bootstrapToken, linkTokensPath, newKey, newServiceAccount } from '../helpers/atlas.js';
import { ATLAS_JSON, request, requestAccessToken, type TestResponse } from '../helpers/http.js';
import { CLI, PROJECT_ROOT, runCli } from '../helpers/process.js';
import { rawRequest, type RawResponse } from '../helpers/rawHttp.js';
import { startServer, tempDir, type TestServer } from '../helpers/server.js';
import { startSourceServer, type TestSourceServer } from '../helpers/source.js';
import { testStoreEnv } from '../helpers/store.js';

// Issue 18, "Close six gaps at the edges": each case with its exact answer (status, errorCode,
// headers). The drain on SIGTERM has its own file (drain.test.ts).

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'x-permitted-cross-domain-policies': 'none',
};

type AnyResponse = TestResponse | RawResponse;

function assertSecurityHeaders(res: AnyResponse, what: string): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) assert.equal(res.headers[name], value, `${what}: ${name}`);
}

function assertApiError(res: AnyResponse, status: number, errorCode: string, what: string): void {
  const text = 'text' in res ? res.text : res.body;
  assert.equal(res.status, status, `${what}: ${text}`);
  assert.equal(res.headers['x-error-code'], errorCode, what);
  assert.equal(res.headers['content-type'], 'application/json', what);
  assert.equal(res.json?.error, status, what);
  assert.equal(res.json?.errorCode, errorCode, what);
  assertSecurityHeaders(res, what);
}

describe('issue 18: the edges', () => {
  let atlas: TestServer;
  let proxied: TestServer;
  let source: TestSourceServer;
  let ownerToken: string;
  let proxiedToken: string;
  const PUBLIC_URL = 'https://atlas.example.com/pushlink';

  before(async () => {
    atlas = await startServer();
    proxied = await startServer({ publicUrl: PUBLIC_URL });
    source = await startSourceServer(atlas.url);
    ownerToken = await bootstrapToken(atlas);
    proxiedToken = await bootstrapToken(proxied);
  });
  after(async () => {
    await source.close();
    await proxied.close();
    await atlas.close();
  });

  const orgsRequest = (server: TestServer, hostLines: string, version = '1.1') =>
    `GET /api/atlas/v2/orgs HTTP/${version}\r\n${hostLines}Accept: ${ATLAS_JSON}\r\n` +
    `Authorization: Bearer ${server === proxied ? proxiedToken : ownerToken}\r\nConnection: close\r\n\r\n`;

  describe('1. IPv4 inside IPv6 access-list entries', () => {
    const REFUSED = ['::ffff:0x7f.0.0.1', '::ffff:127.000.000.001', '::ffff:127.0.0.01', '::ffff:0177.0.0.1', '::ffff:010.0.0.1',
      '::127.0.0.1', '::ffff:127.0.0.01/128', '::ffff:010.0.0.0/104', '::127.0.0.0/104', '10.0.0.0/08', '0x7f.0.0.1', '0177.0.0.1', '127.000.000.001'];

    it('refuses each in a link-token request: 400 INVALID_IP_ADDRESS_OR_CIDR_NOTATION naming the entry, nothing created', async () => {
      const linkBefore = await atlas.store.links.getLink(atlas.bootstrap.orgId);
      for (const entry of REFUSED) {
        const res = await bearerCall(atlas, linkTokensPath(atlas.bootstrap.orgId), ownerToken, { method: 'POST', json: { accessListIps: [entry] } });
        assertApiError(res, 400, 'INVALID_IP_ADDRESS_OR_CIDR_NOTATION', entry);
        assert.deepEqual(res.json.parameters, [entry], entry);
      }
      assert.deepEqual(await atlas.store.links.getLink(atlas.bootstrap.orgId), linkBefore);
    });

    it('refuses each for API keys and service accounts (what apikey/service-account create call)', async () => {
      for (const entry of REFUSED) {
        const refused = (e: unknown) => e instanceof DomainError && e.kind === 'INVALID_ACCESS_LIST_ENTRY' && e.parameters[0] === entry;
        await assert.rejects(newKey(atlas, ['ORG_OWNER'], [entry]), refused, entry);
        await assert.rejects(newServiceAccount(atlas, ['ORG_OWNER'], [entry]), refused, entry);
      }
    });

    it('refuses one on the command line too: apikey create --access-list exits 1 naming it', async () => {
      const dir = tempDir();
      const backend = await testStoreEnv();
      try {
        const org = await runCli(['org', 'create', '--name', 'Edges', '--data-dir', dir, '--json'], backend.env);
        assert.equal(org.code, 0, org.stderr);
        const { id } = JSON.parse(org.stdout) as { id: string };
        const res = await runCli(['apikey', 'create', '--org', id, '--role', 'ORG_OWNER', '--access-list', '::ffff:127.0.0.01', '--data-dir', dir], backend.env);
        assert.equal(res.code, 1);
        assert.equal(res.stderr, 'pushlink: invalid access list entry ::ffff:127.0.0.01\n');
      } finally {
        await backend.dispose();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('2. the Host header and the links built from it', () => {
    for (const host of ['a b', 'x/../../y?z#', '[::1', '0x7f.0.0.1', '127.0.0.01:80', 'h:99999', 'h:', '', '[::ffff:0177.0.0.1]']) {
      it(`refuses Host ${JSON.stringify(host)}: 400 INVALID_HOST_HEADER`, async () => {
        const res = await rawRequest(atlas.url, orgsRequest(atlas, `Host: ${host}\r\n`));
        assertApiError(res, 400, 'INVALID_HOST_HEADER', host);
        assert.deepEqual(res.json.parameters, [JSON.stringify(host)]);
        assert.ok(res.headers['x-request-id'], 'like every error answered through Fastify');
      });
    }

    it('refuses an HTTP/1.1 request without Host (Node used to answer an empty 400) and one with two', async () => {
      const none = await rawRequest(atlas.url, orgsRequest(atlas, ''));
      assertApiError(none, 400, 'INVALID_HOST_HEADER', 'no Host');
      assert.deepEqual(none.json.parameters, ['(none)']);
      assertApiError(await rawRequest(atlas.url, orgsRequest(atlas, 'Host: a\r\nHost: b\r\n')), 400, 'INVALID_HOST_HEADER', 'two Hosts');
      // On the proxied server too: --public-url decides the links, not whether Host is valid.
      assertApiError(await rawRequest(proxied.url, orgsRequest(proxied, 'Host: a b\r\n')), 400, 'INVALID_HOST_HEADER', 'proxied');
    });

    it('builds links from a valid Host, from the listen address for HTTP/1.0 without Host, and from --public-url first', async () => {
      const cases: Array<[TestServer, string, string, string]> = [
        [atlas, 'Host: atlas.internal:8443\r\n', '1.1', 'http://atlas.internal:8443'],
        [atlas, 'Host: [::1]:9\r\n', '1.1', 'http://[::1]:9'],
        [atlas, '', '1.0', atlas.url],
        [proxied, 'Host: anything.example\r\n', '1.1', PUBLIC_URL],
        [proxied, '', '1.0', PUBLIC_URL],
      ];
      for (const [server, hostLines, version, origin] of cases) {
        const res = await rawRequest(server.url, orgsRequest(server, hostLines, version));
        assert.equal(res.status, 200, res.body);
        assertSecurityHeaders(res, origin);
        const orgId = server.bootstrap.orgId;
        assert.deepEqual(res.json.links, [{ href: `${origin}/api/atlas/v2/orgs?pageNum=1&itemsPerPage=100`, rel: 'self' }]);
        assert.deepEqual(res.json.results[0].links, [{ href: `${origin}/api/atlas/v2/orgs/${orgId}`, rel: 'self' }]);
      }
    });
  });

  describe("3. requests Node used to answer itself", () => {
    it('answers unparsable bytes 400 INVALID_REQUEST and an unknown Expect 417 EXPECTATION_FAILED, as ApiErrors', async () => {
      const garbage = await rawRequest(atlas.url, 'BLAH\0\r\n\r\n');
      assertApiError(garbage, 400, 'INVALID_REQUEST', 'garbage');
      assert.equal(garbage.headers.connection, 'close');
      const expect = await rawRequest(atlas.url, `GET /api/atlas/v2/orgs HTTP/1.1\r\nHost: h\r\nExpect: teapot\r\n\r\n`);
      assertApiError(expect, 417, 'EXPECTATION_FAILED', 'Expect');
      assert.equal(expect.headers.connection, 'close');
    });

    it('does the same on a --metrics-port listener, which answers its own 404 as an ApiError', async () => {
      const app: FastifyInstance = await buildMetricsApp(new Metrics());
      await app.listen({ host: '127.0.0.1', port: 0 });
      const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      try {
        const metrics = await request(`${url}/metrics`);
        assert.equal(metrics.status, 200);
        assertSecurityHeaders(metrics, '/metrics');
        assertApiError(await request(`${url}/nope`), 404, 'RESOURCE_NOT_FOUND', 'metrics 404');
        assertApiError(await rawRequest(url, 'GET /metrics HTTP/1.1\r\n\r\n'), 400, 'INVALID_HOST_HEADER', 'metrics without Host');
        assertApiError(await rawRequest(url, 'BLAH\0\r\n\r\n'), 400, 'INVALID_REQUEST', 'metrics garbage');
      } finally {
        await app.close();
      }
    });
  });

  describe('5. headers on every answer', () => {
    it('marks the link-token answer, which carries a private key, Cache-Control: no-store', async () => {
      const res = await bearerCall(atlas, linkTokensPath(atlas.bootstrap.orgId), ownerToken, { method: 'POST', json: {} });
      assert.equal(res.status, 201);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(res.headers.pragma, 'no-cache');
      assertSecurityHeaders(res, 'link-token');
      const token = await requestAccessToken(atlas.url, atlas.bootstrap.serviceAccount);
      assert.equal(token.headers['cache-control'], 'no-store');
      assertSecurityHeaders(token, 'access token');
    });

    it('puts the security headers on errors, 404s, probes, metrics, OAuth refusals and framework errors', async () => {
      const answers: Array<[string, Promise<AnyResponse>]> = [
        ['401 challenge', request(`${atlas.url}/api/atlas/v2/orgs`, { headers: { accept: ATLAS_JSON } })],
        ['404', request(`${atlas.url}/nope`)],
        ['406', bearerCall(atlas, '/api/atlas/v2/orgs', ownerToken, { headers: { accept: 'application/vnd.atlas.1999-01-01+json' } })],
        ['400 bad URL encoding', request(`${atlas.url}/api/atlas/v2/orgs/%E0%A4%A`)],
        ['/healthz', request(`${atlas.url}/healthz`)],
        ['/readyz', request(`${atlas.url}/readyz`)],
        ['/metrics', request(`${atlas.url}/metrics`)],
        ['OAuth 401', requestAccessToken(atlas.url, { clientId: 'mdb_sa_id_x', clientSecret: 'wrong' })],
        ['431', request(`${atlas.url}/api/atlas/v2/orgs`, { headers: { 'x-padding': 'x'.repeat(20_000) } })],
      ];
      for (const [what, answer] of answers) assertSecurityHeaders(await answer, what);
    });
  });

  describe('6. link complete --token -', () => {
    it('reads the link-token from standard input, so it is not in the process list', async () => {
      const created = await bearerCall(atlas, linkTokensPath(atlas.bootstrap.orgId), ownerToken, { method: 'POST', json: {} });
      const linkToken = created.json.linkToken as string;
      const dir = tempDir();
      fs.writeFileSync(path.join(dir, 'bootstrap.json'), JSON.stringify({ orgId: source.orgId, apiKey: source.ownerKey }), { mode: 0o600 });
      try {
        const child = spawn(process.execPath, [CLI, 'link', 'complete', '--token', '-', '--source-url', source.url, '--data-dir', dir, '--json'], {
          cwd: PROJECT_ROOT,
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
        child.stdin.end(`${linkToken}\n`);
        assert.equal(await exited, 0, stderr);
        assert.equal(JSON.parse(stdout).status, 'SYNCED');
        assert.ok(!child.spawnargs.join(' ').includes(linkToken));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
