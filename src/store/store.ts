import type { Audit, EventStore } from './events.js';
import type { GroupStore } from './groups.js';
import type { LiveMigrationStore } from './liveMigrations.js';

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

/**
 * The org's live-migration link. A link is its key: the org's one API key with purpose
 * LIVE_MIGRATION_LINK (its access list is the link's `accessListIps`), so there is nothing to keep
 * in step between two records.
 */
export interface LinkRecord {
  orgId: string;
  apiKeyId: string;
  accessListIps: string[];
  createdAt: string;
}

/** One deployment of a source project, with Atlas's `AvailableClustersDeployment` fields. */
export interface SourceDeployment {
  name: string;
  clusterId?: string;
  mongoDBVersion: string;
  featureCompatibilityVersion: string;
  sharded: boolean;
  tlsEnabled: boolean;
  managed: boolean;
  agentVersion?: string;
  dbSizeBytes?: number;
  oplogSizeMB?: number;
  shardsSize?: number;
}

/** A project of the source side (Cloud Manager / Ops Manager). */
export interface SourceProject {
  id: string;
  orgId: string;
  name: string;
  createdAt: string;
}

export interface SourceInventory {
  /** Grows with every change to the org's projects, deployments or migration hosts. */
  version: number;
  projects: Array<{ project: SourceProject; deployments: SourceDeployment[]; migrationHosts: string[] }>;
}

export type LinkSyncStatus = 'SYNCED' | 'NOT_SYNCED';

/** The source side's link to an Atlas org, made from a link-token. */
export interface SourceLinkRecord {
  orgId: string;
  /** New for every completion, so a late sync result of a replaced link is not recorded on its successor. */
  linkId: string;
  atlasOrgId: string;
  atlasOrgName: string;
  publicKey: string;
  /** HA1 of the link key: all a digest client needs; the private key itself is not kept. */
  ha1: string;
  status: LinkSyncStatus;
  reason: string | null;
  syncedVersion: number | null;
  lastAttemptAt: string | null;
  lastSyncedAt: string | null;
  createdAt: string;
}

/**
 * A link the source side deleted or replaced while Atlas may still list the inventory it pushed:
 * what the withdrawal (DELETE of that inventory, by digest with the link's key) needs, kept until
 * Atlas acknowledges it or no longer takes the key.
 */
export interface SourceLinkWithdrawal {
  /** The deleted or replaced link (a link is withdrawn at most once). */
  linkId: string;
  /** The source org it belonged to. */
  orgId: string;
  atlasOrgId: string;
  publicKey: string;
  /** HA1 of the link key, as the link held it. */
  ha1: string;
  /** When the link was deleted or replaced. */
  recordedAt: string;
}

export interface SourceLinkSync {
  status: LinkSyncStatus;
  reason: string | null;
  /** The inventory version that was pushed, when the push succeeded. */
  syncedVersion: number | null;
  attemptedAt: string;
}

/** Atlas's `LiveImportAvailableProject`, as the source pushed it. */
export interface AvailableProject {
  projectId: string;
  name: string;
  migrationHosts: string[];
  deployments: SourceDeployment[];
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

/**
 * Rows one pruning statement deletes at most. On SQLite (3M replay records, 300,000 expired),
 * deleting them in one statement held the event loop for 270-760 ms; a chunk of this size holds
 * it about 10 ms (25 ms when the expired rows lie scattered across the table), and the requests'
 * writes run between chunks.
 */
export const PRUNE_CHUNK_ROWS = 1000;

/**
 * How long the record of a retired link key is kept. Every link-token create retires the org's
 * previous key, so kept for ever the records would grow without end. They only let `pushlink token
 * inspect` say superseded or deleted rather than unknown, and a link-token is pasted within hours
 * of its creation: a quarter answers any question about one still being asked.
 */
export const RETIRED_LINK_KEY_RETENTION_DAYS = 90;
export const RETIRED_LINK_KEY_RETENTION_MS = RETIRED_LINK_KEY_RETENTION_DAYS * 86_400_000;

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
  /** Atlas projects and their clusters. */
  readonly groups: GroupStore;
  /** The live-migration jobs of projects. */
  readonly liveMigrations: LiveMigrationStore;
  /** The audit trail (Atlas's Events API). Audited writes take an `Audit` and write its events in their transaction. */
  readonly events: EventStore;

