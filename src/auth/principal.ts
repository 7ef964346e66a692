import crypto from 'node:crypto';
import { BoundedCache } from '../boundedCache.js';
import { compileStoredAccessList, type AccessList } from '../domain/accessList.js';
import type { OrgRole } from '../store/orgRoles.js';
import type { Store } from '../store/store.js';
import { wallClock, type Clock } from '../domain/clock.js';
import { ApiError } from '../http/errors.js';
import { digestChallenge, parseDigestAuthorization } from '../httpDigest.js';
import {
  checkDigestShape,
  digestResponseMatches,
  mintNonce,
  type DigestRefusal,
} from './digest.js';
import { AccessTokenRefused, AccessTokens, type AccessTokenRefusal } from './oauth.js';

// Who is calling: an org API key (HTTP Digest) or a service account (OAuth bearer token). Every
// failure here answers like Atlas: 401 with a fresh digest challenge and the same body, whatever
// the reason, so a caller learns nothing about which part was wrong. The reason is kept for logs
// and metrics.

export interface Principal {
  type: 'API_KEY' | 'SERVICE_ACCOUNT';
  /** Public key or client id: safe to log. */
  id: string;
  /** The API key's record id (API keys only): what the link key's inventory is tied to. */
  apiKeyId?: string;
  orgId: string;
  roles: readonly OrgRole[];
  accessList: AccessList;
  /** The org's live-migration link key: may only do what the source side needs. */
  isLinkKey: boolean;
}

export type AuthRefusal = 'missing_credentials' | 'unsupported_scheme' | DigestRefusal | AccessTokenRefusal;

export class AuthenticationFailed extends ApiError {
  constructor(
    readonly refusal: AuthRefusal,
    challenge: string,
    bearerChallenge?: string,
  ) {
    super('NOT_AUTHORIZED', [], {
      headers: { 'www-authenticate': bearerChallenge ?? challenge },
    });
  }
}

export interface AuthenticatorOptions {
  nonceTtlMs: number;
  /** Judges nonce freshness; the wall clock when not given. */
  clock?: Clock;
}

const NONCE_KEY_NAME = 'digest-nonce-key';

export class Authenticator {
  // Access lists are stored as text; compiled ones are reused (entries never change for a key).
  private readonly accessLists = new BoundedCache<string, AccessList>(10_000);

  private constructor(
    private readonly store: Store,
    private readonly nonceKey: Buffer,
    readonly accessTokens: AccessTokens,
    private readonly options: AuthenticatorOptions,
  ) {}

  static async create(store: Store, accessTokens: AccessTokens, options: AuthenticatorOptions): Promise<Authenticator> {
    const nonceKey = await store.housekeeping.getOrCreateSecret(NONCE_KEY_NAME, () => crypto.randomBytes(32));
    return new Authenticator(store, nonceKey, accessTokens, options);
  }

  challenge(stale = false, nowMs = (this.options.clock ?? wallClock).now().getTime()): string {
    return digestChallenge(mintNonce(this.nonceKey, nowMs), stale);
  }

  private refuse(refusal: AuthRefusal, stale = false): AuthenticationFailed {
    return new AuthenticationFailed(refusal, this.challenge(stale));
  }

  private compiledAccessList(entries: readonly string[]): AccessList {
    const cacheKey = entries.join(',');
    let list = this.accessLists.get(cacheKey);
    if (!list) {
      list = compileStoredAccessList(entries);
      this.accessLists.set(cacheKey, list);
    }
    return list;
  }

  /** Authenticates a request or throws AuthenticationFailed (a 401 ApiError with its challenge). */
  async authenticate(request: { method: string; url: string; authorization: string | undefined }): Promise<Principal> {
    const header = request.authorization;
    if (!header) throw this.refuse('missing_credentials');
    if (/^Digest\s/i.test(header)) return this.authenticateDigest(header, request);
    if (/^Bearer\s/i.test(header)) return this.authenticateBearer(header.slice(7).trim());
    throw this.refuse('unsupported_scheme');
  }

  private async authenticateDigest(header: string, request: { method: string; url: string }): Promise<Principal> {
    const credentials = parseDigestAuthorization(header);
    if (!credentials) throw this.refuse('malformed');
    const nowMs = (this.options.clock ?? wallClock).now().getTime();
    const shape = checkDigestShape(credentials, request, this.nonceKey, nowMs, this.options.nonceTtlMs);
    if ('refusal' in shape) throw this.refuse(shape.refusal);
    const key = await this.store.orgs.findApiKeyByPublicKey(credentials.username);
    // An unknown key costs the same work as a wrong private key.
    const matches = digestResponseMatches(key?.ha1 ?? '0'.repeat(32), request.method, credentials);
    if (!key) throw this.refuse('unknown_key');
    if (!matches) throw this.refuse('bad_response');
    // RFC 7616 §3.3: a correct answer to an expired nonce gets stale=true, so the client retries
    // with the fresh nonce without asking its user again.
    if (shape.nonce === 'stale') throw this.refuse('stale_nonce', true);
    const firstUse = await this.store.housekeeping.useDigestNonce(
      credentials.nonce,
      credentials.nc!.toLowerCase(),
      nowMs + this.options.nonceTtlMs * 2,
    );
    if (!firstUse) throw this.refuse('replayed_nonce');
    return {
      type: 'API_KEY',
      id: key.publicKey,
      apiKeyId: key.id,
      orgId: key.orgId,
      roles: key.roles,
      accessList: this.compiledAccessList(key.accessList),
      isLinkKey: key.purpose === 'LIVE_MIGRATION_LINK',
    };
  }

  private async authenticateBearer(token: string): Promise<Principal> {
    try {
      const account = await this.accessTokens.authenticate(token);
      return {
        type: 'SERVICE_ACCOUNT',
        id: account.clientId,
        orgId: account.orgId,
        roles: account.roles,
        accessList: this.compiledAccessList(account.accessList),
        isLinkKey: false,
      };
    } catch (error) {
      if (!(error instanceof AccessTokenRefused)) throw error;
      const description = error.refusal === 'expired_token' ? 'The access token expired' : 'The access token is invalid';
      throw new AuthenticationFailed(
        error.refusal,
        this.challenge(),
        `Bearer realm="MMS Public API", error="invalid_token", error_description="${description}"`,
      );
    }
  }
}
