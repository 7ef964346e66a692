import crypto from 'node:crypto';
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import { BoundedCache } from '../boundedCache.js';
import { verifyClientCredentials } from '../domain/serviceAccounts.js';
import type { ServiceAccountRecord } from '../store/serviceAccounts.js';
import type { Store } from '../store/store.js';
import { wallClock, type Clock } from '../domain/clock.js';

// OAuth 2.0 client credentials for service accounts, as Atlas issues them: a JWT (so the Go SDK
// can read `exp` and reuse it), valid one hour, signed HS256 with a key kept in the store so every
// instance verifies what any instance issued.

export const ACCESS_TOKEN_ISSUER = 'pushlink';
export const ACCESS_TOKEN_AUDIENCE = 'mms-public-api';
const SIGNING_KEY_NAME = 'oauth-jwt-signing-key';

export interface AccessTokenClaims {
  clientId: string;
  jti: string;
  expiresAtMs: number;
}

export type AccessTokenRefusal =
  | 'malformed_token'
  | 'bad_signature'
  | 'expired_token'
  | 'revoked_token'
  | 'unknown_service_account';

export class AccessTokenRefused extends Error {
  constructor(readonly refusal: AccessTokenRefusal) {
    super(refusal);
  }
}

export class AccessTokens {
  // Verifying a JWT (HMAC + JSON) on every call is avoidable: a verified token string maps to its
  // claims. Expiry, revocation and the account's existence are still checked on every request.
  private readonly verified = new BoundedCache<string, AccessTokenClaims>(10_000);

  private constructor(
    private readonly store: Store,
    private readonly key: Uint8Array,
    readonly ttlSeconds: number,
    private readonly clock: Clock,
  ) {}

  static async create(store: Store, ttlSeconds: number, clock: Clock = wallClock): Promise<AccessTokens> {
    const key = await store.housekeeping.getOrCreateSecret(SIGNING_KEY_NAME, () => crypto.randomBytes(32));
    return new AccessTokens(store, new Uint8Array(key), ttlSeconds, clock);
  }

  async issue(account: ServiceAccountRecord, nowMs: number = this.clock.now().getTime()): Promise<string> {
    const issuedAt = Math.floor(nowMs / 1000);
    return new SignJWT({ org: account.orgId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ACCESS_TOKEN_ISSUER)
      .setAudience(ACCESS_TOKEN_AUDIENCE)
      .setSubject(account.clientId)
      .setJti(crypto.randomUUID())
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + this.ttlSeconds)
      .sign(this.key);
  }

  /** The token's claims when its signature, issuer and audience verify (expiry is checked by callers). */
  private async verify(token: string): Promise<AccessTokenClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        issuer: ACCESS_TOKEN_ISSUER,
        audience: ACCESS_TOKEN_AUDIENCE,
        // Expiry is judged below against our own clock, so a cached token expires on time too.
        currentDate: new Date(0),
      });
      if (typeof payload.sub !== 'string' || typeof payload.jti !== 'string' || typeof payload.exp !== 'number') {
        throw new AccessTokenRefused('malformed_token');
      }
      const claims = { clientId: payload.sub, jti: payload.jti, expiresAtMs: payload.exp * 1000 };
      this.verified.set(token, claims);
      return claims;
    } catch (error) {
      if (error instanceof AccessTokenRefused) throw error;
      if (error instanceof joseErrors.JWSSignatureVerificationFailed) throw new AccessTokenRefused('bad_signature');
      throw new AccessTokenRefused('malformed_token');
    }
  }

  /** The service account a bearer token stands for, or AccessTokenRefused saying why not. */
  async authenticate(token: string, nowMs: number = this.clock.now().getTime()): Promise<ServiceAccountRecord> {
    const claims = this.verified.get(token) ?? (await this.verify(token));
    if (claims.expiresAtMs <= nowMs) throw new AccessTokenRefused('expired_token');
    const { account, revoked } = await this.store.serviceAccounts.findTokenSubject(claims.clientId, claims.jti);
    if (revoked) throw new AccessTokenRefused('revoked_token');
    if (!account) throw new AccessTokenRefused('unknown_service_account');
    return account;
  }

  /**
   * RFC 7009: the client revokes one of its own tokens. A token that is invalid, expired or not the
   * client's is ignored (the answer is the same 200), so revocation is no token oracle.
   */
  async revoke(account: ServiceAccountRecord, token: string): Promise<void> {
    let claims: AccessTokenClaims;
    try {
      claims = this.verified.get(token) ?? (await this.verify(token));
    } catch {
      return;
    }
    if (claims.clientId !== account.clientId) return;
    await this.store.serviceAccounts.revokeAccessToken(claims.jti, claims.expiresAtMs);
  }

  verifyClient(clientId: string, clientSecret: string): Promise<ServiceAccountRecord | undefined> {
    return verifyClientCredentials(this.store, clientId, clientSecret);
  }
}
