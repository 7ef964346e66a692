import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DIGEST_REALM } from '../../src/httpDigest.js';
import { request } from './http.js';

// A stand-in for the Atlas side on 127.0.0.1 whose answers and timing a test decides: each request
// is recorded, waits `delayMs`, then gets what the handler returns. Handlers below shape the common
// cases: Atlas's digest challenge first (so the signed second leg names the key), or a proxy to a
// real Atlas side (for timing and path tricks in front of real behaviour).

export interface FakeAtlasRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The digest username of a signed request. */
  publicKey: string | undefined;
}

export interface FakeAtlasAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export type FakeAtlasHandler = (request: FakeAtlasRequest) => FakeAtlasAnswer | Promise<FakeAtlasAnswer>;

export interface FakeAtlas {
  url: string;
  port: number;
  requests: FakeAtlasRequest[];
  handler: FakeAtlasHandler;
  /** How long each answer waits, or a function of the request. */
  delayMs: number | ((request: FakeAtlasRequest) => number);
  close(): Promise<void>;
}

export async function startFakeAtlas(handler: FakeAtlasHandler, options: { port?: number } = {}): Promise<FakeAtlas> {
  const server = http.createServer();
  const fake: FakeAtlas = {
    url: '',
    port: 0,
    requests: [],
    handler,
    delayMs: 0,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const authorization = req.headers.authorization;
      const recorded: FakeAtlasRequest = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        publicKey: authorization ? /username="([^"]*)"/.exec(authorization)?.[1] : undefined,
      };
      fake.requests.push(recorded);
      const delay = typeof fake.delayMs === 'function' ? fake.delayMs(recorded) : fake.delayMs;
      setTimeout(() => {
        Promise.resolve()
          .then(() => fake.handler(recorded))
          .then(
            (answer) => {
              res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
              res.end(answer.body ?? '');
            },
            (error: Error) => {
              res.writeHead(502, { 'content-type': 'text/plain' });
              res.end(error.message);
            },
          );
      }, delay);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  fake.port = (server.address() as AddressInfo).port;
  fake.url = `http://127.0.0.1:${fake.port}`;
  return fake;
}

/** Atlas's 401 digest challenge for an unsigned request; `signed` answers the signed retry. */
export function withDigestChallenge(signed: FakeAtlasHandler): FakeAtlasHandler {
  return (request) =>
    request.publicKey === undefined
      ? {
          status: 401,
          headers: { 'www-authenticate': `Digest realm="${DIGEST_REALM}", domain="", nonce="fake-nonce", algorithm=MD5, qop="auth", stale=false` },
          body: '{"error":401,"errorCode":"UNEXPECTED_ERROR","reason":"Unauthorized"}',
        }
      : signed(request);
}

/** An Atlas ApiError answer. */
export function apiErrorAnswer(status: number, errorCode: string, detail: string): FakeAtlasAnswer {
  return { status, body: JSON.stringify({ detail, error: status, errorCode, parameters: [], reason: 'Refused' }) };
}

/** Forwards each request to `target` (a real Atlas side), minus `stripPrefix` at the start of its path. */
export function forwardTo(target: string, stripPrefix = ''): FakeAtlasHandler {
  return async (incoming) => {
    const path = incoming.url.startsWith(stripPrefix) ? incoming.url.slice(stripPrefix.length) : incoming.url;
    const headers: Record<string, string> = {};
    for (const name of ['accept', 'content-type', 'authorization']) {
      const value = incoming.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const answer = await request(target + path, {
      method: incoming.method,
      headers,
      ...(incoming.body.length > 0 ? { body: incoming.body } : {}),
    });
    const answerHeaders: Record<string, string> = {};
    for (const [name, value] of Object.entries(answer.headers)) {
      if (typeof value === 'string' && !['content-length', 'connection', 'keep-alive', 'transfer-encoding', 'date'].includes(name)) answerHeaders[name] = value;
    }
    return { status: answer.status, headers: answerHeaders, body: answer.text };
  };
}
