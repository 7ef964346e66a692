import type { Audit } from './events.js';
import type { OrgRole } from './orgRoles.js';

// Service accounts (OAuth 2.0 client credentials) and the access tokens revoked before they
// expire: what a bearer request is checked against.

export interface ServiceAccountRecord {
  clientId: string;
  orgId: string;
  /** SHA-256 of the client secret (a 256-bit random value, so a slow hash adds nothing). */
  secretHash: string;
  roles: OrgRole[];
  accessList: string[];
  name: string;
  createdAt: string;
}

/** What a bearer token needs on every request: its account (if it still exists) and whether the token is revoked. */
export interface TokenSubject {
  account: ServiceAccountRecord | undefined;
  revoked: boolean;
}

/** A deleted account and a revoked token stop authenticating at once, on every instance. */
export interface ServiceAccountStore {
  insertServiceAccount(account: ServiceAccountRecord, audit?: Audit<void>): Promise<void>;
  findServiceAccount(clientId: string): Promise<ServiceAccountRecord | undefined>;
  listServiceAccounts(orgId: string): Promise<ServiceAccountRecord[]>;
  deleteServiceAccount(orgId: string, clientId: string, audit?: Audit<boolean>): Promise<boolean>;

  /** Kept until `expiresAtMs` (the token's own expiry), then pruned (housekeeping.ts). */
  revokeAccessToken(jti: string, expiresAtMs: number): Promise<void>;
  /** What a bearer token needs on every request, in one read: its account and whether it is revoked. */
  findTokenSubject(clientId: string, jti: string): Promise<TokenSubject>;
}
