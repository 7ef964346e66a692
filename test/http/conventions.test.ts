import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer } from '../helpers/server.js';
import { bearerCall, bootstrapToken, isApiError, linkTokensPath } from '../helpers/atlas.js';
import { request } from '../helpers/http.js';

// Atlas conventions every route shares, exercised over real HTTP: media types and version
// resolution, envelope/pretty, and the ApiError answer to every kind of bad input.

describe('Atlas conventions over HTTP', () => {
  let server: TestServer;
  let token: string;
  let path: string;
  before(async () => {
    server = await startServer({ rateLimit: { enabled: false, capacity: 500, refillAmount: 250, refillPeriodMs: 60_000 } });
    token = await bootstrapToken(server);
    path = linkTokensPath(server.bootstrap.orgId);
  });
  after(() => server.close());

  const post = (body: string | undefined, headers: Record<string, string | undefined> = {}, query = '') =>
    bearerCall(server, path + query, token, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body }),
    });

  describe('versioned media types', () => {
    for (const accept of [
      'application/vnd.atlas.2023-01-01+json',
      'application/vnd.atlas.2024-10-23+json',
      'application/vnd.atlas.2025-03-12+json',
      'application/json;q=0.5, application/vnd.atlas.2024-05-30+json',
    ]) {
      it(`serves Accept: ${accept} as resource version 2023-01-01`, async () => {
        const res = await post('{}', { accept });
        assert.equal(res.status, 201);
        assert.equal(res.headers['content-type'], 'application/vnd.atlas.2023-01-01+json;charset=utf-8');
      });
    }
    for (const accept of [undefined, '*/*', 'application/json', 'application/vnd.atlas.2022-12-31+json', 'application/vnd.atlas.2023-13-01+json', 'application/vnd.atlas.preview+json', 'text/html']) {
      it(`refuses Accept: ${accept} with 406 INVALID_VERSION_DATE`, async () => {
        const res = await request(server.url + path, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept },
          body: '{}',
        });
        assert.ok(isApiError(res, 406, 'INVALID_VERSION_DATE'), res.text);
        assert.equal(res.json.detail, 'Invalid accept header or version date.');
      });
    }
    it('accepts a versioned request body type with any date and a charset', async () => {
      for (const contentType of ['application/vnd.atlas.2023-01-01+json', 'application/vnd.atlas.2024-10-23+json; charset=utf-8', 'application/json; charset=utf-8']) {
        const res = await post('{"accessListIps":[]}', { 'content-type': contentType });
        assert.equal(res.status, 201, contentType);
      }
    });
  });

  describe('bad input gets an Atlas ApiError, never a 500', () => {
    const cases: Array<[string, string | undefined, Record<string, string | undefined>, number, string, unknown[]?]> = [
      ['malformed JSON', '{"accessListIps": [', {}, 400, 'MALFORMED_JSON'],
      ['prototype poisoning', '{"__proto__": {"x": 1}}', {}, 400, 'MALFORMED_JSON'],
      ['an empty JSON body', '', {}, 400, 'INVALID_JSON'],
      ['no body at all', undefined, { 'content-type': undefined }, 400, 'INVALID_JSON'],
      ['a JSON array', '[]', {}, 400, 'INVALID_JSON'],
      ['JSON null', 'null', {}, 400, 'INVALID_JSON'],
      ['a JSON string', '"1.2.3.4"', {}, 400, 'INVALID_JSON'],
      ['accessListIps as a string', '{"accessListIps":"1.2.3.4"}', {}, 400, 'INVALID_JSON_ATTRIBUTE', ['accessListIps']],
      ['accessListIps with a number', '{"accessListIps":[1]}', {}, 400, 'INVALID_JSON_ATTRIBUTE', ['accessListIps']],
      ['accessListIps null', '{"accessListIps":null}', {}, 400, 'INVALID_JSON_ATTRIBUTE', ['accessListIps']],
      ['an unknown field', '{"accessListIps":[],"ttl":3}', {}, 400, 'INVALID_ATTRIBUTE', ['ttl']],
      ['a bad IP', '{"accessListIps":["300.1.1.1"]}', {}, 400, 'INVALID_IP_ADDRESS_OR_CIDR_NOTATION', ['300.1.1.1']],
      ['a bad CIDR', '{"accessListIps":["10.0.0.0/33"]}', {}, 400, 'INVALID_IP_ADDRESS_OR_CIDR_NOTATION', ['10.0.0.0/33']],
      ['a hostname', '{"accessListIps":["localhost"]}', {}, 400, 'INVALID_IP_ADDRESS_OR_CIDR_NOTATION', ['localhost']],
      ['an IPv6 zone id', '{"accessListIps":["fe80::1%eth0"]}', {}, 400, 'INVALID_IP_ADDRESS_OR_CIDR_NOTATION', ['fe80::1%eth0']],
      ['too many entries', JSON.stringify({ accessListIps: Array.from({ length: 201 }, (_, i) => `10.0.0.${i % 250}`) }), {}, 400, 'VALIDATION_ERROR'],
      ['a text/plain body', '{}', { 'content-type': 'text/plain' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['a form body', 'a=b', { 'content-type': 'application/x-www-form-urlencoded' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['a body over the limit', JSON.stringify({ accessListIps: ['1.1.1.1'], pad: 'x'.repeat(70_000) }), {}, 413, 'REQUEST_TOO_LARGE'],
    ];
    for (const [name, body, headers, status, errorCode, parameters] of cases) {
      it(`${name} → ${status} ${errorCode}`, async () => {
        const keysBefore = (await server.store.orgs.listApiKeys(server.bootstrap.orgId)).length;
        const linkBefore = await server.store.links.getLink(server.bootstrap.orgId);
        const res = await post(body, headers);
        assert.ok(isApiError(res, status, errorCode), `${res.status} ${res.text}`);
        if (parameters) assert.deepEqual(res.json.parameters, parameters);
        // Nothing half-written.
        assert.equal((await server.store.orgs.listApiKeys(server.bootstrap.orgId)).length, keysBefore);
        assert.deepEqual(await server.store.links.getLink(server.bootstrap.orgId), linkBefore);
      });
    }

    it('a bad IP error names the field in badRequestDetail', async () => {
      const res = await post('{"accessListIps":["1.2.3.4","bad"]}');
      assert.deepEqual(res.json.badRequestDetail.fields[0].field, 'accessListIps');
      assert.equal(res.json.detail, 'The address bad must be in valid IP address or CIDR notation.');
    });

    for (const [orgId, status, errorCode] of [
      ['xyz', 404, 'INVALID_ORG_ID'],
      ['5F0000000000000000000001', 404, 'INVALID_ORG_ID'],
      ['5f00000000000000000000012', 404, 'INVALID_ORG_ID'],
    ] as const) {
      it(`orgId ${orgId} → ${status} ${errorCode}`, async () => {
        const res = await bearerCall(server, linkTokensPath(orgId), token, { method: 'POST', json: {} });
        assert.ok(isApiError(res, status, errorCode), res.text);
        assert.deepEqual(res.json.parameters, [orgId]);
      });
    }

    for (const query of ['?envelope=yes', '?pretty=1', '?envelope=true&envelope=false']) {
      it(`query ${query} → 400 INVALID_QUERY_PARAMETER`, async () => {
        const res = await post('{}', {}, query);
        assert.ok(isApiError(res, 400, 'INVALID_QUERY_PARAMETER'), res.text);
      });
    }

    // Found by fuzzing: Fastify answered these before routing with its own body.
    it('a path segment too long for the router → 400 INVALID_PATH_PARAMETER', async () => {
      const res = await post('{}', {}, '');
      assert.equal(res.status, 201);
      const long = await bearerCall(server, linkTokensPath('A'.repeat(600)), token, { method: 'POST', json: {} });
      assert.ok(isApiError(long, 400, 'INVALID_PATH_PARAMETER'), long.text);
      const bad = await request(`${server.url}/api/atlas/v2/orgs/%E0%A4%A/liveMigrations/linkTokens`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      assert.ok(isApiError(bad, 400, 'INVALID_PATH_PARAMETER'), bad.text);
    });

    it('an over-long org id the router accepts → 404 INVALID_ORG_ID', async () => {
      const res = await bearerCall(server, linkTokensPath('a'.repeat(300)), token, { method: 'POST', json: {} });
      assert.ok(isApiError(res, 404, 'INVALID_ORG_ID'), res.text);
    });

    it('names the refused content type (or its absence) in a 415', async () => {
      assert.equal((await post('{}', { 'content-type': 'text/csv' })).json.detail, 'Content type "text/csv" is not supported; send application/json or application/vnd.atlas.<date>+json.');
      const none = await post('{}', { 'content-type': '' });
      assert.ok(isApiError(none, 415, 'UNSUPPORTED_MEDIA_TYPE'), none.text);
      assert.deepEqual(none.json.parameters, ['(none)']);
    });

    it('a body of any type to a path that does not exist → 404, not 415', async () => {
      const res = await request(`${server.url}/api/atlas/v2/nowhere`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'a,b' });
      assert.ok(isApiError(res, 404, 'RESOURCE_NOT_FOUND'), res.text);
    });

    it('an empty or malformed JSON body to a path that does not exist → 404, not 400', async () => {
      for (const [method, body] of [['POST', ''], ['DELETE', ''], ['POST', '{"a":']] as const) {
        const res = await request(`${server.url}/api/atlas/v2/nowhere`, { method, headers: { 'content-type': 'application/json' }, body });
        assert.ok(isApiError(res, 404, 'RESOURCE_NOT_FOUND'), `${method} ${JSON.stringify(body)}: ${res.text}`);
      }
    });

    it('a JSON Content-Type on a call without a body (DELETE) is no reason to refuse it', async () => {
      for (const contentType of ['application/json', 'application/vnd.atlas.2023-01-01+json']) {
        assert.equal((await post('{}')).status, 201);
        const res = await bearerCall(server, path, token, { method: 'DELETE', headers: { 'content-type': contentType }, body: '' });
        assert.equal(res.status, 204, `${contentType}: ${res.text}`);
        assert.equal(await server.store.links.getLink(server.bootstrap.orgId), undefined);
      }
    });

    it('an unknown path → 404 RESOURCE_NOT_FOUND', async () => {
      const res = await request(`${server.url}/api/atlas/v2/nothing/here?x=1`);
      assert.ok(isApiError(res, 404, 'RESOURCE_NOT_FOUND'));
      assert.deepEqual(res.json.parameters, ['/api/atlas/v2/nothing/here']);
    });

    it('oversized headers → 431 ApiError, and the server keeps serving', async () => {
      const res = await request(server.url + path, { method: 'POST', headers: { 'x-big': 'x'.repeat(20_000) }, body: '{}' });
      assert.ok(isApiError(res, 431, 'REQUEST_HEADER_FIELDS_TOO_LARGE'), res.text);
      assert.equal((await post('{}')).status, 201);
    });

    it('garbage on the socket → 400 ApiError', async () => {
      const port = new URL(server.url).port;
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(Number(port), '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
        let data = '';
        socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
        socket.on('end', () => resolve(data));
        socket.on('error', reject);
      });
      assert.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n/);
      assert.match(answer, /X-Error-Code: INVALID_REQUEST/);
      assert.equal(JSON.parse(answer.split('\r\n\r\n')[1]!).errorCode, 'INVALID_REQUEST');
    });

    it('renders errors pretty when asked, still as JSON with X-Error-Code', async () => {
      const res = await post('{"nope":1}', {}, '?pretty=true');
      assert.ok(isApiError(res, 400, 'INVALID_ATTRIBUTE'));
      assert.match(res.text, /^\{\n  "badRequestDetail" : \{/);
      assert.match(res.text, /\n  "errorCode" : "INVALID_ATTRIBUTE",\n/);
    });

    it('does not wrap errors in an envelope', async () => {
      const res = await post('{"nope":1}', {}, '?envelope=true');
      assert.ok(isApiError(res, 400, 'INVALID_ATTRIBUTE'));
      assert.equal(res.json.content, undefined);
    });
  });
});
