import type { LiveMigrationRecord } from '../store/liveMigrations.js';
import type { Store } from '../store/store.js';
import { saveByRevision } from './compareAndSet.js';
import { DomainError } from './errors.js';
import { ifWritten, LOCAL_ADMIN, NOBODY, type Actor } from './events.js';
import { migrationChangeEvents, migrationCreatedEvent } from './migrationEvents.js';
import { shapeReport, type FaultRule } from './faults.js';
import { newObjectId } from './ids.js';
import type { LiveMigrationRequest } from './liveMigrationRequest.js';
import { isActive, migrationStatus } from './migrationStatus.js';
import { firstValidationFailure, gatherValidationFacts } from './validations.js';

// A push live migration's life on the Atlas side (../shared/reference/live-migrations.md §2.2):
// NEW when created; WORKING with a falling lag as the source's migration host reports; ready for
// cutover when it says so, which starts the cutover window; after a cutover, WORKING without lag
// until the host reports COMPLETE. A window that runs out without cutover is EXPIRED, read off
// `readyAt` and the clock. FAILED when the host reports it, or the source's link goes away.
// Each change is a new record computed here, saved by compare-and-set on its revision.

/** What the source side's migration host reports about a job (pushlink's private endpoint). */
export interface MigrationReport {
  status: 'WORKING' | 'FAILED' | 'COMPLETE';
  lagTimeSeconds: number | null;
  readyForCutover: boolean;
  errorMessage?: string;
}

/** Atlas's `LiveMigrationResponse`, keys in its (alphabetical) order. */
export function migrationView(m: LiveMigrationRecord, now: Date, cutoverWindowMs: number) {
  const status = migrationStatus(m, now, cutoverWindowMs);
  return {
    _id: m.id,
    lagTimeSeconds: status === 'WORKING' ? m.lagTimeSeconds : null,
    migrationHosts: [m.migrationHost],
    readyForCutover: status === 'WORKING' && m.readyAt !== null,
    status,
  };
}

export async function createLiveMigration(
  store: Store,
  orgId: string,
  request: LiveMigrationRequest,
  now: Date,
  cutoverWindowMs: number,
  by: Actor = LOCAL_ADMIN,
): Promise<LiveMigrationRecord> {
  const facts = await gatherValidationFacts(store, orgId, request, now, cutoverWindowMs);
  const into = request.destination.clusterName;
  if (facts.runningInto !== undefined) throw new DomainError('RUNNING_LIVE_IMPORT', `cluster ${into} already has a live migration running into it`, [into]);
  const failure = firstValidationFailure(request, facts);
  if (failure !== null) throw new DomainError('LIVE_MIGRATION_REFUSED', failure, [failure]);
  const migration: LiveMigrationRecord = {
    id: newObjectId(now),
    groupId: request.destination.groupId,
    orgId,
    sourceGroupId: request.source.groupId,
    sourceClusterName: request.source.clusterName,
    destinationClusterName: request.destination.clusterName,
    migrationHost: request.migrationHost,
    dropDestinationData: request.dropDestinationData,
    createdAt: now.toISOString(),
    status: 'NEW',
    lagTimeSeconds: null,
    workingAt: null,
    readyAt: null,
    cutoverRequestedAt: null,
    endedAt: null,
    errorMessage: null,
    revision: 1,
  };
  // Checked again in the insert's transaction: two creates at once cannot both pass.
  const blocks = (other: LiveMigrationRecord) => other.destinationClusterName === into && isActive(other, now, cutoverWindowMs);
  if (!(await store.liveMigrations.createMigration(migration, blocks, ifWritten(migrationCreatedEvent(migration, by))))) {
    throw new DomainError('RUNNING_LIVE_IMPORT', `cluster ${into} already has a live migration running into it`, [into]);
  }
  return migration;
}

export async function requireMigration(store: Store, groupId: string, migrationId: string): Promise<LiveMigrationRecord> {
  const found = await store.liveMigrations.getMigration(groupId, migrationId);
  if (!found) throw new DomainError('LIVE_MIGRATION_NOT_FOUND', `no live migration ${migrationId}`, [`Live migration with id ${migrationId}`]);
  return found;
}

/** Cutover: only once, only when ready, only before the migration ended. */
export function requestCutover(m: LiveMigrationRecord, now: Date, cutoverWindowMs: number): LiveMigrationRecord {
  const status = migrationStatus(m, now, cutoverWindowMs);
  if (status !== 'NEW' && status !== 'WORKING') throw new DomainError('LIVE_MIGRATION_ENDED', `the live migration is ${status}`, [m.id, status]);
  if (m.cutoverRequestedAt !== null) throw new DomainError('CUTOVER_ALREADY_REQUESTED', 'cutover was already requested', [m.id]);
  if (m.readyAt === null) throw new DomainError('NOT_READY_FOR_CUTOVER', 'the live migration is not ready for cutover', [m.id]);
  return { ...m, cutoverRequestedAt: now.toISOString(), lagTimeSeconds: null, revision: m.revision + 1 };
}

/**
 * What a migration host's report makes of a job; undefined when it changes nothing (an ended job
 * stays ended; a COMPLETE before any cutover is not believed).
 */
