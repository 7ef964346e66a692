// The one persistence interface. Every back end (SQLite embedded, PostgreSQL scale-out) implements
// it and passes the same test suite (test/store/contract.ts). Methods are async even where a back
// end could answer synchronously, so callers never depend on which one is plugged in.

export const ORG_ROLES = [
  'ORG_OWNER',
  'ORG_MEMBER',
  'ORG_READ_ONLY',
  'ORG_GROUP_CREATOR',
  'ORG_BILLING_ADMIN',
] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

export interface Org {
  id: string;
  name: string;
  createdAt: string;
}

/** Why a key exists: made by an operator, or made by Atlas as the org's live-migration link key. */
export type ApiKeyPurpose = 'USER' | 'LIVE_MIGRATION_LINK';

export interface ApiKeyRecord {
  id: string;
  orgId: string;
  publicKey: string;
  /** MD5(publicKey:realm:privateKey): all that HTTP Digest verification needs; never the key. */
  ha1: string;
  /** Last characters of the private key, as Atlas shows them (`********-****-…-1234`). */
  privateKeyHint: string;
  roles: OrgRole[];
  /** IPv4/IPv6 addresses or CIDR blocks; empty = any address. */
  accessList: string[];
  description: string;
  purpose: ApiKeyPurpose;
  createdAt: string;
}

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

export interface LinkRecord {
  orgId: string;
  apiKeyId: string;
  accessListIps: string[];
  createdAt: string;
}

export interface RateLimitPolicy {
  capacity: number;
  refillAmount: number;
  refillPeriodMs: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  remaining: number;
  /** Seconds until the next refill adds tokens (meaningful when refused). */
  retryAfterSeconds: number;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';

  createOrg(org: Org): Promise<void>;
  getOrg(orgId: string): Promise<Org | undefined>;
  countOrgs(): Promise<number>;
  /** First start: the org, its owner key and its owner service account, in one transaction. */
  insertBootstrap(org: Org, key: ApiKeyRecord, account: ServiceAccountRecord): Promise<void>;
  /**
   * Runs `run` (the bootstrap: count orgs, persist credentials, insert) while no other instance on
   * the same database runs its own, so instances starting at once on an empty database bootstrap once.
   */
  withBootstrapLock<T>(run: () => Promise<T>): Promise<T>;
  listOrgs(): Promise<Org[]>;

  insertApiKey(key: ApiKeyRecord): Promise<void>;
  findApiKeyByPublicKey(publicKey: string): Promise<ApiKeyRecord | undefined>;
  listApiKeys(orgId: string): Promise<ApiKeyRecord[]>;
  /** Deletes a key and, when it is a link key, the link that depends on it. */
  deleteApiKey(orgId: string, publicKey: string): Promise<boolean>;

  insertServiceAccount(account: ServiceAccountRecord): Promise<void>;
  findServiceAccount(clientId: string): Promise<ServiceAccountRecord | undefined>;
  listServiceAccounts(orgId: string): Promise<ServiceAccountRecord[]>;
  deleteServiceAccount(orgId: string, clientId: string): Promise<boolean>;

  getLink(orgId: string): Promise<LinkRecord | undefined>;
  /**
   * In one transaction: read the org, delete its current link key (if any), insert `key`, and point
   * the org's link at it. Returns the org (its name goes into the token) and the public key that
   * was replaced; undefined, with nothing written, when the org does not exist.
   */
  replaceLink(link: LinkRecord, key: ApiKeyRecord): Promise<{ org: Org; replacedPublicKey?: string } | undefined>;
  /** In one transaction: delete the link and its key. False when the org had no link. */
  deleteLink(orgId: string): Promise<boolean>;

  revokeAccessToken(jti: string, expiresAtMs: number): Promise<void>;
  /** What a bearer token needs on every request, in one read: its account and whether it is revoked. */
  findTokenSubject(clientId: string, jti: string): Promise<{ account: ServiceAccountRecord | undefined; revoked: boolean }>;

  /** Records one use of a digest (nonce, nc) pair. False when that pair was used before. */
  useDigestNonce(nonce: string, nc: string, expiresAtMs: number): Promise<boolean>;

  /** Atomically takes one token from the named bucket (creating it full). */
  takeRateLimitToken(bucket: string, policy: RateLimitPolicy, nowMs: number): Promise<RateLimitDecision>;

  /**
   * A named server secret (JWT signing key, nonce MAC key). Created once with `create` and shared
   * by every instance on the same database.
   */
  getOrCreateSecret(name: string, create: () => Buffer): Promise<Buffer>;

  /** Drops replay records and revocations that can no longer matter. */
  pruneExpired(nowMs: number): Promise<void>;

  /** Cheap round trip that proves the store answers. */
  ping(): Promise<void>;

  /** Flushes pending writes and releases the database. */
  close(): Promise<void>;
}

/** Thrown when a store cannot be opened because its database does not answer. */
export class StoreUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}

/** Thrown by a back end when a unique constraint refuses a write (e.g. a public key collision). */
export class UniqueViolationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UniqueViolationError';
  }
}
