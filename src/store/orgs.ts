import type { Audit } from './events.js';
import type { OrgRole } from './orgRoles.js';
import type { ServiceAccountRecord } from './serviceAccounts.js';

// Organizations and their API keys (Atlas's "Organization API keys"). An API key authenticates by
// HTTP Digest; its org roles and access list say what it may do. A link key is one of them
// (purpose LIVE_MIGRATION_LINK): its lifecycle as the org's link is the link port's (links.ts).

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

/**
 * Orgs never change once created. A deleted key stops authenticating at once, on every instance
 * (no back end answers a lookup from a copy older than the delete).
 */
export interface OrgStore {
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
   * as retired (DELETED, see `linkKeyRetirement`) in the same transaction.
   */
  deleteApiKey(orgId: string, publicKey: string, audit?: Audit<boolean>): Promise<boolean>;
}
