import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mintApiKey } from '../../src/domain/apiKeys.js';
import { newObjectId } from '../../src/domain/ids.js';
import { UniqueViolationError, type Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/server.js';
import { openTestStore, TEST_STORE } from '../helpers/store.js';
import { newOrg, linkKey } from './fixtures.js';

// The Atlas side of links: link keys, their retirements, pushed inventories (store/links.ts), on
// the suite's back end: `npm test` runs this file once on SQLite and once on PostgreSQL, so both
// keep the same promises.

describe(`LinkStore contract (${TEST_STORE})`, () => {
  let store: Store;
  let dispose: () => Promise<void>;
  before(async () => {
    ({ store, dispose } = await openTestStore(tempDir()));
  });
  after(() => dispose());

  it('replaces a link and its key atomically, and deletes both', async () => {
    const org = newOrg();
    await store.orgs.createOrg(org);
    const first = linkKey(org.id);
    assert.deepEqual(await store.links.replaceLink(first.record), { org });
    assert.equal((await store.links.getLink(org.id))?.apiKeyId, first.record.id);
    const second = linkKey(org.id);
    const replaced = await store.links.replaceLink(second.record);
    assert.equal(replaced?.replacedPublicKey, first.record.publicKey);
    assert.deepEqual(replaced?.org, org);
    assert.equal(await store.orgs.findApiKeyByPublicKey(first.record.publicKey), undefined, 'old key is gone');
    assert.deepEqual(await store.links.getLink(org.id), {
      orgId: org.id,
      apiKeyId: second.record.id,
      accessListIps: second.record.accessList,
      createdAt: second.record.createdAt,
    });

    // A replacement that fails (its public key collides with another key) changes nothing.
    const other = mintApiKey({ orgId: org.id, roles: ['ORG_MEMBER'], accessList: [], description: '', purpose: 'USER' });
    await store.orgs.insertApiKey(other.record);
    const clash = { ...linkKey(org.id).record, publicKey: other.record.publicKey };
    await assert.rejects(store.links.replaceLink(clash), UniqueViolationError);
    assert.equal((await store.links.getLink(org.id))?.apiKeyId, second.record.id);
    assert.ok(await store.orgs.findApiKeyByPublicKey(second.record.publicKey));

    assert.equal(await store.links.deleteLink(org.id), true);
    assert.equal(await store.links.getLink(org.id), undefined);
    assert.equal(await store.orgs.findApiKeyByPublicKey(second.record.publicKey), undefined);
    assert.equal(await store.links.deleteLink(org.id), false);
  });

  it('records each retired link key, public key only: ROTATED on replace, DELETED on delete', async () => {
    const org = newOrg();
    await store.orgs.createOrg(org);
    const first = linkKey(org.id);
    const second = linkKey(org.id);
    await store.links.replaceLink(first.record);
    assert.equal(await store.links.findRetiredLinkKey(org.id, first.record.publicKey), undefined, 'a current key is not retired');
    await store.links.replaceLink(second.record);
    const rotated = await store.links.findRetiredLinkKey(org.id, first.record.publicKey);
    assert.deepEqual(rotated, { publicKey: first.record.publicKey, orgId: org.id, retiredAt: second.record.createdAt, reason: 'ROTATED' });
    assert.equal(await store.links.deleteLink(org.id), true);
    const deleted = await store.links.findRetiredLinkKey(org.id, second.record.publicKey);
    assert.equal(deleted?.reason, 'DELETED');
    assert.equal(deleted?.orgId, org.id);
    assert.ok(!Number.isNaN(Date.parse(deleted!.retiredAt)));
    assert.equal(await store.links.findRetiredLinkKey(org.id, 'zzzzzzzz'), undefined);
    assert.equal(await store.links.findRetiredLinkKey(newObjectId(), first.record.publicKey), undefined, "another org's record is not this org's");

    // A link key deleted as an API key is retired too; an ordinary key is not recorded.
    const third = linkKey(org.id);
    await store.links.replaceLink(third.record);
    assert.equal(await store.orgs.deleteApiKey(org.id, third.record.publicKey), true);
    assert.equal((await store.links.findRetiredLinkKey(org.id, third.record.publicKey))?.reason, 'DELETED');
    const user = mintApiKey({ orgId: org.id, roles: ['ORG_MEMBER'], accessList: [], description: '', purpose: 'USER' });
    await store.orgs.insertApiKey(user.record);
    await store.orgs.deleteApiKey(org.id, user.record.publicKey);
    assert.equal(await store.links.findRetiredLinkKey(org.id, user.record.publicKey), undefined);

    // Should a retired public key ever be minted again, its latest retirement is the one told.
    const reused = { ...linkKey(org.id).record, publicKey: first.record.publicKey };
    await store.links.replaceLink(reused);
    assert.equal(await store.links.deleteLink(org.id), true);
    assert.equal((await store.links.findRetiredLinkKey(org.id, first.record.publicKey))?.reason, 'DELETED');
  });

  it('retires nothing when a replacement fails', async () => {
    const org = newOrg();
    await store.orgs.createOrg(org);
    const current = linkKey(org.id);
    await store.links.replaceLink(current.record);
    const other = mintApiKey({ orgId: org.id, roles: ['ORG_MEMBER'], accessList: [], description: '', purpose: 'USER' });
    await store.orgs.insertApiKey(other.record);
    const clash = { ...linkKey(org.id).record, publicKey: other.record.publicKey };
    await assert.rejects(store.links.replaceLink(clash), UniqueViolationError);
    assert.equal(await store.links.findRetiredLinkKey(org.id, current.record.publicKey), undefined);
  });

  it('creates no link and no key for an org that does not exist', async () => {
    const ghost = newObjectId();
    const key = linkKey(ghost);
    assert.equal(await store.links.replaceLink(key.record), undefined);
    assert.equal(await store.orgs.findApiKeyByPublicKey(key.record.publicKey), undefined);
    assert.equal(await store.links.getLink(ghost), undefined);
  });

  it('drops the link when its key is deleted directly', async () => {
    const org = newOrg();
    await store.orgs.createOrg(org);
    const key = linkKey(org.id);
    await store.links.replaceLink(key.record);
    assert.equal(await store.orgs.deleteApiKey(org.id, key.record.publicKey), true);
    assert.equal(await store.links.getLink(org.id), undefined);
  });

  it('keeps concurrent link replacements consistent: one link, one link key', async () => {
    const org = newOrg();
    await store.orgs.createOrg(org);
    const keys = Array.from({ length: 20 }, () => linkKey(org.id));
    await Promise.all(
      keys.map((k) => store.links.replaceLink(k.record)),
    );
    const link = await store.links.getLink(org.id);
    const linkKeys = (await store.orgs.listApiKeys(org.id)).filter((k) => k.purpose === 'LIVE_MIGRATION_LINK');
    assert.equal(linkKeys.length, 1);
    assert.equal(link?.apiKeyId, linkKeys[0]!.id);
  });

  it('keeps an Atlas inventory only with the current link key', async () => {
    const org = newOrg();
    await store.orgs.createOrg(org);
    const projects = [
      {
        projectId: newObjectId(),
        name: 'P',
        migrationHosts: ['mh1.example.com'],
        deployments: [{ name: 'rs0', mongoDBVersion: '7.0.13', featureCompatibilityVersion: '7.0', sharded: false, tlsEnabled: true, managed: true }],
      },
    ];
    const first = linkKey(org.id);
    const now = new Date().toISOString();
    assert.equal(await store.links.putAtlasInventory(org.id, first.record.id, projects, now), false, 'no link yet');
    await store.links.replaceLink(first.record);
    assert.equal(await store.links.getAtlasInventory(org.id), undefined);
    assert.equal(await store.links.putAtlasInventory(org.id, first.record.id, projects, now), true);
    assert.deepEqual(await store.links.getAtlasInventory(org.id), projects);
    assert.equal(await store.links.putAtlasInventory(org.id, first.record.id, [], now), true, 'a push replaces');
    assert.deepEqual(await store.links.getAtlasInventory(org.id), []);
    await store.links.putAtlasInventory(org.id, first.record.id, projects, now);

    const second = linkKey(org.id);
    await store.links.replaceLink(second.record);
    assert.equal(await store.links.getAtlasInventory(org.id), undefined, 'rotation drops the old inventory at once');
    assert.equal(await store.links.putAtlasInventory(org.id, first.record.id, projects, now), false, 'the old key has no authority');
    assert.equal(await store.links.putAtlasInventory(org.id, second.record.id, projects, now), true);
    assert.equal(await store.links.deleteAtlasInventory(org.id, first.record.id), false);
    assert.equal(await store.links.deleteAtlasInventory(org.id, second.record.id), true);
    assert.equal(await store.links.getAtlasInventory(org.id), undefined);
    await store.links.putAtlasInventory(org.id, second.record.id, projects, now);
    assert.equal(await store.links.deleteLink(org.id), true);
    assert.equal(await store.links.getAtlasInventory(org.id), undefined, 'deleting the link drops it');
  });
});
