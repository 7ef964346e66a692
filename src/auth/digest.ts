import crypto from 'node:crypto';
import { DIGEST_REALM, constantTimeEqual, md5Hex } from '../domain/secrets.js';

// HTTP Digest (RFC 7616) exactly as Atlas speaks it: MD5, qop="auth", realm "MMS Public API".
//
// Nonces are stateless and shared by every instance: 6 bytes of issue time (ms), 6 random bytes
// and a 12-byte HMAC-SHA256 over both with a key kept in the store, base64 (32 characters, like
// Atlas's). A nonce that verifies but is older than the TTL is stale (the client is told
// `stale=true`); one that does not verify is forged. Replays are refused by recording each
// (nonce, nc) pair in the store until the nonce expires.

export const DIGEST_ALGORITHM = 'MD5';

const TIME_BYTES = 6;
const RANDOM_BYTES = 6;
const MAC_BYTES = 12;
const NONCE_BYTES = TIME_BYTES + RANDOM_BYTES + MAC_BYTES;

export type NonceState = 'valid' | 'stale' | 'invalid';

function nonceMac(key: Buffer, payload: Buffer): Buffer {
  return crypto.createHmac('sha256', key).update(payload).digest().subarray(0, MAC_BYTES);
}

export function mintNonce(key: Buffer, nowMs: number): string {
  const nonce = Buffer.alloc(NONCE_BYTES);
  nonce.writeUIntBE(nowMs, 0, TIME_BYTES);
  crypto.randomFillSync(nonce, TIME_BYTES, RANDOM_BYTES);
  nonceMac(key, nonce.subarray(0, TIME_BYTES + RANDOM_BYTES)).copy(nonce, TIME_BYTES + RANDOM_BYTES);
  return nonce.toString('base64');
}

/** When the nonce was issued, or undefined when it was not minted with `key`. */
export function nonceIssuedAt(key: Buffer, nonce: string): number | undefined {
  if (nonce.length !== 32) return undefined;
  const bytes = Buffer.from(nonce, 'base64');
  if (bytes.length !== NONCE_BYTES || bytes.toString('base64') !== nonce) return undefined;
  const expected = nonceMac(key, bytes.subarray(0, TIME_BYTES + RANDOM_BYTES));
  if (!crypto.timingSafeEqual(expected, bytes.subarray(TIME_BYTES + RANDOM_BYTES))) return undefined;
  return bytes.readUIntBE(0, TIME_BYTES);
}

export function checkNonce(key: Buffer, nonce: string, nowMs: number, ttlMs: number): NonceState {
  const issuedAt = nonceIssuedAt(key, nonce);
  if (issuedAt === undefined || issuedAt > nowMs + 5_000) return 'invalid';
  return nowMs - issuedAt > ttlMs ? 'stale' : 'valid';
}

/**
 * The challenge, byte for byte in Atlas's format. The Go SDK's digest transport splits it on
 * `", "` and rejects any directive besides realm/domain/nonce/opaque/stale/algorithm/qop.
 */
export function digestChallenge(nonce: string, stale: boolean): string {
  return `Digest realm="${DIGEST_REALM}", domain="", nonce="${nonce}", algorithm=${DIGEST_ALGORITHM}, qop="auth", stale=${stale}`;
}

export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm?: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
  opaque?: string;
}

const PARAM = /\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s",]+))\s*(,|$)/y;
const MAX_HEADER_LENGTH = 4096;

/** Parses `Authorization: Digest …`; undefined for anything malformed or duplicated. */
export function parseDigestAuthorization(header: string): DigestCredentials | undefined {
  if (header.length > MAX_HEADER_LENGTH || !/^Digest\s+/i.test(header)) return undefined;
  const params = new Map<string, string>();
  PARAM.lastIndex = header.indexOf(' ') + 1;
  while (PARAM.lastIndex < header.length) {
    const start = PARAM.lastIndex;
    const match = PARAM.exec(header);
    if (!match || PARAM.lastIndex === start) return undefined;
    const name = match[1]!.toLowerCase();
    if (params.has(name)) return undefined;
    params.set(name, match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3]!);
    if (match[4] === '') break;
  }
  const username = params.get('username');
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  const uri = params.get('uri');
  const response = params.get('response');
  if (!username || realm === undefined || !nonce || !uri || !response) return undefined;
  const credentials: DigestCredentials = { username, realm, nonce, uri, response };
  for (const name of ['algorithm', 'qop', 'nc', 'cnonce', 'opaque'] as const) {
    const value = params.get(name);
    if (value !== undefined) credentials[name] = value;
  }
  return credentials;
}

/** RFC 7616 §3.4.1 response for MD5 with qop=auth: KD(HA1, nonce:nc:cnonce:qop:H(method:uri)). */
export function digestResponse(ha1: string, method: string, credentials: DigestCredentials): string {
  const ha2 = md5Hex(`${method}:${credentials.uri}`);
  return md5Hex(`${ha1}:${credentials.nonce}:${credentials.nc}:${credentials.cnonce}:${credentials.qop}:${ha2}`);
}

export type DigestRefusal =
  | 'malformed'
  | 'wrong_realm'
  | 'unsupported_algorithm'
  | 'unsupported_qop'
  | 'uri_mismatch'
  | 'forged_nonce'
  | 'unknown_key'
  | 'bad_response'
  | 'stale_nonce'
  | 'replayed_nonce';

/**
 * Everything about a digest answer that can be checked without the store: the directives Atlas
 * requires and the nonce's MAC. Returns the refusal, or the nonce's state when acceptable.
 */
export function checkDigestShape(
  credentials: DigestCredentials,
  request: { method: string; url: string },
  nonceKey: Buffer,
  nowMs: number,
  nonceTtlMs: number,
): { refusal: DigestRefusal } | { nonce: 'valid' | 'stale' } {
  if (credentials.realm !== DIGEST_REALM) return { refusal: 'wrong_realm' };
  if (credentials.algorithm !== undefined && credentials.algorithm.toUpperCase() !== DIGEST_ALGORITHM) {
    return { refusal: 'unsupported_algorithm' };
  }
  if (credentials.qop !== 'auth') return { refusal: 'unsupported_qop' };
  if (!credentials.nc || !/^[0-9a-fA-F]{8}$/.test(credentials.nc) || !credentials.cnonce) return { refusal: 'malformed' };
  if (credentials.uri !== request.url) return { refusal: 'uri_mismatch' };
  const nonce = checkNonce(nonceKey, credentials.nonce, nowMs, nonceTtlMs);
  if (nonce === 'invalid') return { refusal: 'forged_nonce' };
  return { nonce };
}

/** Compares the client's response with the expected one in constant time. */
export function digestResponseMatches(ha1: string, method: string, credentials: DigestCredentials): boolean {
  return constantTimeEqual(digestResponse(ha1, method, credentials), credentials.response.toLowerCase());
}
