import type { AuditChange, EventActor, EventRecord } from '../store/events.js';
import { newObjectId } from './ids.js';

// The event types pushlink records, in Atlas's own names where Atlas has one, and pushlink's where
// it has none (the live-migration link and jobs are invisible in Atlas's public event types); the
// README lists them with which is which. Builders here make the records a change writes.

export const EVENT_TYPES = {
  // Atlas's names (org events).
  API_KEY_CREATED: { source: 'atlas', description: 'An API key was created.' },
  API_KEY_DELETED: { source: 'atlas', description: 'An API key was deleted.' },
  API_KEY_ACCESS_LIST_ENTRY_ADDED: { source: 'atlas', description: "An entry was added to an API key's access list." },
  SERVICE_ACCOUNT_CREATED: { source: 'atlas', description: 'A service account was created.' },
  SERVICE_ACCOUNT_DELETED: { source: 'atlas', description: 'A service account was deleted.' },
  // Atlas's names (project events).
  GROUP_CREATED: { source: 'atlas', description: 'A project was created.' },
  GROUP_DELETED: { source: 'atlas', description: 'A project was deleted.' },
  CLUSTER_CREATED: { source: 'atlas', description: 'A cluster was requested.' },
  CLUSTER_READY: { source: 'atlas', description: 'A new cluster finished provisioning (IDLE).' },
  CLUSTER_UPDATE_SUBMITTED: { source: 'atlas', description: 'A change to a cluster was requested.' },
  CLUSTER_DELETE_SUBMITTED: { source: 'atlas', description: 'A cluster was requested for deletion.' },
  CLUSTER_DELETED: { source: 'atlas', description: 'A cluster is gone.' },
  // pushlink's own (org events): the org's live-migration link.
  LIVE_MIGRATION_LINK_CREATED: { source: 'pushlink', description: 'A link-token was created, with the org its first link key.' },
  LIVE_MIGRATION_LINK_ROTATED: { source: 'pushlink', description: "A link-token was created and replaced the org's previous link key." },
  LIVE_MIGRATION_LINK_DELETED: { source: 'pushlink', description: 'The link (and its key) was deleted.' },
  LIVE_MIGRATION_LINK_SYNCED: { source: 'pushlink', description: 'The source side pushed an inventory that differs from the one Atlas held.' },
  LIVE_MIGRATION_LINK_WITHDRAWN: { source: 'pushlink', description: 'The source side withdrew its inventory (its link was deleted there).' },
  // pushlink's own (project events): live-migration jobs.
  LIVE_MIGRATION_VALIDATION_REQUESTED: { source: 'pushlink', description: 'A live-migration validation was requested.' },
  LIVE_MIGRATION_VALIDATION_SUCCEEDED: { source: 'pushlink', description: 'A validation settled: SUCCESS.' },
  LIVE_MIGRATION_VALIDATION_FAILED: { source: 'pushlink', description: 'A validation settled: FAILED.' },
  LIVE_MIGRATION_CREATED: { source: 'pushlink', description: 'A live migration was created (NEW).' },
  LIVE_MIGRATION_WORKING: { source: 'pushlink', description: 'The migration host started the migration (WORKING).' },
  LIVE_MIGRATION_READY_FOR_CUTOVER: { source: 'pushlink', description: 'The migration caught up: its cutover window starts.' },
  LIVE_MIGRATION_CUTOVER_REQUESTED: { source: 'pushlink', description: 'Cutover was requested.' },
  LIVE_MIGRATION_COMPLETED: { source: 'pushlink', description: 'The migration is COMPLETE.' },
  LIVE_MIGRATION_FAILED: { source: 'pushlink', description: 'The migration FAILED.' },
  LIVE_MIGRATION_EXPIRED: { source: 'pushlink', description: 'The cutover window ran out without a cutover (EXPIRED).' },
} as const satisfies Record<string, { source: 'atlas' | 'pushlink'; description: string }>;

export type EventTypeName = keyof typeof EVENT_TYPES;

/** Who makes a change, and from where: the request's principal, or the local admin's CLI. */
export interface Actor {
  actor: EventActor | null;
  remoteAddress: string | null;
}

/** The pushlink CLI on the server's store (or data dir): the local administrator. */
export const LOCAL_ADMIN: Actor = { actor: { localAdmin: true }, remoteAddress: null };
/** A change that happens by time alone. */
export const NOBODY: Actor = { actor: null, remoteAddress: null };

export interface EventScope {
  orgId: string;
  groupId?: string | null;
}

export function newEvent(
  type: EventTypeName,
  scope: EventScope,
  by: Actor,
  at: Date,
  fields: EventRecord['fields'] = {},
  subjectId: string | null = null,
): EventRecord {
  return {
    id: newObjectId(at),
    orgId: scope.orgId,
    groupId: scope.groupId ?? null,
    eventTypeName: type,
    created: at.toISOString(),
    actor: by.actor,
    remoteAddress: by.remoteAddress,
    fields,
    subjectId,
  };
}

/** An audit of these events whatever the write returns. */
export const always = (...events: EventRecord[]) => (): AuditChange => ({ events });
/** An audit of these events when the write returns true (it changed something). */
export const ifWritten = (...events: EventRecord[]) => (written: boolean): AuditChange => ({ events: written ? events : [] });
