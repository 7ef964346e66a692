import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newObjectId } from '../../src/domain/ids.js';
import { type Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/server.js';
import { openTestStore, TEST_STORE } from '../helpers/store.js';
import { within, newOrg, linkKey } from './fixtures.js';

// What the whole store promises besides its ports: ping, commit observers (store/store.ts), on the
// suite's back end: `npm test` runs this file once on SQLite and once on PostgreSQL, so both keep
// the same promises.

describe(`Store contract (${TEST_STORE})`, () => {
  let store: Store;
  let dispose: () => Promise<void>;
  before(async () => {
    ({ store, dispose } = await openTestStore(tempDir()));
  });
  after(() => dispose());

  it('answers ping', async () => {
    await store.ping();
  });

  it('reports committed writes to commit observers until they unsubscribe, when it supports them', async (t) => {
    if (!store.observeCommits) {
      t.skip(`the ${TEST_STORE} back end has no commit observer`);
      return;
    }
    const seen: Array<[number, number]> = [];
    const stop = store.observeCommits((batchSize, commitMs) => seen.push([batchSize, commitMs]));
    await store.serviceAccounts.revokeAccessToken('observed-jti', Date.now() + 60_000);
    assert.ok(seen.length >= 1);
    assert.ok(seen.every(([size, ms]) => size >= 1 && ms >= 0));
    stop();
    const count = seen.length;
    await store.serviceAccounts.revokeAccessToken('unobserved-jti', Date.now() + 60_000);
    assert.equal(seen.length, count);
  });

  it('reports no read to commit observers', async (t) => {
    if (!store.observeCommits) {
      t.skip(`the ${TEST_STORE} back end has no commit observer`);
      return;
    }
    const org = newOrg();
    await store.orgs.createOrg(org);
    await store.source.createSourceProject({ id: newObjectId(), orgId: org.id, name: 'P', createdAt: new Date().toISOString() });
    let reported = 0;
    const stop = store.observeCommits(() => (reported += 1));
    try {
      await store.source.getSourceInventory(org.id);
      await store.orgs.getOrg(org.id);
      await store.orgs.listApiKeys(org.id);
      await store.links.getLink(org.id);
      await store.serviceAccounts.findTokenSubject('x', 'y');
      assert.equal(reported, 0);
    } finally {
      stop();
    }
  });

  it('lets no commit observer change an outcome: one that throws fails no write and stalls none', async (t) => {
    if (!store.observeCommits) {
      t.skip(`the ${TEST_STORE} back end has no commit observer`);
      return;
    }
    let calls = 0;
    const stop = store.observeCommits(() => {
      calls += 1;
      throw new Error('metrics broke');
    });
    try {
      await within(5_000, store.serviceAccounts.revokeAccessToken('thrown-at-1', Date.now() + 60_000));
      assert.equal((await store.serviceAccounts.findTokenSubject('x', 'thrown-at-1')).revoked, true);
      // Writes that gather behind a running commit, and multi-statement transactions.
      const first = store.serviceAccounts.revokeAccessToken('thrown-at-2', Date.now() + 60_000);
      await new Promise((resolve) => setImmediate(resolve));
      const behind = Array.from({ length: 5 }, (_, i) => store.serviceAccounts.revokeAccessToken(`thrown-behind-${i}`, Date.now() + 60_000));
      await within(5_000, Promise.all([first, ...behind]));
      const org = newOrg();
      await within(5_000, store.orgs.createOrg(org));
      const project = { id: newObjectId(), orgId: org.id, name: 'P', createdAt: new Date().toISOString() };
      await within(5_000, store.source.createSourceProject(project));
      assert.deepEqual(await store.source.getSourceProject(project.id), project);
      // Link replacements of one org that go together (one transaction on PostgreSQL): each is
      // applied once, and each gets its own answer.
      const keys = Array.from({ length: 6 }, () => linkKey(org.id));
      const results = await within(5_000, Promise.all(keys.map((k) => store.links.replaceLink(k.record))));
      const replaced = results.map((r) => r?.replacedPublicKey).filter((pk): pk is string => pk !== undefined);
      assert.equal(replaced.length, keys.length - 1, 'only the first replaced nothing');
      assert.equal(new Set(replaced).size, replaced.length, 'each key was replaced once');
      const linkKeys = (await store.orgs.listApiKeys(org.id)).filter((k) => k.purpose === 'LIVE_MIGRATION_LINK');
      assert.deepEqual(
        linkKeys.map((k) => k.publicKey),
        keys.map((k) => k.record.publicKey).filter((pk) => !replaced.includes(pk)),
        'the one key never replaced is the link key',
      );
      for (const pk of replaced) assert.equal((await store.links.findRetiredLinkKey(org.id, pk))?.reason, 'ROTATED');
      assert.ok(calls > 0);
    } finally {
      stop();
    }
  });
});
