import type { Audit } from './events.js';
import type { ApiKeyRecord, Org } from './orgs.js';
import type { SourceDeployment } from './source.js';

// The Atlas side of a live-migration link: the org's link (its link key), the records of link
// keys retired by a rotation or a delete, and the inventory a source pushed with the link key.

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
 * How long the record of a retired link key is kept. Every link-token create retires the org's
 * previous key, so kept for ever the records would grow without end. They only let `pushlink token
 * inspect` say superseded or deleted rather than unknown, and a link-token is pasted within hours
 * of its creation: a quarter answers any question about one still being asked.
 */
export const RETIRED_LINK_KEY_RETENTION_DAYS = 90;
export const RETIRED_LINK_KEY_RETENTION_MS = RETIRED_LINK_KEY_RETENTION_DAYS * 86_400_000;

/**
 * The rule, once for both back ends: a deleted key leaves a retirement record when it was a link
 * key, none otherwise. Each back end saves it in the transaction of the delete.
 */
export function linkKeyRetirement(
  key: Pick<ApiKeyRecord, 'publicKey' | 'orgId' | 'purpose'>,
  reason: LinkKeyRetirement,
  retiredAt: string,
): RetiredLinkKey | undefined {
  if (key.purpose !== 'LIVE_MIGRATION_LINK') return undefined;
  return { publicKey: key.publicKey, orgId: key.orgId, retiredAt, reason };
}

export interface LinkStore {
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

  // The inventory a source pushed with the org's link key. It is only valid with that key: the
  // moment the link is replaced or deleted (or its key deleted), it is no longer read.
  /** Stores the org's inventory; false (nothing written) when `apiKeyId` is not the org's current link key. */
  putAtlasInventory(orgId: string, apiKeyId: string, projects: AvailableProject[], receivedAt: string, audit?: Audit<boolean>): Promise<boolean>;
  deleteAtlasInventory(orgId: string, apiKeyId: string, audit?: Audit<boolean>): Promise<boolean>;
  /** The inventory pushed with the org's current link key, if any. */
  getAtlasInventory(orgId: string): Promise<AvailableProject[] | undefined>;
}
