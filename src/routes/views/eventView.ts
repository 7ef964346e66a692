import type { EventRecord } from '../../store/events.js';

// An event as Atlas's Events API shows it (EventViewForOrg / EventViewForNdsGroup): the common
// fields, who did it (an API key's id and public key; for a service account, pushlink puts its
// client id in `username`, and `local-admin` for the pushlink CLI, where Atlas would name a user),
// and the fields of its type. Keys in alphabetical order, as Atlas's answers have them.

export function eventView(e: EventRecord, base: string) {
  const scope = e.groupId === null ? `orgs/${e.orgId}` : `groups/${e.groupId}`;
  const actor = e.actor;
  const view: Record<string, unknown> = {
    ...e.fields,
    created: e.created,
    eventTypeName: e.eventTypeName,
    id: e.id,
    isGlobalAdmin: false,
    links: [{ href: `${base}/${scope}/events/${e.id}`, rel: 'self' }],
    orgId: e.orgId,
    ...(e.groupId !== null ? { groupId: e.groupId } : {}),
    ...(actor?.apiKeyId !== undefined ? { apiKeyId: actor.apiKeyId, publicKey: actor.publicKey } : {}),
    ...(actor?.clientId !== undefined ? { username: actor.clientId } : {}),
    ...(actor?.localAdmin ? { username: 'local-admin' } : {}),
    ...(e.remoteAddress !== null ? { remoteAddress: e.remoteAddress } : {}),
  };
  return Object.fromEntries(Object.entries(view).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
