import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { loggerOptions, REDACTED_PATHS, requestIdFor } from '../../src/observability/logging.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const withHeader = (value: string | string[] | undefined) => ({ headers: { 'x-request-id': value } }) as unknown as IncomingMessage;

describe('requestIdFor', () => {
  it('keeps a sane incoming X-Request-Id', () => {
    for (const id of ['abc', 'req-123', 'trace:4bf92f3577b34da6.00f067aa0ba902b7', 'A_b-C.d', 'x'.repeat(128)]) {
      assert.equal(requestIdFor(withHeader(id)), id);
    }
  });

  it('makes a new UUID when the header is missing, empty, too long or has unsafe characters', () => {
    for (const id of [undefined, '', 'x'.repeat(129), 'has space', 'new\nline', 'quote"', '{"json":1}', 'ünïcode', 'a, b', ['a', 'b']]) {
      assert.match(requestIdFor(withHeader(id)), UUID, JSON.stringify(id));
    }
    assert.notEqual(requestIdFor(withHeader(undefined)), requestIdFor(withHeader(undefined)));
  });
});

describe('loggerOptions', () => {
  it('censors secrets wherever a log call might carry them, at the most verbose level', async () => {
    let output = '';
    const stream = new Writable({
      write(chunk, _encoding, done) {
        output += chunk.toString();
        done();
      },
    });
    const options = await loggerOptions('trace', 'json');
    const app = Fastify({ logger: { ...options, stream } });
    app.log.trace(
      {
        req: { headers: { authorization: 'Digest secret-digest' } },
        headers: { authorization: 'Bearer secret-bearer', cookie: 'secret-cookie' },
        body: { linkToken: 'secret-token-in-body' },
        token: { linkToken: 'secret-link-token', privateApiKey: 'secret-private-api-key', clientSecret: 'secret-client-secret' },
        account: { client_secret: 'secret-form-secret', access_token: 'secret-access-token', privateKey: 'secret-private-key' },
        publicKey: 'abcdefgh',
      },
      'everything',
    );
    await app.close();
    assert.match(output, /"publicKey":"abcdefgh"/, 'public identifiers stay');
    assert.equal((output.match(/\[redacted\]/g) ?? []).length >= 9, true, output);
    assert.doesNotMatch(output, /secret-/);
  });

  it('has no path that starts with a wildcard (pino would then censor-check every value of every line)', () => {
    assert.deepEqual(REDACTED_PATHS.filter((p) => p.startsWith('*')), []);
  });

  it('prints readable lines with format pretty and JSON with format json', async () => {
    assert.equal('stream' in (await loggerOptions('info', 'json')), false);
    assert.equal('stream' in (await loggerOptions('info', 'pretty')), true);
  });
});
