import assert from 'node:assert/strict';
import { LOCAL_ADMIN } from '../../src/domain/events.js';
import { after, before, describe, it } from 'node:test';
import { DomainError } from '../../src/domain/errors.js';
import { newObjectId } from '../../src/domain/ids.js';
import { applyReport, changeMigration, requestCutover } from '../../src/domain/liveMigrations.js';
import { isActive } from '../../src/domain/migrationStatus.js';
import type { LiveMigrationRecord } from '../../src/store/liveMigrations.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { createTestDatabase, postgresUnavailableReason, type TestDatabase } from '../helpers/postgres.js';

// Two Atlas instances on one PostgreSQL database agree on every live-migration job: what one
// writes the other reads, and when both change a job at once, compare-and-set lets exactly one win.

const skip = await postgresUnavailableReason();
const WINDOW = 60_000;

describe('live-migration jobs across two instances on one PostgreSQL', { skip }, () => {
  let database: TestDatabase;
  let a: PostgresStore;
  let b: PostgresStore;
  let orgId: string;
  let groupId: string;
  before(async () => {
    database = await createTestDatabase();
    a = await PostgresStore.open(database.url);
    b = await PostgresStore.open(database.url);
    orgId = newObjectId();
    groupId = newObjectId();
    const now = new Date().toISOString();
    await a.orgs.createOrg({ id: orgId, name: 'Org', createdAt: now });
    await a.groups.createGroup({ id: groupId, orgId, name: 'p', tags: [], withDefaultAlertsSettings: true, createdAt: now });
  });
  after(async () => {
    await a.close();
    await b.close();
    await database.drop();
  });

  const migration = (destination: string): LiveMigrationRecord => ({
    id: newObjectId(), groupId, orgId, sourceGroupId: newObjectId(), sourceClusterName: 'rs', destinationClusterName: destination,
    migrationHost: 'mh1', dropDestinationData: false, createdAt: new Date().toISOString(), status: 'NEW', lagTimeSeconds: null,
    workingAt: null, readyAt: null, cutoverRequestedAt: null, endedAt: null, errorMessage: null, revision: 1,
  });
  const blocksInto = (destination: string) => (other: LiveMigrationRecord) => other.destinationClusterName === destination && isActive(other, new Date(), WINDOW);

  it('lets only one of two simultaneous creates into one destination through', async () => {
    const results = await Promise.all([
      a.liveMigrations.createMigration(migration('dest'), blocksInto('dest')),
      b.liveMigrations.createMigration(migration('dest'), blocksInto('dest')),
      a.liveMigrations.createMigration(migration('dest'), blocksInto('dest')),
      b.liveMigrations.createMigration(migration('dest'), blocksInto('dest')),
    ]);
    assert.equal(results.filter(Boolean).length, 1);
    assert.equal((await b.liveMigrations.listMigrations(orgId)).filter((m) => m.destinationClusterName === 'dest').length, 1);
  });

  it('shows each instance what the other wrote, and lets one of two simultaneous cutovers win', async () => {
    const job = migration('other');
    assert.equal(await a.liveMigrations.createMigration(job, blocksInto('other')), true);
    const now = new Date();
    await changeMigration(b, groupId, job.id, (m) => applyReport(m, { status: 'WORKING', lagTimeSeconds: 0, readyForCutover: true }, now, WINDOW), LOCAL_ADMIN, now, WINDOW);
    assert.notEqual((await a.liveMigrations.getMigration(groupId, job.id))!.readyAt, null);
    const outcomes = await Promise.allSettled([
      changeMigration(a, groupId, job.id, (m) => requestCutover(m, now, WINDOW), LOCAL_ADMIN, now, WINDOW),
      changeMigration(b, groupId, job.id, (m) => requestCutover(m, now, WINDOW), LOCAL_ADMIN, now, WINDOW),
    ]);
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
    const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    assert.ok(refused.reason instanceof DomainError && refused.reason.kind === 'CUTOVER_ALREADY_REQUESTED', String(refused.reason));
    const seenByA = await a.liveMigrations.getMigration(groupId, job.id);
    assert.deepEqual(seenByA, await b.liveMigrations.getMigration(groupId, job.id));
    assert.notEqual(seenByA!.cutoverRequestedAt, null);
  });
});
