import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newObjectId } from '../../src/domain/ids.js';
import { MAX_CLUSTERS_PER_GROUP, type ClusterRecord, type GroupRecord } from '../../src/store/groups.js';
import { UniqueViolationError, type Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/server.js';
import { openTestStore, TEST_STORE } from '../helpers/store.js';

// The projects-and-clusters port (store/groups.ts), on the suite's back end: `npm test` runs this
// file once on SQLite and once on PostgreSQL, so both keep the same promises.

const T0 = '2026-01-01T00:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString();

describe(`GroupStore contract (${TEST_STORE})`, () => {
  let store: Store;
  let dispose: () => Promise<void>;
  let orgId: string;
  before(async () => {
    ({ store, dispose } = await openTestStore(tempDir()));
    orgId = newObjectId();
    await store.orgs.createOrg({ id: orgId, name: 'Org', createdAt: T0 });
  });
  after(() => dispose());

  const newGroup = (name: string, org = orgId): GroupRecord => ({
    id: newObjectId(),
    orgId: org,
    name,
    tags: [{ key: 'env', value: 'test' }],
    withDefaultAlertsSettings: true,
    createdAt: T0,
  });
  const newCluster = (groupId: string, name: string, goneAt: string | null = null): ClusterRecord => ({
    id: newObjectId(),
    groupId,
    name,
    spec: {
      clusterType: 'REPLICASET',
      mongoDBMajorVersion: '8.0',
      mongoDBVersion: '8.0.16',
      replicationSpecs: [
        {
          id: newObjectId(),
          zoneId: newObjectId(),
          zoneName: 'Zone 1',
          regionConfigs: [{ providerName: 'AWS', regionName: 'US_EAST_1', priority: 7, electableSpecs: { instanceSize: 'M10', nodeCount: 3 } }],
        },
      ],
      backupEnabled: false,
      pitEnabled: false,
      biConnector: { enabled: false, readPreference: 'secondary' },
      terminationProtectionEnabled: false,
      paused: false,
      tags: [],
      labels: [],
      versionReleaseSystem: 'LTS',
    },
    createdAt: T0,
    readyAt: at(10),
    deleteRequestedAt: goneAt === null ? null : T0,
    goneAt,
    revision: 1,
  });

  it('stores a project and finds it by id and by name, with its cluster count', async () => {
    const group = newGroup('alpha');
    await store.groups.createGroup(group);
    assert.deepEqual(await store.groups.getGroup(group.id, T0), { group, clusterCount: 0 });
    assert.deepEqual(await store.groups.getGroupByName(orgId, 'alpha', T0), { group, clusterCount: 0 });
    assert.equal(await store.groups.getGroup(newObjectId(), T0), undefined);
    assert.equal(await store.groups.getGroupByName(orgId, 'nope', T0), undefined);
  });

  it('keeps project names unique per org, not across orgs', async () => {
    await store.groups.createGroup(newGroup('unique'));
    await assert.rejects(store.groups.createGroup(newGroup('unique')), UniqueViolationError);
    const otherOrg = newObjectId();
    await store.orgs.createOrg({ id: otherOrg, name: 'Other', createdAt: T0 });
    await store.groups.createGroup(newGroup('unique', otherOrg));
    assert.deepEqual((await store.groups.listGroups(otherOrg, T0)).map((g) => g.group.name), ['unique']);
  });

  it('updates a project and refuses a taken name', async () => {
    const group = newGroup('before');
    await store.groups.createGroup(group);
    await store.groups.createGroup(newGroup('taken'));
    assert.equal(await store.groups.updateGroup({ ...group, name: 'after', tags: [], withDefaultAlertsSettings: false }), true);
    assert.deepEqual((await store.groups.getGroup(group.id, T0))!.group, { ...group, name: 'after', tags: [], withDefaultAlertsSettings: false });
    await assert.rejects(store.groups.updateGroup({ ...group, name: 'taken' }), UniqueViolationError);
    assert.equal(await store.groups.updateGroup(newGroup('ghost')), false);
  });

  it('creates clusters with unique names, at most MAX_CLUSTERS_PER_GROUP, only in a project that exists', async () => {
    const group = newGroup('full');
    await store.groups.createGroup(group);
    assert.equal(await store.groups.createCluster(newCluster(newObjectId(), 'c'), T0), 'GROUP_NOT_FOUND');
    for (let i = 0; i < MAX_CLUSTERS_PER_GROUP; i++) assert.equal(await store.groups.createCluster(newCluster(group.id, `c${i}`), T0), 'CREATED');
    assert.equal(await store.groups.createCluster(newCluster(group.id, 'c0'), T0), 'DUPLICATE_NAME');
    assert.equal(await store.groups.createCluster(newCluster(group.id, 'one-more'), T0), 'TOO_MANY_CLUSTERS');
    assert.equal((await store.groups.getGroup(group.id, T0))!.clusterCount, MAX_CLUSTERS_PER_GROUP);
    assert.deepEqual((await store.groups.listClusters(group.id, T0)).map((c) => c.name).sort(), Array.from({ length: 25 }, (_, i) => `c${i}`).sort());
  });

  it('lets only one of many concurrent creates take the last place', async () => {
    const group = newGroup('race');
    await store.groups.createGroup(group);
    for (let i = 0; i < MAX_CLUSTERS_PER_GROUP - 1; i++) await store.groups.createCluster(newCluster(group.id, `r${i}`), T0);
    const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => store.groups.createCluster(newCluster(group.id, `last${i}`), T0)));
    assert.deepEqual(outcomes.filter((o) => o === 'CREATED').length, 1);
    assert.equal((await store.groups.listClusters(group.id, T0)).length, MAX_CLUSTERS_PER_GROUP);
  });

  it('saves a cluster change only against the revision it read (compare and set)', async () => {
    const group = newGroup('cas');
    await store.groups.createGroup(group);
    const cluster = newCluster(group.id, 'c');
    await store.groups.createCluster(cluster, T0);
    const deleting = { ...cluster, deleteRequestedAt: at(1), goneAt: at(5), revision: 2 };
    assert.equal(await store.groups.saveCluster(deleting, 1), true);
    assert.equal(await store.groups.saveCluster({ ...cluster, revision: 2 }, 1), false);
    assert.deepEqual(await store.groups.getCluster(group.id, 'c', at(2)), deleting);
  });

  it('hides a cluster once it is gone, frees its name, and lets its project go', async () => {
    const group = newGroup('lifecycle');
    await store.groups.createGroup(group);
    await store.groups.createCluster(newCluster(group.id, 'c', at(5)), T0);
    assert.equal(await store.groups.deleteGroup(group.id, at(4)), 'HAS_CLUSTERS');
    assert.equal((await store.groups.getCluster(group.id, 'c', at(4)))?.name, 'c');
    assert.equal(await store.groups.getCluster(group.id, 'c', at(5)), undefined);
    assert.deepEqual(await store.groups.listClusters(group.id, at(5)), []);
    assert.equal((await store.groups.getGroup(group.id, at(5)))!.clusterCount, 0);
    assert.equal(await store.groups.createCluster(newCluster(group.id, 'c'), at(6)), 'CREATED');
    assert.equal(await store.groups.deleteGroup(group.id, at(6)), 'HAS_CLUSTERS');
    const [again] = await store.groups.listClusters(group.id, at(6));
    assert.equal(await store.groups.saveCluster({ ...again!, deleteRequestedAt: at(6), goneAt: at(7), revision: 2 }, 1), true);
    assert.equal(await store.groups.deleteGroup(group.id, at(7)), 'DELETED');
    assert.equal(await store.groups.getGroup(group.id, at(7)), undefined);
    assert.equal(await store.groups.deleteGroup(group.id, at(7)), 'NOT_FOUND');
  });

  it('lists an org\'s projects oldest first', async () => {
    const org = newObjectId();
    await store.orgs.createOrg({ id: org, name: 'Ordered', createdAt: T0 });
    const first = { ...newGroup('first', org), createdAt: at(1) };
    const second = { ...newGroup('second', org), createdAt: at(2) };
    await store.groups.createGroup(second);
    await store.groups.createGroup(first);
    assert.deepEqual((await store.groups.listGroups(org, T0)).map((g) => g.group.name), ['first', 'second']);
  });
});
