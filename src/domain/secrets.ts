import crypto from 'node:crypto';

// How secrets are kept: only what verification needs, compared in constant time. An API key keeps
// its digest HA1 (httpDigest.ts), a service account a SHA-256 of its secret.

// crypto.hash (Node ≥ 20.12): one call, no Hash object, for the short inputs hashed here.
export function sha256Hex(value: string): string {
  return crypto.hash('sha256', value, 'hex');
}

/** Client secrets are 256-bit random values: one SHA-256 is enough, a slow KDF protects nothing more. */
export function hashClientSecret(secret: string): string {
  return sha256Hex(secret);
}

/** Constant-time equality of two strings (length is not secret: all our digests have fixed length). */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  if (left.length !== right.length) {
    // Still spend the comparison so the timing does not depend on where the strings differ.
    crypto.timingSafeEqual(left, left);
    return false;
  }
  return crypto.timingSafeEqual(left, right);
}

/** Atlas shows a private key masked but for its last four characters. */
export function privateKeyHint(privateKey: string): string {
  return privateKey.slice(-4);
}

export function maskPrivateKey(hint: string): string {
  return `********-****-****-****-********${hint}`;
}
