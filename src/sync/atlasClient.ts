import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultInjector } from '../domain/faultInjector.js';
import type { FaultAction } from '../domain/faults.js';
import { injectedApiError } from '../http/faultInjection.js';
import { DIGEST_REALM, digestAuthorization, parseDigestChallenge } from '../httpDigest.js';

// The source side's client for the Atlas side: HTTP Digest with the link key's HA1 (as a digest
// client needs no more), every call bounded in time. It speaks to any Atlas-compatible base URL:
// http://, or https:// with an optional extra CA. `pushlink link complete` uses it too, to reach
// the source side's own API.

export interface AtlasEndpoint {
  baseUrl: URL;
  /** The CA certificate(s) to trust for an https base URL (PEM), instead of the system's. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Upper bound of one call, connect to last byte (both digest legs). */
  timeoutMs: number;
  /**
   * The command-line option that gives `ca`, named when a certificate is not trusted (the source
   * server's is --atlas-ca, `link complete`'s --ca). Default --atlas-ca.
   */
  caOption?: string;
  /** Fault rules with target `source` (--faults): calls they hit get the injected answer instead of Atlas's. */
  faults?: { injector: FaultInjector; observe: (action: FaultAction, path: string) => void };
}

export interface DigestIdentity {
  publicKey: string;
  ha1: string;
}

export interface AtlasResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Why a call could not be completed (no HTTP answer): refused, timed out, TLS, bad challenge. */
export class AtlasUnreachable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AtlasUnreachable';
  }
}

const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * `path` (absolute, /api/…) under the base URL's own path, so a base behind a path prefix
 * (http://h/prefix/) keeps it: `new URL(path, base)` would resolve an absolute path from the root.
 */
export function urlUnder(baseUrl: URL, path: string): URL {
  // Leading slashes collapsed too: "//x/…" would be read as another host.
  const prefix = baseUrl.pathname.replace(/\/+$/, '').replace(/^\/+/, '/');
  return new URL(prefix + path, baseUrl);
}

function send(
  endpoint: AtlasEndpoint,
  request: { method: string; path: string; body?: string; authorization?: string },
  signal: AbortSignal,
): Promise<AtlasResponse> {
  const url = urlUnder(endpoint.baseUrl, request.path);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (request.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(request.body));
    }
    if (request.authorization) headers.authorization = request.authorization;
    const req = client.request(
      url,
      { method: request.method, headers, signal, agent: false, ...(url.protocol === 'https:' && endpoint.ca ? { ca: endpoint.ca } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) req.destroy(new Error('response too large'));
          else chunks.push(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (request.body !== undefined) req.write(request.body);
    req.end();
  });
}

/** One call without digest (a bearer token in `authorization`, or none), bounded by the endpoint's timeout. */
export function plainCall(endpoint: AtlasEndpoint, request: { method: string; path: string; body?: string; authorization?: string }): Promise<AtlasResponse> {
  return send(endpoint, request, AbortSignal.timeout(endpoint.timeoutMs));
}

/**
 * One call with digest authentication: the plain request, the 401 challenge, the signed retry.
 * Resolves with Atlas's answer (any status) or rejects with AtlasUnreachable.
 */
export async function digestCall(
  endpoint: AtlasEndpoint,
  identity: DigestIdentity,
  request: { method: string; path: string; body?: string },
): Promise<AtlasResponse> {
  const injected = endpoint.faults && (await injectedAnswer(endpoint.faults, request));
  if (injected) return injected;
  const signal = AbortSignal.timeout(endpoint.timeoutMs);
  try {
    const first = await send(endpoint, request, signal);
    if (first.status !== 401) return first;
    const challenge = parseDigestChallenge(first.headers['www-authenticate'] as string | undefined);
    if (!challenge?.nonce) return first;
    if (challenge.realm !== DIGEST_REALM) {
      throw new AtlasUnreachable(`${endpoint.baseUrl.origin} asked for digest realm "${challenge.realm}"; pushlink's keys are for "${DIGEST_REALM}"`);
    }
    const uri = urlUnder(endpoint.baseUrl, request.path);
    const requestUri = uri.pathname + uri.search;
    // One nonce per call: a fresh challenge each time, so the count is always 1.
    const authorization = digestAuthorization(
      identity.ha1,
      { method: request.method, uri: requestUri },
      {
        username: identity.publicKey,
        nonce: challenge.nonce,
        nc: '00000001',
        cnonce: crypto.randomBytes(8).toString('hex'),
        ...(challenge.opaque !== undefined ? { opaque: challenge.opaque } : {}),
      },
    );
    return await send(endpoint, { ...request, authorization }, signal);
  } catch (error) {
    if (error instanceof AtlasUnreachable) throw error;
    const e = error as { name?: string; code?: string; message?: string };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') {
      throw new AtlasUnreachable(`no answer from ${endpoint.baseUrl.origin} within ${endpoint.timeoutMs} ms`);
    }
    const why = e.code ?? e.message ?? String(error);
    if (/CERT|SIGNATURE|SELF_SIGNED|ERR_TLS/.test(why)) {
      throw new AtlasUnreachable(`${endpoint.baseUrl.origin} could not be reached: its TLS certificate is not trusted (${why}); give its CA with ${endpoint.caOption ?? '--atlas-ca'}`);
    }
    throw new AtlasUnreachable(`${endpoint.baseUrl.origin} could not be reached: ${why}`);
  }
}

/** A source-target fault's answer to `request` (after its latency), or undefined to call Atlas. */
async function injectedAnswer(faults: NonNullable<AtlasEndpoint['faults']>, request: { method: string; path: string }): Promise<AtlasResponse | undefined> {
  const path = request.path.split('?', 1)[0]!;
  const action = faults.injector.forCall({ target: 'source', method: request.method, path });
  if (!action) return undefined;
  faults.observe(action, path);
  if (action.latencyMs > 0) await sleep(action.latencyMs);
  if (!action.error) return undefined;
  const error = injectedApiError(action.error, path);
  const headers: http.IncomingHttpHeaders = { 'content-type': 'application/json', 'x-error-code': error.errorCode, ...error.headers };
  return { status: error.status, headers, body: JSON.stringify(error.body()) };
}

/** "401 UNEXPECTED_ERROR: You are not authorized for this resource." from an ApiError answer. */
export function describeAtlasAnswer(response: AtlasResponse): string {
  try {
    const body = JSON.parse(response.body) as { errorCode?: string; detail?: string };
    if (body.errorCode) return `Atlas answered ${response.status} ${body.errorCode}: ${body.detail ?? ''}`.trim();
  } catch {
    // not JSON: fall through
  }
  return `Atlas answered ${response.status}`;
}