  createOrg(org: Org): Promise<void>;
  getOrg(orgId: string): Promise<Org | undefined>;
  countOrgs(): Promise<number>;
  /** First start: the org, its owner key and (if any) its owner service account, in one transaction. */
  insertBootstrap(org: Org, key: ApiKeyRecord, account: ServiceAccountRecord | undefined): Promise<void>;
  /** A seed file's new records (domain/seedPlan.ts), all in one transaction: all or none (UniqueViolationError). */
  insertSeed(records: { orgs: Org[]; apiKeys: ApiKeyRecord[]; serviceAccounts: ServiceAccountRecord[] }): Promise<void>;
  /**
   * Runs `run` (the bootstrap: count orgs, persist credentials, insert) while no other instance on
   * the same database runs its own, so instances starting at once on an empty database bootstrap once.
   */
  withBootstrapLock<T>(run: () => Promise<T>): Promise<T>;
  listOrgs(): Promise<Org[]>;

  insertApiKey(key: ApiKeyRecord, audit?: Audit<void>): Promise<void>;
  findApiKeyByPublicKey(publicKey: string): Promise<ApiKeyRecord | undefined>;
  listApiKeys(orgId: string): Promise<ApiKeyRecord[]>;
  /**
   * Deletes a key and, when it is a link key, the link that depends on it; a link key is recorded
   * as retired (DELETED) in the same transaction.
   */
  deleteApiKey(orgId: string, publicKey: string, audit?: Audit<boolean>): Promise<boolean>;

  insertServiceAccount(account: ServiceAccountRecord, audit?: Audit<void>): Promise<void>;
  findServiceAccount(clientId: string): Promise<ServiceAccountRecord | undefined>;
  listServiceAccounts(orgId: string): Promise<ServiceAccountRecord[]>;
  deleteServiceAccount(orgId: string, clientId: string, audit?: Audit<boolean>): Promise<boolean>;

  getLink(orgId: string): Promise<LinkRecord | undefined>;
  /**
   * In one transaction: delete the org's current link key (if any), recording it as retired
   * (ROTATED), and insert `key` (purpose LIVE_MIGRATION_LINK) as the org's link. Returns the org
   * (its name goes into the token) and the public key that was replaced; undefined, with nothing
   * written, when the org does not exist.
   */
  replaceLink(key: ApiKeyRecord, audit?: Audit<{ replacedPublicKey?: string } | undefined>): Promise<{ org: Org; replacedPublicKey?: string } | undefined>;
  /** In one transaction: delete the link and its key, recording the key as retired (DELETED). False when the org had no link. */
  deleteLink(orgId: string, audit?: Audit<boolean>): Promise<boolean>;
  /**
   * The record of the org's link key with this public key that was rotated away or deleted, if
   * this store held it and retired it less than RETIRED_LINK_KEY_RETENTION_DAYS ago (pruneExpired
   * drops older records, perhaps later, never sooner). For rare, offline use (token inspect, which
   * knows the org from the token): found through an index on the org, which every rotation appends
   * to at its org's end, where one on the (random) public key would take an insert at a random
   * place on that hot write.
   */
  findRetiredLinkKey(orgId: string, publicKey: string): Promise<RetiredLinkKey | undefined>;

  // Atlas side: the inventory a source pushed with the org's link key. It is only valid with that
  // key: the moment the link is replaced or deleted (or its key deleted), it is no longer read.
  /** Stores the org's inventory; false (nothing written) when `apiKeyId` is not the org's current link key. */
  putAtlasInventory(orgId: string, apiKeyId: string, projects: AvailableProject[], receivedAt: string, audit?: Audit<boolean>): Promise<boolean>;
  deleteAtlasInventory(orgId: string, apiKeyId: string, audit?: Audit<boolean>): Promise<boolean>;
  /** The inventory pushed with the org's current link key, if any. */
  getAtlasInventory(orgId: string): Promise<AvailableProject[] | undefined>;

