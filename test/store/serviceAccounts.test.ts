import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { UniqueViolationError, type Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/server.js';
import { openTestStore, TEST_STORE } from '../helpers/store.js';
import { newOrg, account } from './fixtures.js';

// Service accounts and revoked access tokens (store/serviceAccounts.ts), on the suite's back end:
// `npm test` runs this file once on SQLite and once on PostgreSQL, so both keep the same promises.

describe(`ServiceAccountStore contract (${TEST_STORE})`, () => {
  let store: Store;
  let dispose: () => Promise<void>;
  before(async () => {
    ({ store, dispose } = await openTestStore(tempDir()));
  });
  after(() => dispose());

  it('stores, lists and deletes service accounts', async () => {
    const org = newOrg();
    await store.orgs.createOrg(org);
    const sa = account(org.id);
    await store.serviceAccounts.insertServiceAccount(sa);
    assert.deepEqual(await store.serviceAccounts.findServiceAccount(sa.clientId), sa);
    assert.deepEqual((await store.serviceAccounts.listServiceAccounts(org.id)).map((a) => a.clientId), [sa.clientId]);
    await assert.rejects(store.serviceAccounts.insertServiceAccount(sa), UniqueViolationError);
    assert.equal(await store.serviceAccounts.deleteServiceAccount(org.id, sa.clientId), true);
    assert.equal(await store.serviceAccounts.findServiceAccount(sa.clientId), undefined);
  });

  it('records revoked access tokens and reads a token subject in one go', async () => {
    const org = newOrg();
    await store.orgs.createOrg(org);
    const sa = account(org.id);
    await store.serviceAccounts.insertServiceAccount(sa);
    assert.deepEqual(await store.serviceAccounts.findTokenSubject(sa.clientId, 'jti-1'), { account: sa, revoked: false });
    await store.serviceAccounts.revokeAccessToken('jti-1', Date.now() + 60_000);
    await store.serviceAccounts.revokeAccessToken('jti-1', Date.now() + 60_000);
    assert.deepEqual(await store.serviceAccounts.findTokenSubject(sa.clientId, 'jti-1'), { account: sa, revoked: true });
    assert.deepEqual(await store.serviceAccounts.findTokenSubject(sa.clientId, 'jti-2'), { account: sa, revoked: false });
    assert.deepEqual(await store.serviceAccounts.findTokenSubject('mdb_sa_id_gone', 'jti-1'), { account: undefined, revoked: true });
    assert.deepEqual(await store.serviceAccounts.findTokenSubject('mdb_sa_id_gone', 'jti-3'), { account: undefined, revoked: false });
  });
});
