import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createApiKey, deleteApiKey } from '../../src/domain/apiKeys.js';
import { DomainError } from '../../src/domain/errors.js';
import { encodeLinkToken, issueLinkToken, revokeLink } from '../../src/domain/links.js';
import { linkKeyStatus, showLinkToken } from '../../src/domain/linkTokenInspection.js';
import { createOrg } from '../../src/domain/orgs.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { RETIRED_LINK_KEY_RETENTION_DAYS, RETIRED_LINK_KEY_RETENTION_MS } from '../../src/store/links.js';
import { tempDir } from '../helpers/server.js';

describe('link-token inspection', () => {
  let dir: string;
  let store: SqliteStore;
  before(() => {
    dir = tempDir();
    store = SqliteStore.open(dir);
  });
  after(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows the fields with the private key masked but for its last four characters', () => {
    const contents = { orgId: 'a'.repeat(24), orgName: 'Acme', privateApiKey: '00000000-1111-4222-8333-444444449876', publicApiKey: 'abcdwxyz' };
    const { shown } = showLinkToken(encodeLinkToken(contents));
    assert.deepEqual(shown, { ...contents, privateApiKey: '********-****-****-****-********9876' });
    assert.throws(() => showLinkToken('not a token'), (e: Error) => e instanceof DomainError && e.kind === 'INVALID_LINK_TOKEN');
  });

  it('tells current, superseded, deleted, key-mismatch and unknown apart', async () => {
    const org = await createOrg(store, 'Acme');
    const first = await issueLinkToken(store, org.id, []);
    const firstContents = showLinkToken(first.linkToken).contents;
    assert.deepEqual(await linkKeyStatus(store, firstContents), { state: 'current' });
    assert.equal((await linkKeyStatus(store, { ...firstContents, privateApiKey: '00000000-0000-4000-8000-000000000000' })).state, 'key-mismatch');

    const second = await issueLinkToken(store, org.id, []);
    const superseded = await linkKeyStatus(store, firstContents);
    assert.equal(superseded.state, 'superseded');
    assert.ok(superseded.retiredAt && !Number.isNaN(Date.parse(superseded.retiredAt)));
    const secondContents = showLinkToken(second.linkToken).contents;
    assert.equal((await linkKeyStatus(store, secondContents)).state, 'current');

    await revokeLink(store, org.id);
    assert.equal((await linkKeyStatus(store, secondContents)).state, 'deleted');
    assert.equal((await linkKeyStatus(store, firstContents)).state, 'superseded', 'an older key keeps its own story');

    // A link key deleted as an API key (pushlink apikey delete) is deleted too.
    const third = showLinkToken((await issueLinkToken(store, org.id, [])).linkToken).contents;
    await deleteApiKey(store, org.id, third.publicApiKey);
    assert.equal((await linkKeyStatus(store, third)).state, 'deleted');
  });

  it('says unknown for keys of another org, ordinary API keys and keys it never held', async () => {
    const org = await createOrg(store, 'One');
    const other = await createOrg(store, 'Two');
    const link = showLinkToken((await issueLinkToken(store, org.id, [])).linkToken).contents;
    assert.equal((await linkKeyStatus(store, { ...link, orgId: other.id })).state, 'unknown');
    const user = await createApiKey(store, { orgId: org.id, roles: ['ORG_OWNER'], accessList: [] });
    assert.equal((await linkKeyStatus(store, { ...link, publicApiKey: user.record.publicKey, privateApiKey: user.privateKey })).state, 'unknown');
    assert.equal((await linkKeyStatus(store, { ...link, publicApiKey: 'qqqqqqqq' })).state, 'unknown');
    await issueLinkToken(store, org.id, []);
    assert.equal((await linkKeyStatus(store, { ...link, orgId: other.id })).state, 'unknown', 'a retired key of another org');
  });

  it(`says unknown for a key retired more than ${RETIRED_LINK_KEY_RETENTION_DAYS} days ago, once its record is pruned`, async () => {
    const org = await createOrg(store, 'Three');
    const old = showLinkToken((await issueLinkToken(store, org.id, [])).linkToken).contents;
    await issueLinkToken(store, org.id, []);
    const retired = await linkKeyStatus(store, old);
    assert.equal(retired.state, 'superseded');
    await store.housekeeping.pruneExpired(Date.parse(retired.retiredAt!) + RETIRED_LINK_KEY_RETENTION_MS - 1);
    assert.equal((await linkKeyStatus(store, old)).state, 'superseded', 'kept for the whole retention');
    await store.housekeeping.pruneExpired(Date.parse(retired.retiredAt!) + RETIRED_LINK_KEY_RETENTION_MS + 1);
    assert.deepEqual(await linkKeyStatus(store, old), { state: 'unknown' });
  });
});