  // Source side: projects, deployments and migration hosts; every change bumps the org's
  // inventory version. Mutations of a project that does not exist answer false.
  createSourceProject(project: SourceProject): Promise<void>;
  getSourceProject(projectId: string): Promise<SourceProject | undefined>;
  /** Adds the deployment, or replaces the one with the same name. */
  saveSourceDeployment(projectId: string, deployment: SourceDeployment): Promise<boolean>;
  deleteSourceDeployment(projectId: string, name: string): Promise<boolean>;
  addSourceMigrationHost(projectId: string, hostname: string): Promise<boolean>;
  deleteSourceMigrationHost(projectId: string, hostname: string): Promise<boolean>;
  getSourceInventory(orgId: string): Promise<SourceInventory>;

  // A link's withdrawal is recorded in the transaction that deletes or replaces it, unless another
  // link of this store still uses the same Atlas org and key (then Atlas's copy is still wanted).
  /**
   * Creates or replaces the org's link, in one transaction: a replaced link with another Atlas org
   * or key than `link` is recorded for withdrawal (and returned); pending withdrawals of `link`'s
   * Atlas org and key are dropped, as that key is in use again.
   */
  putSourceLink(link: SourceLinkRecord): Promise<SourceLinkWithdrawal | undefined>;
  getSourceLink(orgId: string): Promise<SourceLinkRecord | undefined>;
  listSourceLinks(): Promise<SourceLinkRecord[]>;
  /**
   * Deletes the org's link if it is still the link `linkId`, recording its withdrawal in the same
   * transaction. Undefined (nothing written) when the org's link is another one, or none.
   */
  deleteSourceLink(orgId: string, linkId: string): Promise<{ withdrawal: SourceLinkWithdrawal | undefined } | undefined>;
  /** Withdrawals Atlas has not acknowledged yet, oldest first. */
  listSourceLinkWithdrawals(): Promise<SourceLinkWithdrawal[]>;
  /** Drops a withdrawal once it is settled; false when it was not (or no longer) recorded. */
  deleteSourceLinkWithdrawal(linkId: string): Promise<boolean>;
  /** Records a sync attempt; false (nothing written) when the link was replaced or deleted meanwhile. */
  recordSourceLinkSync(orgId: string, linkId: string, sync: SourceLinkSync): Promise<boolean>;

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

  /**
   * Drops replay records and revocations that can no longer matter, and the records of link keys
   * retired more than RETIRED_LINK_KEY_RETENTION_DAYS ago. In chunks of at most `chunkRows` rows
   * (PRUNE_CHUNK_ROWS unless told), each its own statement and transaction: however much has
   * expired, no step holds the database, or with SQLite the event loop, for long, and other writes
   * run between the chunks. Expired replay records and revocations are found through an index on
   * their expiry. Retired link keys are kept in retirement order and pruned from the oldest, up to
   * the first record not yet old enough: a record retired out of order (the clock was set back)
   * keeps the ones after it until it is old enough itself, so a record is kept at least the
   * retention, never less.
   */
  pruneExpired(nowMs: number, options?: { chunkRows?: number }): Promise<void>;

  /**
   * Cheap round trip that proves the store answers and its schema has every step this code needs
   * (a newer schema is fine: steps are additive); throws otherwise.
   */
  ping(): Promise<void>;

  /**
   * Optional: calls `listener` once when the store stops serving for good (SQLite after a failed
   * fsync), with the StoreUnavailableError every operation then fails with; at once when it
   * already has. Returns a function that stops the call. Back ends that never stop may leave it out.
   */
  observeFailure?(listener: (failure: StoreUnavailableError) => void): () => void;

  /**
   * Optional: reports each committed write transaction (for metrics). Returns a function that
   * stops the reports. Back ends without group commit may leave it out.
   */
  observeCommits?(observer: CommitObserver): () => void;

  /** Flushes pending writes and releases the database. */
  close(): Promise<void>;
}

/**
 * Thrown when the store cannot serve: its database does not answer (in time), or the store stopped
 * for good (SQLite after a failed fsync). The HTTP layer answers 503.
 */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
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
