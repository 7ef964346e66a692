import crypto from 'node:crypto';
import type { SourceLinkRecord, SourceLinkSync, Store } from '../store/store.js';
import { DomainError } from './errors.js';
import { decodeLinkToken } from './links.js';
import { requireOrg } from './orgs.js';
import { digestHa1 } from './secrets.js';

// The source side (Cloud Manager / Ops Manager) of a live-migration link: the link-token pasted
// into a source org becomes a link record holding what the source needs to reach Atlas — the
// Atlas org and the link key's public key and HA1 (a digest client needs no more; the private key
// is not kept).

export const NOT_SYNCED_YET = 'not synced with Atlas yet';

export async function completeSourceLink(store: Store, orgId: string, linkToken: unknown, now = new Date()): Promise<SourceLinkRecord> {
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
  await store.putSourceLink(link);
  return link;
}

export async function requireSourceLink(store: Store, orgId: string): Promise<SourceLinkRecord> {
  await requireOrg(store, orgId);
  const link = await store.getSourceLink(orgId);
  if (!link) throw new DomainError('LINK_NOT_FOUND', 'Could not find the requested external organization link.');
  return link;
}

export async function removeSourceLink(store: Store, orgId: string): Promise<void> {
  if (!(await store.deleteSourceLink(orgId))) {
    throw new DomainError('LINK_NOT_FOUND', 'Could not find the requested external organization link.');
  }
}

export function recordSync(store: Store, link: SourceLinkRecord, sync: SourceLinkSync): Promise<boolean> {
  return store.recordSourceLinkSync(link.orgId, link.linkId, sync);
}