export function applyReport(m: LiveMigrationRecord, report: MigrationReport, now: Date, cutoverWindowMs: number): LiveMigrationRecord | undefined {
  if (!isActive(m, now, cutoverWindowMs)) return undefined;
  const next: LiveMigrationRecord = { ...m, revision: m.revision + 1 };
  if (report.status === 'FAILED') {
    Object.assign(next, { status: 'FAILED', endedAt: now.toISOString(), lagTimeSeconds: null, errorMessage: report.errorMessage ?? 'The migration host reported a failure.' });
  } else if (report.status === 'COMPLETE') {
    if (m.cutoverRequestedAt === null) return undefined;
    Object.assign(next, { status: 'COMPLETE', endedAt: now.toISOString(), lagTimeSeconds: null });
  } else {
    Object.assign(next, {
      status: 'WORKING',
      workingAt: m.workingAt ?? now.toISOString(),
      lagTimeSeconds: m.cutoverRequestedAt === null ? report.lagTimeSeconds : null,
      readyAt: m.readyAt ?? (report.readyForCutover ? now.toISOString() : null),
    });
  }
  const same = next.status === m.status && next.lagTimeSeconds === m.lagTimeSeconds && next.readyAt === m.readyAt && next.workingAt === m.workingAt;
  return same ? undefined : next;
}

/**
 * Saves `change` of the stored job by compare-and-set (a report and a cutover at once), with the
 * events of the transitions it makes; undefined saves nothing.
 */
export function changeMigration(
  store: Store,
  groupId: string,
  migrationId: string,
  change: (m: LiveMigrationRecord) => LiveMigrationRecord | undefined,
  by: Actor,
  now: Date,
  cutoverWindowMs: number,
): Promise<LiveMigrationRecord> {
  return saveByRevision(
    () => requireMigration(store, groupId, migrationId),
    change,
    (next, current) =>
      store.liveMigrations.saveMigration(next, current.revision, (saved) => (saved ? migrationChangeEvents(current, next, by, now, cutoverWindowMs) : { events: [] })),
    () => new DomainError('CONCURRENT_CLUSTER_CHANGE', 'the live migration kept changing', [migrationId]),
  );
}

/** The org's migrations still running (for the rules that protect them), oldest first. */
export async function activeMigrations(store: Store, orgId: string, now: Date, cutoverWindowMs: number): Promise<LiveMigrationRecord[]> {
  return (await store.liveMigrations.listMigrations(orgId)).filter((m) => isActive(m, now, cutoverWindowMs));
}

/** Atlas: the org link cannot go while a migration uses it (409, the spec's example). */
export async function assertNoActiveMigrationUsesLink(store: Store, orgId: string, now: Date, cutoverWindowMs: number): Promise<void> {
  const running = await activeMigrations(store, orgId, now, cutoverWindowMs);
  if (running.length > 0) {
    const projects = [...new Set(running.map((m) => m.groupId))].join(', ');
    throw new DomainError('LINK_HAS_ACTIVE_MIGRATION', `live migrations run in projects ${projects}`, [projects]);
  }
}

/** Atlas: a destination cluster is not modified or deleted while a migration runs into it (409). */
export async function assertNoRunningImport(store: Store, orgId: string, groupId: string, clusterName: string, now: Date, cutoverWindowMs: number): Promise<void> {
  const running = await activeMigrations(store, orgId, now, cutoverWindowMs);
  if (running.some((m) => m.groupId === groupId && m.destinationClusterName === clusterName)) {
    throw new DomainError('RUNNING_LIVE_IMPORT', `cluster ${clusterName} has a live migration running into it`, [clusterName]);
  }
}

/** The source withdrew its inventory (its link was deleted there): its running migrations fail. */
export async function failMigrationsOfWithdrawnLink(store: Store, orgId: string, now: Date, cutoverWindowMs: number, by: Actor = NOBODY): Promise<void> {
  for (const m of await activeMigrations(store, orgId, now, cutoverWindowMs)) {
    await changeMigration(
      store,
      m.groupId,
      m.id,
      (current) =>
        applyReport(current, { status: 'FAILED', lagTimeSeconds: null, readyForCutover: false, errorMessage: 'The source organization deleted its live-migration link.' }, now, cutoverWindowMs),
      by,
      now,
      cutoverWindowMs,
    );
  }
}

/** A job as the source side's migration host sees it (pushlink's private endpoint). */
export function agentJobView(m: LiveMigrationRecord) {
  return {
    _id: m.id,
    groupId: m.groupId,
    sourceGroupId: m.sourceGroupId,
    sourceClusterName: m.sourceClusterName,
    migrationHost: m.migrationHost,
    status: m.status,
    workingAt: m.workingAt,
    readyForCutover: m.readyAt !== null,
    cutoverRequestedAt: m.cutoverRequestedAt,
  };
}

/**
 * A migration host's report on one of the org's jobs, as the liveMigration fault rules shape it
 * (a phase it fails at, a lag pinned); `faultRuleId` names the rule that reshaped it.
 */
export async function reportProgress(
  store: Store,
  orgId: string,
  jobId: string,
  report: MigrationReport,
  now: Date,
  cutoverWindowMs: number,
  faultRules: readonly FaultRule[] = [],
  by: Actor = NOBODY,
) {
  const job = (await store.liveMigrations.listMigrations(orgId)).find((m) => m.id === jobId);
  if (!job) throw new DomainError('LIVE_MIGRATION_NOT_FOUND', `no live migration ${jobId}`, [`Live migration with id ${jobId}`]);
  let faultRuleId: string | undefined;
  const saved = await changeMigration(store, job.groupId, jobId, (current) => {
    const shaped = shapeReport(faultRules, current, report);
    faultRuleId = shaped.ruleId;
    return applyReport(current, shaped.report, now, cutoverWindowMs);
  }, by, now, cutoverWindowMs);
  return { before: job, after: saved, faultRuleId };
}
