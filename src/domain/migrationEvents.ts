import type { AuditChange, EventRecord } from '../store/events.js';
import type { LiveMigrationRecord, ValidationRecord } from '../store/liveMigrations.js';
import { NOBODY, newEvent, type Actor } from './events.js';

// The events of live-migration jobs, read off what a change makes of a job (before → after), so
// every transition is recorded once, by the write that makes it. The cutover window's end happens
// by time alone: it is written when the window starts, dated when it ends, and cancelled by a
// cutover or a failure before then.

const scopeOf = (m: { groupId: string }, orgId: string) => ({ orgId, groupId: m.groupId });

export function validationEvents(v: ValidationRecord, orgId: string, by: Actor): EventRecord[] {
  const fields = { validationId: v.id };
  return [
    newEvent('LIVE_MIGRATION_VALIDATION_REQUESTED', scopeOf(v, orgId), by, new Date(v.createdAt), fields),
    newEvent(
      v.outcome === 'SUCCESS' ? 'LIVE_MIGRATION_VALIDATION_SUCCEEDED' : 'LIVE_MIGRATION_VALIDATION_FAILED',
      scopeOf(v, orgId),
      NOBODY,
      new Date(v.settlesAt),
      v.errorMessage === null ? fields : { ...fields, errorMessage: v.errorMessage },
      v.id,
    ),
  ];
}

export function migrationCreatedEvent(m: LiveMigrationRecord, by: Actor): EventRecord {
  return newEvent('LIVE_MIGRATION_CREATED', scopeOf(m, m.orgId), by, new Date(m.createdAt), { liveMigrationId: m.id, clusterName: m.destinationClusterName });
}

/** What a saved change of a job records: each transition it makes, in the order they happen. */
export function migrationChangeEvents(before: LiveMigrationRecord, after: LiveMigrationRecord, by: Actor, now: Date, cutoverWindowMs: number): AuditChange {
  const scope = scopeOf(after, after.orgId);
  const fields = { liveMigrationId: after.id, clusterName: after.destinationClusterName };
  const events: EventRecord[] = [];
  let cancel: AuditChange['cancel'];
  if (before.workingAt === null && after.workingAt !== null) events.push(newEvent('LIVE_MIGRATION_WORKING', scope, by, now, fields));
  if (before.readyAt === null && after.readyAt !== null) {
    events.push(newEvent('LIVE_MIGRATION_READY_FOR_CUTOVER', scope, by, now, fields));
    events.push(newEvent('LIVE_MIGRATION_EXPIRED', scope, NOBODY, new Date(Date.parse(after.readyAt) + cutoverWindowMs), fields, after.id));
  }
  if (before.cutoverRequestedAt === null && after.cutoverRequestedAt !== null) {
    events.push(newEvent('LIVE_MIGRATION_CUTOVER_REQUESTED', scope, by, now, fields));
    cancel = { subjectId: after.id, after: now.toISOString() };
  }
  if (before.status !== after.status && (after.status === 'COMPLETE' || after.status === 'FAILED')) {
    events.push(
      after.status === 'COMPLETE'
        ? newEvent('LIVE_MIGRATION_COMPLETED', scope, by, now, fields)
        : newEvent('LIVE_MIGRATION_FAILED', scope, by, now, after.errorMessage === null ? fields : { ...fields, errorMessage: after.errorMessage }),
    );
    cancel = { subjectId: after.id, after: now.toISOString() };
  }
  return cancel ? { events, cancel } : { events };
}
