import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mintApiKey } from '../../src/domain/apiKeys.js';
import { newObjectId } from '../../src/domain/ids.js';
import { RETIRED_LINK_KEY_RETENTION_DAYS, RETIRED_LINK_KEY_RETENTION_MS } from '../../src/store/links.js';
import { type Org } from '../../src/store/orgs.js';
import { type ServiceAccountRecord } from '../../src/store/serviceAccounts.js';
import { type SourceLinkRecord } from '../../src/store/source.js';
import { UniqueViolationError, type Store } from '../../src/store/store.js';

/** Rejects when `work` takes longer than `ms`, so a stalled store fails the test instead of hanging it. */
function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not done within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

const DAY_MS = 86_400_000;

// The behaviour every Store back end must have. Each back end's test file calls this with a
// factory for a fresh, empty store (and, when the back end cannot run here, the reason to skip).

export function storeContract(
  name: string,
  open: () => Promise<Store>,
  teardown: (store: Store) => Promise<void>,
  options: { skip?: string | undefined } = {},
): void {
  describe(`Store contract: ${name}`, { skip: options.skip }, () => {
    let store: Store;
    before(async () => {
      store = await open();
    });
    after(async () => {
      await teardown(store);
    });

    const newOrg = (orgName = 'Org'): Org => ({ id: newObjectId(), name: orgName, createdAt: new Date().toISOString() });
    const linkKey = (orgId: string) =>
      mintApiKey({ orgId, roles: ['ORG_READ_ONLY'], accessList: ['10.0.0.0/8'], description: 'link', purpose: 'LIVE_MIGRATION_LINK' });
    const account = (orgId: string): ServiceAccountRecord => ({
      clientId: `mdb_sa_id_${newObjectId()}`,
      orgId,
      secretHash: 'f'.repeat(64),
      roles: ['ORG_OWNER'],
      accessList: [],
      name: 'sa',
      createdAt: new Date().toISOString(),
    });
    /** A source link as completing one first records it: not yet synced. */
    const newSourceLink = (orgId: string, linkId: string, atlasOrgId: string, publicKey: string, ha1 = publicKey.padEnd(32, '0')): SourceLinkRecord => ({
      orgId,
      linkId,
      atlasOrgId,
      atlasOrgName: 'Atlas Org',
      publicKey,
      ha1,
      status: 'NOT_SYNCED',
      reason: null,
      syncedVersion: null,
      lastAttemptAt: null,
      lastSyncedAt: null,
      createdAt: new Date().toISOString(),
    });

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

    it('accepts each digest (nonce, nc) once, even under concurrency', async () => {
      const expires = Date.now() + 60_000;
      assert.equal(await store.housekeeping.useDigestNonce('n1', '00000001', expires), true);
      assert.equal(await store.housekeeping.useDigestNonce('n1', '00000001', expires), false);
      assert.equal(await store.housekeeping.useDigestNonce('n1', '00000002', expires), true);
      const results = await Promise.all(Array.from({ length: 25 }, () => store.housekeeping.useDigestNonce('n2', '00000001', expires)));
      assert.equal(results.filter(Boolean).length, 1);
    });

    it('prunes expired replay records and revocations only', async () => {
      const now = Date.now();
      await store.housekeeping.useDigestNonce('old', '00000001', now - 1);
      await store.housekeeping.useDigestNonce('live', '00000001', now + 60_000);
      await store.serviceAccounts.revokeAccessToken('old-jti', now - 1);
      await store.serviceAccounts.revokeAccessToken('live-jti', now + 60_000);
      await store.housekeeping.pruneExpired(now);
      assert.equal(await store.housekeeping.useDigestNonce('old', '00000001', now + 60_000), true, 'pruned record is gone');
      assert.equal(await store.housekeeping.useDigestNonce('live', '00000001', now + 60_000), false);
      assert.equal((await store.serviceAccounts.findTokenSubject('x', 'old-jti')).revoked, false);
      assert.equal((await store.serviceAccounts.findTokenSubject('x', 'live-jti')).revoked, true);
    });

    it('prunes in chunks: exactly the expired replay records and revocations, however many chunks they take', async () => {
      const now = Date.now();
      const chunkRows = 7;
      const expired = Array.from({ length: 3 * chunkRows + 2 }, (_, i) => `chunked-expired-${i}`);
      const live = Array.from({ length: 4 }, (_, i) => `chunked-live-${i}`);
      await Promise.all(expired.map((id, i) => store.housekeeping.useDigestNonce(id, '00000001', now - 1 - i)));
      await Promise.all(expired.map((id, i) => store.serviceAccounts.revokeAccessToken(id, now - 1 - i)));
      await Promise.all(live.map((id) => store.housekeeping.useDigestNonce(id, '00000001', now + 60_000)));
      await Promise.all(live.map((id) => store.serviceAccounts.revokeAccessToken(id, now + 60_000)));
      // Expiring exactly now is not expired yet.
      await store.housekeeping.useDigestNonce('chunked-edge', '00000001', now);
      await store.serviceAccounts.revokeAccessToken('chunked-edge', now);

      let commits = 0;
      const stop = store.observeCommits?.(() => (commits += 1));
      await store.housekeeping.pruneExpired(now, { chunkRows });
      stop?.();
      if (stop) assert.ok(commits >= 2 * Math.ceil(expired.length / chunkRows), `${commits} commits: one per chunk`);

      for (const id of expired) {
        assert.equal((await store.serviceAccounts.findTokenSubject('x', id)).revoked, false, `${id} revocation pruned`);
        assert.equal(await store.housekeeping.useDigestNonce(id, '00000001', now + 60_000), true, `${id} nonce use pruned`);
      }
      for (const id of [...live, 'chunked-edge']) {
        assert.equal((await store.serviceAccounts.findTokenSubject('x', id)).revoked, true, `${id} revocation kept`);
        assert.equal(await store.housekeeping.useDigestNonce(id, '00000001', now + 60_000), false, `${id} nonce use kept`);
      }
    });

    it(`prunes the records of link keys retired more than ${RETIRED_LINK_KEY_RETENTION_DAYS} days ago, in chunks, and keeps the others`, async () => {
      // Later than every record the suite's other tests retired (at the real now): pruning goes in
      // retirement order, and theirs come first.
      const now = Date.now() + 1000 * DAY_MS;
      const org = newOrg();
      await store.orgs.createOrg(org);
      // Each replacement retires the previous key at the new key's creation time.
      const at = (msAgo: number) => new Date(now - msAgo).toISOString();
      const createdAgo = [...Array.from({ length: 9 }, (_, i) => (120 - i) * DAY_MS), RETIRED_LINK_KEY_RETENTION_MS + 1000, RETIRED_LINK_KEY_RETENTION_MS - 60_000, 5 * DAY_MS, 0];
      const keys = createdAgo.map((ago) => ({ ...linkKey(org.id).record, createdAt: at(ago) }));
      for (const key of keys) await store.links.replaceLink(key);
      // keys[i] retired at keys[i + 1]'s creation: keys[0..8] more than the retention ago, keys[9..11] less.
      await store.housekeeping.pruneExpired(now, { chunkRows: 2 });
      for (const key of keys.slice(0, 9)) assert.equal(await store.links.findRetiredLinkKey(org.id, key.publicKey), undefined, `created ${key.createdAt}`);
      for (const key of keys.slice(9, 12)) assert.equal((await store.links.findRetiredLinkKey(org.id, key.publicKey))?.reason, 'ROTATED', `created ${key.createdAt}`);
      assert.equal((await store.links.getLink(org.id))?.apiKeyId, keys[12]!.id, 'the current link is untouched');
    });

    it('prunes retired link keys oldest first, up to the first record not yet old enough, which holds the ones after it until it is', async () => {
      const now = Date.now() + 2000 * DAY_MS; // as above, and after the previous test's records
      const org = newOrg();
      await store.orgs.createOrg(org);
      const old = RETIRED_LINK_KEY_RETENTION_MS + DAY_MS;
      // keys[i] retires at keys[i + 1]'s creation. keys[3] retires "young": the clock was set back
      // a while; keys[4] and keys[5] retire old again, after it in retirement order.
      const createdAgo = [200 * DAY_MS, old + 30, old + 20, old + 10, RETIRED_LINK_KEY_RETENTION_MS - DAY_MS, old + 5, old + 1, 0];
      const keys = createdAgo.map((ago) => ({ ...linkKey(org.id).record, createdAt: new Date(now - ago).toISOString() }));
      for (const key of keys) await store.links.replaceLink(key);
      const kept = async () => {
        const found = await Promise.all(keys.slice(0, 7).map((key) => store.links.findRetiredLinkKey(org.id, key.publicKey)));
        return found.map((record) => record !== undefined);
      };
      await store.housekeeping.pruneExpired(now, { chunkRows: 2 });
      assert.deepEqual(await kept(), [false, false, false, true, true, true, true]);
      // Two days on, the out-of-order record is old enough, and so are those it held.
      await store.housekeeping.pruneExpired(now + 2 * DAY_MS, { chunkRows: 2 });
      assert.deepEqual(await kept(), [false, false, false, false, false, false, true]);
    });

    it('lets other writes through between pruning chunks', async () => {
      const now = Date.now();
      await Promise.all(Array.from({ length: 60 }, (_, i) => store.housekeeping.useDigestNonce(`interleaved-${i}`, '00000001', now - 1)));
      let firstChunk!: () => void;
      const firstChunkDone = new Promise<void>((resolve) => (firstChunk = resolve));
      const stop = store.observeCommits?.(() => firstChunk());
      let pruned = false;
      const pruning = store.housekeeping.pruneExpired(now, { chunkRows: 2 }).then(() => (pruned = true));
      if (stop) await firstChunkDone;
      stop?.();
      await store.serviceAccounts.revokeAccessToken('while-pruning', now + 60_000);
      assert.equal(pruned, false, 'a write made while pruning ran is answered before pruning ends');
      await pruning;
      assert.equal(await store.housekeeping.useDigestNonce('interleaved-0', '00000001', now + 60_000), true);
    });

    it('takes rate-limit tokens atomically: exactly capacity succeed under concurrency', async () => {
      const policy = { capacity: 30, refillAmount: 10, refillPeriodMs: 60_000 };
      const now = Date.now();
      const decisions = await Promise.all(Array.from({ length: 45 }, () => store.housekeeping.takeRateLimitToken('bucket-a', policy, now)));
      assert.equal(decisions.filter((d) => d.allowed).length, 30);
      assert.deepEqual(
        decisions.filter((d) => d.allowed).map((d) => d.remaining).sort((a, b) => a - b),
        Array.from({ length: 30 }, (_, i) => i),
      );
      const refused = decisions.find((d) => !d.allowed)!;
      assert.ok(refused.retryAfterSeconds >= 59 && refused.retryAfterSeconds <= 60);
      const later = await store.housekeeping.takeRateLimitToken('bucket-a', policy, now + 60_000);
      assert.deepEqual(later, { allowed: true, remaining: 9, retryAfterSeconds: 0 });
      assert.ok((await store.housekeeping.takeRateLimitToken('bucket-b', policy, now)).allowed, 'buckets are independent');
    });

    it('creates a named secret once and returns it after', async () => {
      const a = await store.housekeeping.getOrCreateSecret('test-secret', () => Buffer.from('first'));
      const b = await store.housekeeping.getOrCreateSecret('test-secret', () => Buffer.from('second'));
      assert.deepEqual(a, Buffer.from('first'));
      assert.deepEqual(b, Buffer.from('first'));
      const raced = await Promise.all(Array.from({ length: 10 }, (_, i) => store.housekeeping.getOrCreateSecret('raced', () => Buffer.from(`v${i}`))));
      assert.equal(new Set(raced.map((r) => r.toString())).size, 1);
    });

    it('answers ping', async () => {
      await store.ping();
    });

    it('reports committed writes to commit observers until they unsubscribe, when it supports them', async (t) => {
      if (!store.observeCommits) {
        t.skip(`the ${name} back end has no commit observer`);
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
        t.skip(`the ${name} back end has no commit observer`);
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
        t.skip(`the ${name} back end has no commit observer`);
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
}
