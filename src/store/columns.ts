import type { SourceLinkRecord } from './source.js';

// Column orders both back ends write in the same shape.

/** source_links columns, in the order of both back ends' insert statements. */
export function sourceLinkValues(link: SourceLinkRecord): unknown[] {
  return [
    link.orgId,
    link.linkId,
    link.atlasOrgId,
    link.atlasOrgName,
    link.publicKey,
    link.ha1,
    link.status,
    link.reason,
    link.syncedVersion,
    link.lastAttemptAt,
    link.lastSyncedAt,
    link.createdAt,
  ];
}
