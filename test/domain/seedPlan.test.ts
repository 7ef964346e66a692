import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, beforeEach, describe, it } from 'node:test';
import { verifyClientCredentials } from '../../src/domain/serviceAccounts.js';
import { digestHa1 } from '../../src/httpDigest.js';
import { parseSeedFile, SeedError } from '../../src/domain/seedFile.js';
import { applySeed } from '../../src/domain/seedPlan.js';
import { UniqueViolationError, type Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/server.js';
import { openTestStore } from '../helpers/store.js';
import { SEED_YAML } from '../helpers/seed.js';

// Applying a seed against a real store of the suite's back end: once, idempotently, all or nothing.

const NOW = new Date('2026-12-01T00:00:00Z');

describe('applying a seed', () => {
  let dir: string;
  let opened: Awaited<ReturnType<typeof openTestStore>> | undefined;
  let store: Store;
  beforeEach(async () => {
    await opened?.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = tempDir();
    opened = await openTestStore(dir);
    store = opened.store;
  });
  after(async () => {
    await opened?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates what the file gives, storing only hashes, and the secrets authenticate', async () => {
    const plan = await applySeed(store, parseSeedFile(SEED_YAML), NOW);
    assert.deepEqual([plan.orgs.length, plan.apiKeys.length, plan.serviceAccounts.length, plan.unchanged], [1, 1, 1, 0]);
    assert.deepEqual(await store.orgs.getOrg('5f0000000000000000000001'), { id: '5f0000000000000000000001', name: 'Acme', createdAt: NOW.toISOString() });
    const key = await store.orgs.findApiKeyByPublicKey('abcdwxyz');
    assert.equal(key?.ha1, digestHa1('abcdwxyz', '00000000-1111-4222-8333-444444444444'));
    assert.deepEqual([key?.roles, key?.accessList, key?.purpose, key?.privateKeyHint], [['ORG_OWNER'], ['127.0.0.1', '::1'], 'USER', '4444']);
    assert.ok(await verifyClientCredentials(store, 'mdb_sa_id_0123456789abcdef01234567', 'mdb_sa_sk_anything-the-file-says'));
    assert.equal(await verifyClientCredentials(store, 'mdb_sa_id_0123456789abcdef01234567', 'mdb_sa_sk_other'), undefined);
  });

  it('changes nothing when the same file is applied again', async () => {
    await applySeed(store, parseSeedFile(SEED_YAML), NOW);
    const before = await store.orgs.listApiKeys('5f0000000000000000000001');
    const again = await applySeed(store, parseSeedFile(SEED_YAML), new Date(NOW.getTime() + 60_000));
    assert.deepEqual([again.orgs.length, again.apiKeys.length, again.serviceAccounts.length, again.unchanged], [0, 0, 0, 3]);
    assert.deepEqual(await store.orgs.listApiKeys('5f0000000000000000000001'), before);
    assert.equal(await store.orgs.countOrgs(), 1);
  });

  it('adds what a grown file adds, and keeps what was there', async () => {
    await applySeed(store, parseSeedFile(SEED_YAML), NOW);
    const grown = `${SEED_YAML}  - id: 5f0000000000000000000002\n    name: Beta\n`;
    const plan = await applySeed(store, parseSeedFile(grown), NOW);
    assert.deepEqual([plan.orgs.map((o) => o.id), plan.unchanged], [['5f0000000000000000000002'], 3]);
    assert.equal(await store.orgs.countOrgs(), 2);
  });

  it('creates the projects the file gives, once; a stored project of another name is refused', async () => {
    const withProject = `${SEED_YAML}    projects:\n      - {id: 5f00000000000000000000b1, name: destination}\n`;
    const plan = await applySeed(store, parseSeedFile(withProject), NOW);
    assert.deepEqual(plan.projects.map((g) => [g.id, g.orgId, g.name]), [['5f00000000000000000000b1', '5f0000000000000000000001', 'destination']]);
    assert.equal((await store.groups.getGroup('5f00000000000000000000b1', NOW.toISOString()))?.group.name, 'destination');
    const again = await applySeed(store, parseSeedFile(withProject), NOW);
    assert.deepEqual([again.projects.length, again.unchanged], [0, 4]);
    await assert.rejects(applySeed(store, parseSeedFile(withProject.replace('name: destination', 'name: renamed')), NOW), (error: unknown) => {
      assert.ok(error instanceof SeedError);
      assert.match(error.message, /^orgs\[0\]\.projects\[0\]\.name: project 5f00000000000000000000b1 is stored with the name "destination", the seed says "renamed"$/);
      return true;
    });
    const otherId = withProject.replace('5f00000000000000000000b1', '5f00000000000000000000b2');
    await assert.rejects(applySeed(store, parseSeedFile(otherId), NOW), /^SeedError: orgs\[0\]\.projects\[0\]\.name: the organization already has a project named destination \(5f00000000000000000000b1\)$/);
  });

  it('inserts in one transaction: a record that collides at insert time (another writer) leaves none of the seed behind', async () => {
    await applySeed(store, parseSeedFile(SEED_YAML), NOW);
    const taken = (await store.orgs.findApiKeyByPublicKey('abcdwxyz'))!;
    const org = { id: '5f00000000000000000000aa', name: 'Late', createdAt: NOW.toISOString() };
    await assert.rejects(
      store.orgs.insertSeed({ orgs: [org], apiKeys: [{ ...taken, id: '5f00000000000000000000ab', orgId: org.id }], serviceAccounts: [] }),
      UniqueViolationError,
    );
    assert.equal(await store.orgs.getOrg(org.id), undefined, 'the org inserted before the collision was rolled back with it');
  });

  const conflicts: Array<[string, (yaml: string) => string, RegExp]> = [
    ['another private key', (y) => y.replace('444444444444\n', '444444444445\n'), /^orgs\[0\]\.apiKeys\[0\]\.privateKey: API key abcdwxyz is stored with another private key$/],
    ['another client secret', (y) => y.replace('the-file-says', 'the-file-said'), /^orgs\[0\]\.serviceAccounts\[0\]\.clientSecret: service account mdb_sa_id_0123456789abcdef01234567 is stored with another client secret$/],
    ['another org name', (y) => y.replace('name: Acme', 'name: Acme Corp'), /^orgs\[0\]\.name: organization 5f0000000000000000000001 is stored with the name "Acme", the seed says "Acme Corp"$/],
    ['other roles', (y) => y.replace('roles: [ORG_OWNER]\n        accessList', 'roles: [ORG_MEMBER]\n        accessList'), /^orgs\[0\]\.apiKeys\[0\]\.roles: API key abcdwxyz is stored with \[ORG_OWNER\], the seed says \[ORG_MEMBER\]$/],
    ['another access list', (y) => y.replace('[127.0.0.1, "::1"]', '[127.0.0.1]'), /^orgs\[0\]\.apiKeys\[0\]\.accessList: /],
    [
      'the key in another org',
      (y) => y.replace('5f0000000000000000000001', '5f0000000000000000000003').replace('mdb_sa_id_0123456789abcdef01234567', 'mdb_sa_id_0123456789abcdef01234568'),
      /^orgs\[0\]\.apiKeys\[0\]\.publicKey: API key abcdwxyz belongs to another organization \(5f0000000000000000000001\)$/,
    ],
  ];
  for (const [what, change, message] of conflicts) {
    it(`refuses a seed whose stored ids carry ${what}, naming the field, and applies none of it`, async () => {
      await applySeed(store, parseSeedFile(SEED_YAML), NOW);
      // The changed file also adds an org of its own: refused with the rest, it must not appear.
      const changed = `${change(SEED_YAML)}  - id: 5f00000000000000000000ff\n    name: New\n`;
      await assert.rejects(applySeed(store, parseSeedFile(changed), NOW), (error: unknown) => {
        assert.ok(error instanceof SeedError);
        assert.match(error.message, message);
        return true;
      });
      assert.equal(await store.orgs.getOrg('5f00000000000000000000ff'), undefined);
      assert.equal(await store.orgs.getOrg('5f0000000000000000000003'), undefined);
    });
  }
});
