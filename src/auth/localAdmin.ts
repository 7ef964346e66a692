import crypto from 'node:crypto';

// The local administrator: whoever can read the server's data dir, where `serve` writes a fresh
// admin token (admin.json, mode 0600) each start. It may use pushlink's own controls (faults, the
// clock) for every org, as the admin commands that open the store may change every org. The
// server keeps only the token's SHA-256 and compares in constant time.

export const ADMIN_TOKEN_PREFIX = 'pladm_';

export function newAdminToken(): string {
  return ADMIN_TOKEN_PREFIX + crypto.randomBytes(32).toString('base64url');
}

export function adminTokenHash(token: string): Buffer {
  return crypto.createHash('sha256').update(token).digest();
}

/** Whether `authorization` is `Bearer <the admin token>`. */
export function isLocalAdmin(authorization: string | undefined, tokenHash: Buffer | undefined): boolean {
  if (!tokenHash || !authorization) return false;
  const match = /^Bearer\s+(pladm_\S+)$/i.exec(authorization);
  return match !== null && crypto.timingSafeEqual(adminTokenHash(match[1]!), tokenHash);
}

/** Bearer tokens that are admin tokens (never JWTs), so the OAuth path does not look at them. */
export function looksLikeAdminToken(authorization: string | undefined): boolean {
  return authorization !== undefined && /^Bearer\s+pladm_/i.test(authorization);
}
