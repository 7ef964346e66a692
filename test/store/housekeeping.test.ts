import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RETIRED_LINK_KEY_RETENTION_DAYS, RETIRED_LINK_KEY_RETENTION_MS } from '../../src/store/links.js';
import { type Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/server.js';
import { openTestStore, TEST_STORE } from '../helpers/store.js';
import { DAY_MS, newOrg, linkKey } from './fixtures.js';

// Digest nonces, pruning, rate limits, server secrets (store/housekeeping.ts), on the suite's back
// end: `npm test` runs this file once on SQLite and once on PostgreSQL, so both keep the same
// promises.

describe(`HousekeepingStore contract (${TEST_STORE})`, () => {
  let store: Store;
  let dispose: () => Promise<void>;
  before(async () => {
    ({ store, dispose } = await openTestStore(tempDir()));
  });
  after(() => dispose());

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
});
