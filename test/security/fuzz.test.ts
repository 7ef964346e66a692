import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { startServer, type TestServer } from '../helpers/server.js';
import { bearerCall, bootstrapToken, isChallengeBody, linkTokensPath } from '../helpers/atlas.js';
import { ATLAS_JSON, request, type TestResponse } from '../helpers/http.js';

// Property-based fuzzing of the link-token endpoint and /api/oauth/token over real HTTP: whatever a
// client sends — body, content type, Accept, query string, path id, header sizes — the answer is
// never a 5xx, the server never falls over, and every error is well formed (an ApiError with
// X-Error-Code, or on /api/oauth an RFC 6749 error with X-Error-Code).
//
// `npm test` runs a bounded quick pass; `npm run fuzz -- --runs 100000` a long one
// (PUSHLINK_FUZZ_RUNS / PUSHLINK_FUZZ_SECONDS set the budget of each property).

const RUNS = Number(process.env.PUSHLINK_FUZZ_RUNS ?? 100_000);
const SECONDS = Number(process.env.PUSHLINK_FUZZ_SECONDS ?? 25);
const OAUTH_ERRORS = ['invalid_request', 'invalid_client', 'unsupported_grant_type', 'server_error'];

/** Runs a property within its budget; fails with fast-check's report, and says how many runs it made. */
async function check<Ts extends [unknown, ...unknown[]]>(name: string, property: fc.IAsyncPropertyWithHooks<Ts>, seconds: number): Promise<void> {
  const details = await fc.check(property, { numRuns: RUNS, interruptAfterTimeLimit: seconds * 1000, markInterruptAsFailure: false });
  if (details.failed) throw new Error(fc.defaultReportMessage(details) ?? 'property failed');
  process.stdout.write(`# fuzz: ${name}: ${details.numRuns} runs, 0 failures\n`);
  assert.ok(details.numRuns > 0);
}

const excerpt = (res: TestResponse) => `${res.status} ${JSON.stringify(res.headers)} ${res.text.slice(0, 300)}`;

function assertApiError(res: TestResponse): void {
  assert.ok(res.status < 500, `5xx: ${excerpt(res)}`);
  if (res.status < 400) return;
  assert.equal(res.headers['content-type'], 'application/json', excerpt(res));
  assert.equal(typeof res.headers['x-error-code'], 'string');
  const body = res.json;
  assert.ok(body && typeof body === 'object', `not JSON: ${excerpt(res)}`);
  assert.equal(body.error, res.status);
  assert.equal(body.errorCode, res.headers['x-error-code']);
  assert.equal(typeof body.detail, 'string');
  assert.equal(typeof body.reason, 'string');
  if (isChallengeBody(res)) assert.ok(!('parameters' in body));
  else assert.ok(body.parameters === null || Array.isArray(body.parameters), excerpt(res));
}

const printable = (maxLength: number) => fc.string({ unit: fc.constantFrom(...' !#$%&()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~'.split('')), maxLength });
const contentType = fc.oneof(
  fc.constantFrom('application/json', 'application/vnd.atlas.2023-01-01+json', 'application/vnd.atlas.2024-10-23+json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x', 'application/json; charset=latin1'),
  printable(60),
);
const accept = fc.oneof(
  fc.constantFrom('application/vnd.atlas.2023-01-01+json', 'application/vnd.atlas.2024-10-23+json', 'application/vnd.atlas.1999-01-01+json', 'application/vnd.atlas.2023-02-30+json', '*/*', 'application/json', ''),
  printable(80),
);
const ipish = fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4Extended(), fc.tuple(fc.ipV4(), fc.integer({ min: -5, max: 40 })).map(([ip, n]) => `${ip}/${n}`), printable(30));
const body = fc.oneof(
  fc.record({ accessListIps: fc.array(ipish, { maxLength: 8 }) }).map((b) => JSON.stringify(b)),
  fc.record({ accessListIps: fc.anything() }).map((b) => JSON.stringify(b) ?? '{}'),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.dictionary(printable(12), fc.jsonValue(), { maxKeys: 4 }).map((v) => JSON.stringify(v)),
  printable(200),
  fc.constant(''),
  fc.integer({ min: 60_000, max: 80_000 }).map((n) => `{"accessListIps":["${'9'.repeat(n)}"]}`),
);
const query = fc.dictionary(fc.constantFrom('envelope', 'pretty', 'itemsPerPage', 'pageNum', 'x', '__proto__'), printable(10), { maxKeys: 3 }).map(
  (q) => (Object.keys(q).length ? '?' + new URLSearchParams(q).toString() : ''),
);

