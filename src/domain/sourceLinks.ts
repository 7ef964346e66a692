import crypto from 'node:crypto';
import type { SourceLinkRecord, SourceLinkSync, SourceLinkWithdrawal } from '../store/source.js';
import type { Store } from '../store/store.js';
import { DomainError } from './errors.js';
import { decodeLinkToken } from './links.js';
import { requireOrg } from './orgs.js';
import { digestHa1 } from '../httpDigest.js';

// The source side (Cloud Manager / Ops Manager) of a live-migration link: the link-token pasted
// into a source org becomes a link record holding what the source needs to reach Atlas — the
// Atlas org and the link key's public key and HA1 (a digest client needs no more; the private key
// is not kept). A link that goes (deleted, or replaced by one for another Atlas org or key) leaves
// a withdrawal record behind, written with the change: Atlas keeps listing what the link pushed
// until the source tells it to drop it, and Atlas may be unreachable at that moment.

export const NOT_SYNCED_YET = 'not synced with Atlas yet';

/**
 * Stores the link a link-token makes, replacing the org's link if any. `replaced`: the withdrawal
 * recorded for the link it replaced, when that link reached another Atlas org or used another key.
 */
export async function completeSourceLink(
  store: Store,
  orgId: string,
  linkToken: unknown,
  now = new Date(),
): Promise<{ link: SourceLinkRecord; replaced: SourceLinkWithdrawal | undefined }> {
  const contents = decodeLinkToken(linkToken);
  await requireOrg(store, orgId);
  const link: SourceLinkRecord = {
    orgId,
    linkId: crypto.randomUUID(),
    atlasOrgId: contents.orgId,
    atlasOrgName: contents.orgName,
    publicKey: contents.publicApiKey,
    ha1: digestHa1(contents.publicApiKey, contents.privateApiKey),
    status: 'NOT_SYNCED',
    reason: NOT_SYNCED_YET,
    syncedVersion: null,
    lastAttemptAt: null,
    lastSyncedAt: null,
    createdAt: now.toISOString(),
  };
  const replaced = await store.source.putSourceLink(link);
  return { link, replaced };
}

export async function requireSourceLink(store: Store, orgId: string): Promise<SourceLinkRecord> {
  await requireOrg(store, orgId);
  const link = await store.source.getSourceLink(orgId);
  if (!link) throw new DomainError('LINK_NOT_FOUND', 'Could not find the requested external organization link.');
  return link;
}

/**
 * Deletes `link` (the one the caller read, by its id, so a link completed meanwhile is not the one
 * removed) and returns the withdrawal recorded with it, if any. When `link` is no longer the org's
 * link, a newer completion replaced it (and recorded its withdrawal where needed): the deletion
 * counts as having come first. With no link left at all, a concurrent deletion came first: 404.
 */
export async function removeSourceLink(store: Store, link: SourceLinkRecord): Promise<SourceLinkWithdrawal | undefined> {
  const deleted = await store.source.deleteSourceLink(link.orgId, link.linkId);
  if (deleted) return deleted.withdrawal;
  await requireSourceLink(store, link.orgId);
  return undefined;
}

export function recordSync(store: Store, link: SourceLinkRecord, sync: SourceLinkSync): Promise<boolean> {
  return store.source.recordSourceLinkSync(link.orgId, link.linkId, sync);
}
