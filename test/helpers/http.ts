import http from 'node:http';
import https from 'node:https';
import crypto from 'node:crypto';

// A small HTTP client for tests: real sockets (so access lists see real peer addresses), raw
// headers, and a digest client that behaves like the Go SDK's transport (mongodb-forks/digest).

export interface TestResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any;
}

export interface TestRequest {
  method?: string;
  headers?: Record<string, string | undefined>;
  body?: string | Buffer;
  localAddress?: string;
  /** For https:// URLs: the only certificates trusted (like curl --cacert). */
  ca?: string | string[];
}

export function request(url: string, options: TestRequest = {}): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    // A server may answer (413, 404…) and close before the whole body is written: the answer counts,
    // the client's failed write after it does not.
    let answered = false;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(options.headers ?? {})) if (value !== undefined) headers[name] = value;
    const secure = url.startsWith('https:');
    const send = secure ? https.request : http.request;
    const req = send(
      url,
      { method: options.method ?? 'GET', headers, localAddress: options.localAddress, agent: false, ...(secure ? { ca: options.ca } : {}) },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text.length > 0 ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

const ALLOWED_CHALLENGE_KEYS = new Set(['realm', 'domain', 'nonce', 'opaque', 'stale', 'algorithm', 'qop']);

/**
 * Parses a challenge the way mongodb-forks/digest v1.1.0 does: `Digest ` prefix, directives
 * split on exactly `", "`… well, on ", " between pairs, only the seven known keys, qop `auth`.
 * Throws where the Go SDK would fail with "challenge is bad".
 */
export function parseChallengeLikeGoSdk(header: string | undefined): Record<string, string> {
  if (!header || !header.startsWith('Digest ')) throw new Error('challenge is bad: no Digest prefix');
  const result: Record<string, string> = {};
  for (const part of header.slice(7).split(', ')) {
    const eq = part.indexOf('=');
    if (eq < 0) throw new Error(`challenge is bad: ${part}`);
    const key = part.slice(0, eq);
    let value = part.slice(eq + 1);
    if (!ALLOWED_CHALLENGE_KEYS.has(key)) throw new Error(`challenge is bad: unknown key ${key}`);
    value = value.replace(/^"(.*)"$/, '$1');
    result[key] = value;
  }
  if (result.algorithm && !['MD5', 'SHA-256'].includes(result.algorithm)) throw new Error('alg not implemented');
  if (result.qop !== undefined && result.qop !== 'auth') throw new Error('alg not implemented');
  return result;
}

const md5 = (s: string) => crypto.createHash('md5').update(s).digest('hex');

export interface DigestAnswer {
  username: string;
  password: string;
  method: string;
  uri: string;
  nonce: string;
  nc?: string;
  cnonce?: string;
  realm?: string;
  qop?: string | null;
  algorithm?: string | null;
  /** Override the computed response. */
  response?: string;
}

/** The Authorization header the Go SDK sends (algorithm quoted, qop and nc bare). */
export function digestAuthorization(a: DigestAnswer): string {
  const realm = a.realm ?? 'MMS Public API';
  const nc = a.nc ?? '00000001';
  const cnonce = a.cnonce ?? crypto.randomBytes(8).toString('hex');
  const qop = a.qop === undefined ? 'auth' : a.qop;
  const ha1 = md5(`${a.username}:${realm}:${a.password}`);
  const ha2 = md5(`${a.method}:${a.uri}`);
  const response =
    a.response ?? (qop ? md5(`${ha1}:${a.nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : md5(`${ha1}:${a.nonce}:${ha2}`));
  const parts = [
    `username="${a.username}"`,
    `realm="${realm}"`,
    `nonce="${a.nonce}"`,
    `uri="${a.uri}"`,
    `response="${response}"`,
  ];
  const algorithm = a.algorithm === undefined ? 'MD5' : a.algorithm;
  if (algorithm !== null) parts.push(`algorithm="${algorithm}"`);
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`);
  return `Digest ${parts.join(', ')}`;
}

export interface Credentials {
  publicKey: string;
  privateKey: string;
}

/** Go SDK digest round trip: unauthenticated request (full body), 401 challenge, signed retry. */
export async function digestRequest(url: string, credentials: Credentials, options: TestRequest = {}): Promise<TestResponse> {
  const first = await request(url, options);
  if (first.status !== 401) return first;
  const challenge = parseChallengeLikeGoSdk(first.headers['www-authenticate'] as string | undefined);
  const target = new URL(url);
  const authorization = digestAuthorization({
    username: credentials.publicKey,
    password: credentials.privateKey,
    method: options.method ?? 'GET',
    uri: target.pathname + target.search,
    nonce: challenge.nonce!,
  });
  return request(url, { ...options, headers: { ...options.headers, authorization } });
}

/** A fresh nonce from the server's challenge. */
export async function fetchNonce(url: string, options: TestRequest = {}): Promise<string> {
  const res = await request(url, { ...options, headers: { accept: ATLAS_JSON, ...options.headers } });
  return parseChallengeLikeGoSdk(res.headers['www-authenticate'] as string).nonce!;
}

export const ATLAS_JSON = 'application/vnd.atlas.2023-01-01+json';

/** POST /api/oauth/token as the Go SDK sends it (HTTP Basic, raw or form-urlencoded credentials). */
export function requestAccessToken(
  baseUrl: string,
  client: { clientId: string; clientSecret: string },
  options: { urlEncoded?: boolean; ca?: string | string[] } = {},
): Promise<TestResponse> {
  const encode = options.urlEncoded ? encodeURIComponent : (s: string) => s;
  return request(`${baseUrl}/api/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encode(client.clientId)}:${encode(client.clientSecret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
    ...(options.ca ? { ca: options.ca } : {}),
  });
}
