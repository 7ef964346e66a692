import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newObjectId } from '../../src/domain/ids.js';
import type { ValidationRecord } from '../../src/store/liveMigrations.js';
import type { Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/server.js';
import { openTestStore, TEST_STORE } from '../helpers/store.js';

// The live-migration jobs port (store/liveMigrations.ts), on the suite's back end.

const T0 = '2026-01-01T00:00:00.000Z';

describe(`LiveMigrationStore contract (${TEST_STORE})`, () => {
  let store: Store;
  let dispose: () => Promise<void>;
  let groupId: string;
  before(async () => {
    ({ store, dispose } = await openTestStore(tempDir()));
    const orgId = newObjectId();
    await store.orgs.createOrg({ id: orgId, name: 'Org', createdAt: T0 });
    groupId = newObjectId();
    await store.groups.createGroup({ id: groupId, orgId, name: 'p', tags: [], withDefaultAlertsSettings: true, createdAt: T0 });
  });
  after(() => dispose());

  const validation = (outcome: ValidationRecord['outcome']): ValidationRecord => ({
    id: newObjectId(),
    groupId,
    sourceGroupId: newObjectId(),
    createdAt: T0,
    settlesAt: '2026-01-01T00:00:02.000Z',
    outcome,
    errorMessage: outcome === 'FAILED' ? 'why' : null,
  });

  it('keeps a validation, found only in its own project', async () => {
    const ok = validation('SUCCESS');
    const failed = validation('FAILED');
    await store.liveMigrations.createValidation(ok);
    await store.liveMigrations.createValidation(failed);
    assert.deepEqual(await store.liveMigrations.getValidation(groupId, ok.id), ok);
    assert.deepEqual(await store.liveMigrations.getValidation(groupId, failed.id), failed);
    assert.equal(await store.liveMigrations.getValidation(newObjectId(), ok.id), undefined);
    assert.equal(await store.liveMigrations.getValidation(groupId, newObjectId()), undefined);
  });

  it('drops a project\'s validations with the project', async () => {
    const kept = validation('SUCCESS');
    await store.liveMigrations.createValidation(kept);
    assert.equal(await store.groups.deleteGroup(groupId, T0), 'DELETED');
    assert.equal(await store.liveMigrations.getValidation(groupId, kept.id), undefined);
  });
});
