// The audit trail, as Atlas's Events API shows it: one record per state change, written in the
// transaction of the change it records (each audited write takes an `Audit`), so there is never
// a change without its event or an event without its change. Transitions that happen by time
// alone (a cluster becoming IDLE at its readyAt) are written by the change that schedules them,
// dated when they happen, and listed only once the clock has passed that instant; a later change
// that makes one moot (a delete before the cluster was ready) cancels it in its own transaction.

/** Who made a change: an API key, a service account, the local admin (pushlink's CLI); null for time alone. */
export interface EventActor {
  apiKeyId?: string;
  publicKey?: string;
  clientId?: string;
  localAdmin?: boolean;
}

export interface EventRecord {
  id: string;
  orgId: string;
  groupId: string | null;
  eventTypeName: string;
  /** When it happened (for a scheduled transition, perhaps later than the write that recorded it). */
  created: string;
  actor: EventActor | null;
  remoteAddress: string | null;
  /** Atlas's fields of the event besides the common ones (targetPublicKey, clusterName, …). Never a secret. */
  fields: Record<string, string | number | boolean>;
  /** What a scheduled event is about, so a later change of that thing can cancel it. */
  subjectId: string | null;
}

/** What a write records: its events, and scheduled events of a subject it makes moot. */
export interface AuditChange {
  events: EventRecord[];
  /** Drops the scheduled events of `subjectId` dated after `after`. */
  cancel?: { subjectId: string; after: string };
}

/** Computed from the write's own result inside its transaction (nothing written: no events). */
export type Audit<R> = (result: R) => AuditChange;

export interface EventQuery {
  orgId: string;
  /**
   * A project's events; `null`: the org's own (not its projects'), as Atlas's org feed lists them;
   * absent: all of the org's (pushlink's CLI).
   */
  groupId?: string | null;
  eventTypes?: string[];
  /** Inclusive bounds on `created`. */
  minDate?: string;
  maxDate?: string;
  /** The clock's now: later (scheduled) events are not shown yet. */
  now: string;
  skip: number;
  limit: number;
}

export interface EventStore {
  /** Newest first (as Atlas lists them), with how many match in all. */
  listEvents(query: EventQuery): Promise<{ results: EventRecord[]; totalCount: number }>;
  /** One of the org's events (of the project, when given) that has happened by `now`. */
  getEvent(orgId: string, eventId: string, now: string, groupId?: string): Promise<EventRecord | undefined>;
  /** Drops events created before `before`, at most `chunkRows` per statement; how many went. */
  pruneEvents(before: string, chunkRows: number): Promise<number>;
}
