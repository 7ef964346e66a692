// The one persistence interface. Every back end (SQLite embedded, PostgreSQL scale-out) implements
// it and passes the same test suite (test/store/store.test.ts). Methods are async even where a back
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

/** Why a link key stopped working: a newer link-token replaced it, or the link (or key) was deleted. */
export type LinkKeyRetirement = 'ROTATED' | 'DELETED';

/**
 * What is kept of a link key after it stops working, so a link-token can later be told apart as
 * superseded or deleted. Only the public key: nothing that could authenticate.
 */
export interface RetiredLinkKey {
  publicKey: string;
  orgId: string;
  retiredAt: string;
  reason: LinkKeyRetirement;
}

/** Called after each committed write transaction with how many writes it held and how long it took. */
export type CommitObserver = (batchSize: number, commitMs: number) => void;

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
  listOrgs(): Promise<Org[]>;

  insertApiKey(key: ApiKeyRecord): Promise<void>;
  findApiKeyByPublicKey(publicKey: string): Promise<ApiKeyRecord | undefined>;
  listApiKeys(orgId: string): Promise<ApiKeyRecord[]>;
  /**
   * Deletes a key and, when it is a link key, the link that depends on it; a link key is recorded
   * as retired (DELETED) in the same transaction.
   */
  deleteApiKey(orgId: string, publicKey: string): Promise<boolean>;

  insertServiceAccount(account: ServiceAccountRecord): Promise<void>;
  findServiceAccount(clientId: string): Promise<ServiceAccountRecord | undefined>;
  listServiceAccounts(orgId: string): Promise<ServiceAccountRecord[]>;
  deleteServiceAccount(orgId: string, clientId: string): Promise<boolean>;

  getLink(orgId: string): Promise<LinkRecord | undefined>;
  /**
   * In one transaction: read the org, delete its current link key (if any) and record it as
   * retired (ROTATED), insert `key`, and point the org's link at it. Returns the org (its name goes
   * into the token) and the public key that was replaced; undefined, with nothing written, when the
   * org does not exist.
   */
  replaceLink(link: LinkRecord, key: ApiKeyRecord): Promise<{ org: Org; replacedPublicKey?: string } | undefined>;
  /** In one transaction: delete the link and its key, recording the key as retired (DELETED). False when the org had no link. */
  deleteLink(orgId: string): Promise<boolean>;
  /**
   * The record of a link key that was rotated away or deleted, if this store ever held it. For
   * rare, offline use (token inspect): a back end may keep the records append-only and scan them,
   * so the hot write (every rotation adds one) stays cheap.
   */
  findRetiredLinkKey(publicKey: string): Promise<RetiredLinkKey | undefined>;

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

  /** Cheap round trip that proves the store answers and its schema is the one this code expects; throws otherwise. */
  ping(): Promise<void>;

  /**
   * Optional: reports each committed write transaction (for metrics). Returns a function that
   * stops the reports. Back ends without group commit may leave it out.
   */
  observeCommits?(observer: CommitObserver): () => void;

  /** Flushes pending writes and releases the database. */
  close(): Promise<void>;
}

/** Thrown by a back end when a unique constraint refuses a write (e.g. a public key collision). */
export class UniqueViolationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UniqueViolationError';
  }
}