describe('fuzzing', () => {
  let server: TestServer;
  let token: string;
  before(async () => {
    server = await startServer({ rateLimit: { enabled: false, capacity: 500, refillAmount: 250, refillPeriodMs: 60_000 } });
    token = await bootstrapToken(server);
  });
  after(() => server.close());

  it('the link-token endpoint answers every request with a success or a well-formed ApiError', async () => {
    const orgId = fc.oneof(
      fc.constant(server.bootstrap.orgId),
      fc.stringMatching(/^[a-f0-9]{24}$/),
      printable(40).map((s) => encodeURIComponent(s)),
      fc.constantFrom('%00', '..%2F..', '%E2%82%AC', 'A'.repeat(200)),
    );
    await check(
      'link-token endpoint',
      fc.asyncProperty(
        fc.constantFrom('POST', 'DELETE', 'GET', 'PUT', 'PATCH'),
        orgId,
        query,
        accept,
        contentType,
        body,
        fc.constantFrom('bearer', 'garbage', 'none', 'digest-garbage'),
        fc.nat({ max: 20_000 }),
        async (method, org, q, acceptHeader, type, payload, auth, padding) => {
          const authorization = { bearer: `Bearer ${token}`, garbage: 'Bearer x.y.z', none: undefined, 'digest-garbage': 'Digest username="a", nonce=' }[auth];
          const res = await request(`${server.url}${linkTokensPath(org)}${q}`, {
            method,
            headers: { authorization, accept: acceptHeader, 'content-type': type, ...(padding > 0 ? { 'x-padding': 'p'.repeat(padding) } : {}) },
            body: payload,
          });
          assertApiError(res);
          if (res.status < 300 && res.status !== 204) assert.match(String(res.headers['content-type']), /^application\/vnd\.atlas\.2023-01-01\+json/);
        },
      ),
      SECONDS,
    );
    // Still serving normally afterwards.
    assert.equal((await bearerCall(server, '/api/atlas/v2/orgs', token)).status, 200);
  });

  it('/api/oauth/token answers every request with a token or a well-formed OAuth error', async () => {
    const sa = server.bootstrap.serviceAccount;
    const basic = fc.oneof(
      fc.constant(`${sa.clientId}:${sa.clientSecret}`),
      fc.tuple(printable(40), printable(60)).map(([a, b]) => `${a}:${b}`),
      printable(60),
      fc.constant(`${sa.clientId}:${encodeURIComponent(sa.clientSecret)}%`),
    );
    const form = fc.oneof(
      fc.constant('grant_type=client_credentials'),
      fc.dictionary(fc.constantFrom('grant_type', 'client_id', 'client_secret', 'scope', 'x'), printable(40), { maxKeys: 4 }).map((d) => new URLSearchParams(d).toString()),
      printable(200),
      fc.jsonValue().map((v) => JSON.stringify(v)),
    );
    await check(
      '/api/oauth/token and /revoke',
      fc.asyncProperty(
        fc.constantFrom('POST', 'GET', 'PUT'),
        fc.constantFrom('/api/oauth/token', '/api/oauth/revoke'),
        fc.option(basic, { nil: undefined }),
        fc.boolean(),
        form,
        contentType,
        async (method, path, credentials, encode, payload, type) => {
          const authorization = credentials === undefined ? undefined : `Basic ${encode ? Buffer.from(credentials).toString('base64') : credentials}`;
          const res = await request(server.url + path, { method, headers: { authorization, 'content-type': type, accept: 'application/json' }, body: payload });
          assert.ok(res.status < 500, `5xx: ${excerpt(res)}`);
          // Not an OAuth operation (another method): the answer is the server's ApiError.
          if (method !== 'POST') return assertApiError(res);
          if (res.status >= 400) {
            assert.equal(res.headers['content-type'], 'application/json', excerpt(res));
            assert.ok(OAUTH_ERRORS.includes(res.json?.error), excerpt(res));
            assert.equal(typeof res.json.error_description, 'string');
            assert.equal(res.headers['x-error-code'], res.json.error.toUpperCase());
          } else if (path === '/api/oauth/token') {
            assert.equal(res.json.token_type, 'Bearer');
            assert.equal(typeof res.json.access_token, 'string');
          }
        },
      ),
      SECONDS / 2,
    );
    assert.equal((await request(`${server.url}/api/atlas/v2/orgs`, { headers: { accept: ATLAS_JSON, authorization: `Bearer ${token}` } })).status, 200);
  });
});
