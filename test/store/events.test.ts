import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { always, ifWritten, LOCAL_ADMIN, NOBODY, newEvent } from '../../src/domain/events.js';
import { newObjectId } from '../../src/domain/ids.js';
import { mintApiKey } from '../../src/domain/apiKeys.js';
import type { GroupRecord } from '../../src/store/groups.js';
import { UniqueViolationError, type Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/server.js';
import { openTestStore, TEST_STORE } from '../helpers/store.js';

// The audit trail's port (store/events.ts), on the suite's back end: events are written in the
// transaction of the change they record (a refused change records none), scheduled ones show only
// once the clock passes them and a later change can cancel them, and lists filter as Atlas's do.

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const iso = (seconds: number) => at(seconds).toISOString();
const BY = { actor: { apiKeyId: 'a'.repeat(24), publicKey: 'abcdwxyz' }, remoteAddress: '127.0.0.1' };

describe(`EventStore contract (${TEST_STORE})`, () => {
  let store: Store;
  let dispose: () => Promise<void>;
  let orgId: string;
  let group: GroupRecord;
  const list = (extra: Partial<Parameters<Store['events']['listEvents']>[0]> = {}) =>
    store.events.listEvents({ orgId, now: iso(1000), skip: 0, limit: 100, ...extra });

  before(async () => {
    ({ store, dispose } = await openTestStore(tempDir()));
    orgId = newObjectId();
    await store.orgs.createOrg({ id: orgId, name: 'Org', createdAt: iso(0) });
    group = { id: newObjectId(), orgId, name: 'p', tags: [], withDefaultAlertsSettings: true, createdAt: iso(1) };
    await store.groups.createGroup(group, always(newEvent('GROUP_CREATED', { orgId, groupId: group.id }, BY, at(1))));
  });
  after(() => dispose());

  it('writes an audited change and its events together; a refused change writes none', async () => {
    const { record } = mintApiKey({ orgId, roles: ['ORG_MEMBER'], accessList: [], description: '', purpose: 'USER', now: at(2) });
    const created = newEvent('API_KEY_CREATED', { orgId }, BY, at(2), { targetPublicKey: record.publicKey });
    await store.orgs.insertApiKey(record, always(created));
    // The same key again: the unique index refuses it, and its event goes with it.
    await assert.rejects(store.orgs.insertApiKey(record, always(newEvent('API_KEY_CREATED', { orgId }, BY, at(3), { targetPublicKey: 'again' }))), UniqueViolationError);
    // A delete that deletes nothing records nothing (ifWritten).
    assert.equal(await store.orgs.deleteApiKey(orgId, 'nosuchke', ifWritten(newEvent('API_KEY_DELETED', { orgId }, BY, at(4)))), false);
    const { results, totalCount } = await list({ groupId: null });
    assert.equal(totalCount, 1);
    assert.deepEqual(results[0], created);
  });

  it("lists newest first; the org's own feed, a project's, or all", async () => {
    assert.deepEqual((await list({ groupId: group.id })).results.map((e) => e.eventTypeName), ['GROUP_CREATED']);
    assert.deepEqual((await list({ groupId: null })).results.map((e) => e.eventTypeName), ['API_KEY_CREATED']);
    assert.deepEqual((await list()).results.map((e) => e.eventTypeName), ['API_KEY_CREATED', 'GROUP_CREATED']);
    assert.equal((await list({ groupId: newObjectId() })).totalCount, 0);
    assert.equal((await store.events.listEvents({ orgId: newObjectId(), now: iso(1000), skip: 0, limit: 10 })).totalCount, 0);
  });

  it('shows a scheduled event once the clock passes it, unless a later change cancelled it', async () => {
    const subject = newObjectId();
    const other = newObjectId();
    await store.groups.createGroup(
      { ...group, id: newObjectId(), name: 'q', createdAt: iso(10) },
      always(
        newEvent('CLUSTER_CREATED', { orgId, groupId: group.id }, BY, at(10), { clusterName: 'c' }),
        newEvent('CLUSTER_READY', { orgId, groupId: group.id }, NOBODY, at(20), { clusterName: 'c' }, subject),
        newEvent('CLUSTER_READY', { orgId, groupId: group.id }, NOBODY, at(30), { clusterName: 'd' }, other),
      ),
    );
    const types = async (now: number) => (await list({ groupId: group.id, now: iso(now) })).results.map((e) => `${e.eventTypeName}:${e.fields.clusterName ?? ''}`);
    assert.deepEqual(await types(15), ['CLUSTER_CREATED:c', 'GROUP_CREATED:']);
    assert.deepEqual(await types(25), ['CLUSTER_READY:c', 'CLUSTER_CREATED:c', 'GROUP_CREATED:']);
    assert.equal(await store.events.getEvent(orgId, (await list({ groupId: group.id })).results[0]!.id, iso(25)), undefined, 'not yet happened at 25 s');
    // At 26 s the other cluster is deleted before it was ready: its READY goes, DELETED comes.
    const { record } = mintApiKey({ orgId, roles: ['ORG_MEMBER'], accessList: [], description: '', purpose: 'USER', now: at(26) });
    await store.orgs.insertApiKey(record, () => ({
      cancel: { subjectId: other, after: iso(26) },
      events: [newEvent('CLUSTER_DELETED', { orgId, groupId: group.id }, NOBODY, at(29), { clusterName: 'd' }, other)],
    }));
    assert.deepEqual(await types(1000), ['CLUSTER_DELETED:d', 'CLUSTER_READY:c', 'CLUSTER_CREATED:c', 'GROUP_CREATED:']);
  });

  it('filters by event type and time (inclusive), pages, and counts all that match', async () => {
    const ready = await list({ eventTypes: ['CLUSTER_READY', 'CLUSTER_DELETED'] });
    assert.deepEqual(ready.results.map((e) => e.eventTypeName), ['CLUSTER_DELETED', 'CLUSTER_READY']);
    assert.deepEqual((await list({ minDate: iso(2), maxDate: iso(10) })).results.map((e) => e.created), [iso(10), iso(2)]);
    const page2 = await list({ skip: 2, limit: 2 });
    assert.equal(page2.totalCount, 5);
    assert.deepEqual(page2.results.map((e) => e.eventTypeName), ['CLUSTER_CREATED', 'API_KEY_CREATED']);
  });

  it('keeps actor, address and fields as written, and the local admin as such', async () => {
    const { record } = mintApiKey({ orgId, roles: ['ORG_MEMBER'], accessList: [], description: '', purpose: 'USER', now: at(40) });
    await store.orgs.insertApiKey(record, always(newEvent('API_KEY_CREATED', { orgId }, LOCAL_ADMIN, at(40), { targetPublicKey: record.publicKey, n: 3, ok: true })));
    const [latest] = (await list({ groupId: null })).results;
    assert.deepEqual(latest!.actor, { localAdmin: true });
    assert.equal(latest!.remoteAddress, null);
    assert.deepEqual(latest!.fields, { targetPublicKey: record.publicKey, n: 3, ok: true });
  });

  it('prunes events older than the retention, in chunks', async () => {
    assert.equal(await store.events.pruneEvents(iso(10), 1), 2);
    assert.deepEqual((await list()).results.map((e) => e.created).filter((c) => c < iso(10)), []);
    assert.equal((await list()).totalCount, 4);
  });
});
