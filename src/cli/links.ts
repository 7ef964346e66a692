import { removeSourceLink, requireSourceLink } from '../domain/sourceLinks.js';
import type { SourceLinkRecord } from '../store/source.js';
import type { StoreLocation } from '../store/open.js';
import { print, withStore, type Output } from './admin.js';

// `pushlink link list|status|delete`: the source side's links, read from (and deleted in) its
// store, also while `pushlink serve --role source` runs. A link is shown without its key's HA1.
// A delete here records the withdrawal of the link's inventory in the same transaction, as the
// API's DELETE does; the running source side then withdraws it from Atlas at its next sync (the
// API's DELETE also tries at once).

function view(link: SourceLinkRecord) {
  return {
    orgId: link.orgId,
    atlasOrgId: link.atlasOrgId,
    atlasOrgName: link.atlasOrgName,
    linkKey: link.publicKey,
    status: link.status,
    reason: link.reason,
    lastAttemptAt: link.lastAttemptAt,
    lastSyncedAt: link.lastSyncedAt,
    createdAt: link.createdAt,
  };
}

const line = (link: SourceLinkRecord) =>
  `${link.orgId}  → Atlas org ${link.atlasOrgId} "${link.atlasOrgName}"  ${link.status}${link.reason ? ` (${link.reason})` : ''}`;

export async function linkList(location: StoreLocation, output: Output): Promise<void> {
  const links = await withStore(location, (store) => store.source.listSourceLinks());
  print(output, links.map(view), links.map(line).join('\n') || '(no links)');
}

export async function linkStatus(location: StoreLocation, orgId: string, output: Output): Promise<void> {
  const link = await withStore(location, (store) => requireSourceLink(store, orgId));
  print(output, view(link), line(link));
}

export async function linkDelete(location: StoreLocation, orgId: string, output: Output): Promise<void> {
  const withdrawing = await withStore(location, async (store) => (await removeSourceLink(store, await requireSourceLink(store, orgId))) !== undefined);
  print(
    output,
    { deleted: orgId, withdrawalPending: withdrawing },
    `deleted the link of ${orgId}` + (withdrawing ? '; the running source side withdraws its inventory from Atlas at its next sync' : ''),
  );
}
