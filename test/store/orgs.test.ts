import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mintApiKey } from '../../src/domain/apiKeys.js';
import { newObjectId } from '../../src/domain/ids.js';
import { UniqueViolationError, type Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/server.js';
import { openTestStore, TEST_STORE } from '../helpers/store.js';
import { newOrg, account } from './fixtures.js';

// Orgs and API keys (store/orgs.ts), on the suite's back end: `npm test` runs this file once on
// SQLite and once on PostgreSQL, so both keep the same promises.

describe(`OrgStore contract (${TEST_STORE})`, () => {
  let store: Store;
  let dispose: () => Promise<void>;
  before(async () => {
    ({ store, dispose } = await openTestStore(tempDir()));
  });
  after(() => dispose());

  it('creates, reads, counts and lists orgs', async () => {
    const before = await store.orgs.countOrgs();
    const org = newOrg('Acme');
    await store.orgs.createOrg(org);
    assert.deepEqual(await store.orgs.getOrg(org.id), org);
    assert.equal(await store.orgs.countOrgs(), before + 1);
    assert.ok((await store.orgs.listOrgs()).some((o) => o.id === org.id));
    assert.equal(await store.orgs.getOrg(newObjectId()), undefined);
  });

  it('bootstraps org, key and account in one transaction', async () => {
    const org = newOrg();
    const key = mintApiKey({ orgId: org.id, roles: ['ORG_OWNER'], accessList: [], description: '', purpose: 'USER' });
    const sa = account(org.id);
    await store.orgs.insertBootstrap(org, key.record, sa);
    assert.ok(await store.orgs.getOrg(org.id));
    assert.deepEqual(await store.orgs.findApiKeyByPublicKey(key.record.publicKey), key.record);
    assert.deepEqual(await store.serviceAccounts.findServiceAccount(sa.clientId), sa);
    // A failing part (duplicate key) leaves nothing behind.
    const org2 = newOrg();
    const sa2 = account(org2.id);
    await assert.rejects(store.orgs.insertBootstrap(org2, { ...key.record, id: newObjectId(), orgId: org2.id }, sa2), UniqueViolationError);
    assert.equal(await store.orgs.getOrg(org2.id), undefined);
    assert.equal(await store.serviceAccounts.findServiceAccount(sa2.clientId), undefined);
  });

  it('stores API keys, refuses a duplicate public key, lists and deletes them', async () => {
    const org = newOrg();
    await store.orgs.createOrg(org);
    const key = mintApiKey({ orgId: org.id, roles: ['ORG_MEMBER', 'ORG_BILLING_ADMIN'], accessList: ['::1', '127.0.0.1'], description: 'd', purpose: 'USER' });
    await store.orgs.insertApiKey(key.record);
    assert.deepEqual(await store.orgs.findApiKeyByPublicKey(key.record.publicKey), key.record);
    await assert.rejects(store.orgs.insertApiKey({ ...key.record, id: newObjectId() }), UniqueViolationError);
    assert.deepEqual((await store.orgs.listApiKeys(org.id)).map((k) => k.publicKey), [key.record.publicKey]);
    assert.equal(await store.orgs.deleteApiKey(newObjectId(), key.record.publicKey), false, 'another org cannot delete it');
    assert.equal(await store.orgs.deleteApiKey(org.id, key.record.publicKey), true);
    assert.equal(await store.orgs.findApiKeyByPublicKey(key.record.publicKey), undefined);
    assert.equal(await store.orgs.deleteApiKey(org.id, key.record.publicKey), false);
  });
});
