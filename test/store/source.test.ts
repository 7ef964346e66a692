import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newObjectId } from '../../src/domain/ids.js';
import type { SourceLinkRecord } from '../../src/store/source.js';
import { UniqueViolationError, type Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/server.js';
import { openTestStore, TEST_STORE } from '../helpers/store.js';
import { newOrg, newSourceLink } from './fixtures.js';

// The source side: inventory, source links, withdrawals (store/source.ts), on the suite's back end:
// `npm test` runs this file once on SQLite and once on PostgreSQL, so both keep the same promises.

describe(`SourceStore contract (${TEST_STORE})`, () => {
  let store: Store;
  let dispose: () => Promise<void>;
  before(async () => {
    ({ store, dispose } = await openTestStore(tempDir()));
  });
  after(() => dispose());

  it('keeps a source inventory whose version grows with every change', async () => {
    const org = newOrg();
    await store.orgs.createOrg(org);
    assert.deepEqual(await store.source.getSourceInventory(org.id), { version: 0, projects: [] });
    const project = { id: newObjectId(), orgId: org.id, name: 'Billing', createdAt: new Date().toISOString() };
    await store.source.createSourceProject(project);
    await assert.rejects(store.source.createSourceProject({ ...project, id: newObjectId() }), UniqueViolationError, 'names are unique per org');
    assert.deepEqual(await store.source.getSourceProject(project.id), project);
    const rs = { name: 'rs0', mongoDBVersion: '7.0.13', featureCompatibilityVersion: '7.0', sharded: false, tlsEnabled: false, managed: true, agentVersion: '13.1.0.1', dbSizeBytes: 1024, oplogSizeMB: 990 };
    const sh = { name: 'sh0', clusterId: newObjectId(), mongoDBVersion: '6.0.17', featureCompatibilityVersion: '6.0', sharded: true, tlsEnabled: true, managed: false, shardsSize: 3 };
    assert.equal(await store.source.saveSourceDeployment(project.id, rs), true);
    assert.equal(await store.source.saveSourceDeployment(project.id, sh), true);
    assert.equal(await store.source.addSourceMigrationHost(project.id, 'mh1.example.com'), true);
    assert.equal(await store.source.addSourceMigrationHost(project.id, 'mh1.example.com'), true, 'idempotent');
    assert.equal(await store.source.saveSourceDeployment(newObjectId(), rs), false, 'no such project');
    assert.equal(await store.source.addSourceMigrationHost(newObjectId(), 'x'), false);
    let inventory = await store.source.getSourceInventory(org.id);
    assert.ok(inventory.version >= 4);
    assert.deepEqual(inventory.projects, [{ project, deployments: [rs, sh], migrationHosts: ['mh1.example.com'] }]);
    const before = inventory.version;
    assert.equal(await store.source.saveSourceDeployment(project.id, { ...rs, mongoDBVersion: '7.0.14' }), true, 'replaces by name');
    assert.equal(await store.source.deleteSourceDeployment(project.id, 'sh0'), true);
    assert.equal(await store.source.deleteSourceDeployment(project.id, 'sh0'), false);
    assert.equal(await store.source.deleteSourceMigrationHost(project.id, 'mh1.example.com'), true);
    inventory = await store.source.getSourceInventory(org.id);
    assert.equal(inventory.version, before + 3);
    assert.deepEqual(inventory.projects[0]!.deployments, [{ ...rs, mongoDBVersion: '7.0.14' }]);
    assert.deepEqual(inventory.projects[0]!.migrationHosts, []);
  });

  it('keeps one source link per org and records syncs only for that link', async () => {
    const org = newOrg();
    await store.orgs.createOrg(org);
    const link = { ...newSourceLink(org.id, 'link-1', newObjectId(), 'abcdefgh', '0'.repeat(32)), reason: 'not yet synced' };
    await store.source.putSourceLink(link);
    assert.deepEqual(await store.source.getSourceLink(org.id), link);
    assert.ok((await store.source.listSourceLinks()).some((l) => l.orgId === org.id));
    const at = new Date().toISOString();
    assert.equal(await store.source.recordSourceLinkSync(org.id, 'link-1', { status: 'SYNCED', reason: null, syncedVersion: 7, attemptedAt: at }), true);
    assert.deepEqual(await store.source.getSourceLink(org.id), { ...link, status: 'SYNCED', reason: null, syncedVersion: 7, lastAttemptAt: at, lastSyncedAt: at });
    const later = new Date(Date.now() + 1000).toISOString();
    await store.source.recordSourceLinkSync(org.id, 'link-1', { status: 'NOT_SYNCED', reason: 'refused', syncedVersion: null, attemptedAt: later });
    const failed = await store.source.getSourceLink(org.id);
    assert.deepEqual([failed?.status, failed?.reason, failed?.syncedVersion, failed?.lastSyncedAt, failed?.lastAttemptAt], ['NOT_SYNCED', 'refused', 7, at, later]);
    await store.source.putSourceLink({ ...link, linkId: 'link-2' });
    assert.equal(await store.source.recordSourceLinkSync(org.id, 'link-1', { status: 'SYNCED', reason: null, syncedVersion: 8, attemptedAt: at }), false, 'a replaced link ignores late results');
    assert.equal((await store.source.getSourceLink(org.id))?.linkId, 'link-2');
    assert.equal(await store.source.deleteSourceLink(org.id, 'link-1'), undefined, 'a link that was replaced is not the one deleted');
    assert.equal((await store.source.getSourceLink(org.id))?.linkId, 'link-2');
    assert.ok(await store.source.deleteSourceLink(org.id, 'link-2'));
    assert.equal(await store.source.getSourceLink(org.id), undefined);
    assert.equal(await store.source.deleteSourceLink(org.id, 'link-2'), undefined);
    assert.equal(await store.source.recordSourceLinkSync(org.id, 'link-2', { status: 'SYNCED', reason: null, syncedVersion: 1, attemptedAt: at }), false);
  });

  it('records the withdrawal of a deleted or replaced link with the change, until it is settled', async () => {
    const org = newOrg();
    await store.orgs.createOrg(org);
    const atlasA = newObjectId();
    const atlasB = newObjectId();
    const link = (linkId: string, atlasOrgId: string, publicKey: string, orgId = org.id) => newSourceLink(orgId, linkId, atlasOrgId, publicKey);
    const mine = async () => (await store.source.listSourceLinkWithdrawals()).filter((w) => w.orgId === org.id);
    const withdrawalOf = (l: SourceLinkRecord, recordedAt = l.createdAt) => ({
      linkId: l.linkId,
      orgId: l.orgId,
      atlasOrgId: l.atlasOrgId,
      publicKey: l.publicKey,
      ha1: l.ha1,
      recordedAt,
    });

    assert.equal(await store.source.putSourceLink(link('w-1', atlasA, 'keyaaaaa')), undefined, 'nothing replaced');
    const second = link('w-2', atlasA, 'keyaaaaa');
    assert.equal(await store.source.putSourceLink(second), undefined, 'the same Atlas org and key: Atlas keeps what the new link pushes');
    const third = link('w-3', atlasB, 'keybbbbb');
    assert.deepEqual(await store.source.putSourceLink(third), withdrawalOf(second, third.createdAt), 'another Atlas org and key');
    assert.deepEqual(await mine(), [withdrawalOf(second, third.createdAt)]);

    assert.equal(await store.source.deleteSourceLink(org.id, 'w-2'), undefined, 'deletes by link id only');
    assert.equal((await store.source.getSourceLink(org.id))?.linkId, 'w-3');

    // The first key in use again: its pending withdrawal goes, the replaced link's is recorded.
    const fourth = link('w-4', atlasA, 'keyaaaaa');
    assert.deepEqual(await store.source.putSourceLink(fourth), withdrawalOf(third, fourth.createdAt));
    assert.deepEqual(await mine(), [withdrawalOf(third, fourth.createdAt)]);

    const deleted = await store.source.deleteSourceLink(org.id, 'w-4');
    assert.ok(deleted?.withdrawal);
    assert.ok(!Number.isNaN(Date.parse(deleted.withdrawal.recordedAt)));
    assert.deepEqual(deleted.withdrawal, withdrawalOf(fourth, deleted.withdrawal.recordedAt));
    assert.deepEqual(
      (await mine()).map((w) => w.linkId),
      ['w-3', 'w-4'],
    );

    assert.equal(await store.source.deleteSourceLinkWithdrawal('w-3'), true);
    assert.equal(await store.source.deleteSourceLinkWithdrawal('w-3'), false);
    assert.deepEqual((await mine()).map((w) => w.linkId), ['w-4']);
    assert.equal(await store.source.deleteSourceLinkWithdrawal('w-4'), true);
  });

  it('records no withdrawal while another link still uses the same Atlas org and key', async () => {
    const [x, y] = [newOrg(), newOrg()];
    await store.orgs.createOrg(x);
    await store.orgs.createOrg(y);
    const atlasOrgId = newObjectId();
    const shared = (orgId: string, linkId: string) => newSourceLink(orgId, linkId, atlasOrgId, 'keyshare', 'f'.repeat(32));
    await store.source.putSourceLink(shared(x.id, 's-x'));
    await store.source.putSourceLink(shared(y.id, 's-y'));
    assert.deepEqual(await store.source.deleteSourceLink(x.id, 's-x'), { withdrawal: undefined });
    const last = await store.source.deleteSourceLink(y.id, 's-y');
    assert.equal(last?.withdrawal?.linkId, 's-y');
    assert.equal(await store.source.deleteSourceLinkWithdrawal('s-y'), true);
  });
});
