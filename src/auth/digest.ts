import crypto from 'node:crypto';
import { constantTimeEqual } from '../domain/secrets.js';
import { DIGEST_ALGORITHM, DIGEST_REALM, digestResponse, type DigestCredentials } from '../httpDigest.js';

// The server side of HTTP Digest: its nonces and the checks an answer must pass. The protocol
// itself (wire format, HA1, the response formula) is httpDigest.ts, shared with the client.
//
// Nonces are stateless and shared by every instance: 6 bytes of issue time (ms), 6 random bytes
// and a 12-byte HMAC-SHA256 over both with a key kept in the store, base64 (32 characters, like
// Atlas's). A nonce that verifies but is older than the TTL is stale (the client is told
// `stale=true`); one that does not verify is forged. Replays are refused by recording each
// (nonce, nc) pair in the store until the nonce expires.

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
