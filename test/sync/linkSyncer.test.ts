import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import { newObjectId } from '../../src/domain/ids.js';
import { encodeLinkToken } from '../../src/domain/links.js';
import { createOrg } from '../../src/domain/orgs.js';
import { completeSourceLink, removeSourceLink } from '../../src/domain/sourceLinks.js';
import type { Store } from '../../src/store/store.js';
import { LinkSyncer } from '../../src/sync/linkSyncer.js';
import { apiErrorAnswer, startFakeAtlas, withDigestChallenge, type FakeAtlas, type FakeAtlasAnswer } from '../helpers/fakeAtlas.js';
import { tempDir } from '../helpers/server.js';
import { eventually } from '../helpers/source.js';
import { openTestStore } from '../helpers/store.js';

// Withdrawals of deleted or replaced links, against a fake Atlas whose answers the test sets.

function recordingLogger() {
  const entries: Array<{ level: string; msg: string; fields: Record<string, unknown> }> = [];
  const at = (level: string) => (fields: Record<string, unknown>, msg: string) => void entries.push({ level, msg, fields });
  const log = { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug'), trace: at('trace'), fatal: at('fatal') };
  return { entries, log: { ...log, child: () => log, level: 'info', silent: () => {} } as unknown as FastifyBaseLogger };
}

describe('the syncer withdraws what deleted and replaced links pushed', () => {
  let dataDir: string;
  let store: Store;
  let dispose: () => Promise<void>;
  let fake: FakeAtlas;
  let answer: FakeAtlasAnswer;
  let orgId: string;
  let logs: ReturnType<typeof recordingLogger>;
  let syncer: LinkSyncer;

  const atlasOrgId = newObjectId();
  const token = (publicApiKey: string, org = atlasOrgId) =>
    encodeLinkToken({ orgId: org, orgName: 'Atlas', privateApiKey: '00000000-1111-4222-8333-444444444444', publicApiKey });
  const withdrawalsOf = (key: string) => fake.requests.filter((r) => r.method === 'DELETE' && r.publicKey === key);
  const pending = async () => (await store.source.listSourceLinkWithdrawals()).map((w) => w.publicKey);

  /** Links with `key`, then deletes the link: the withdrawal it leaves. */
  async function deletedLink(key: string) {
    const { link } = await completeSourceLink(store, orgId, token(key));
    const withdrawal = await removeSourceLink(store, link);
    assert.ok(withdrawal);
    return withdrawal;
  }

  before(async () => {
    dataDir = tempDir('pushlink-syncer-');
    ({ store, dispose } = await openTestStore(dataDir));
    orgId = (await createOrg(store, 'Source')).id;
    fake = await startFakeAtlas(withDigestChallenge((r) => (r.method === 'DELETE' ? answer : { status: 204 })));
  });
  after(async () => {
    await syncer?.stop();
    await fake.close();
    await dispose();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await syncer?.stop();
    for (const w of await store.source.listSourceLinkWithdrawals()) await store.source.deleteSourceLinkWithdrawal(w.linkId);
    fake.requests.length = 0;
    logs = recordingLogger();
    syncer = new LinkSyncer(store, () => ({ baseUrl: new URL(fake.url), timeoutMs: 2000 }), logs.log, 100);
  });

  it('keeps the record while Atlas fails or cannot be reached, logs that once, and drops it when Atlas acknowledges', async () => {
    const withdrawal = await deletedLink('keyfirst');
    answer = apiErrorAnswer(503, 'SERVICE_UNAVAILABLE', 'down for maintenance');
    assert.equal(await syncer.withdraw(withdrawal), false);
    assert.equal(await syncer.withdraw(withdrawal), false);
    assert.deepEqual(await pending(), ['keyfirst']);
    const unreachable = new LinkSyncer(store, () => ({ baseUrl: new URL('http://127.0.0.1:1'), timeoutMs: 2000 }), logs.log, 100);
    assert.equal(await unreachable.withdraw(withdrawal), false);
    assert.deepEqual(await pending(), ['keyfirst']);
    assert.equal(logs.entries.filter((e) => e.level === 'warn').length, 2, 'each failure once, however often it repeats');

    answer = { status: 204 };
    assert.equal(await syncer.withdraw(withdrawal), true);
    assert.deepEqual(await pending(), []);
    const calls = withdrawalsOf('keyfirst');
    assert.equal(calls.length, 3);
    assert.equal(calls[2]!.url, `/api/private/liveMigrations/orgs/${atlasOrgId}/inventory`);
  });

  for (const [status, errorCode, key] of [
    [401, 'UNEXPECTED_ERROR', 'keyunaut'],
    [403, 'ACCESS_FORBIDDEN', 'keyforbi'],
  ] as const) {
    it(`drops the record when Atlas answers ${status}: the key is no longer the link key there`, async () => {
      const withdrawal = await deletedLink(key);
      answer = apiErrorAnswer(status, errorCode, 'refused');
      assert.equal(await syncer.withdraw(withdrawal), true);
      assert.deepEqual(await pending(), []);
    });
  }

  it('pushes again when the key was linked again while its withdrawal was on its way', async () => {
    const withdrawal = await deletedLink('keyagain');
    // What Atlas lists for the key: a push stores it, a withdrawal drops it when Atlas processes it.
    let listed = false;
    let relinked = false;
    fake.handler = withDigestChallenge(async (r) => {
      if (r.method === 'PUT') listed = true;
      if (r.method === 'DELETE') {
        if (!relinked) {
          // The same token pasted again, and its push delivered, before Atlas processes the withdrawal.
          relinked = true;
          await completeSourceLink(store, orgId, token('keyagain'));
          assert.equal((await syncer.sync(orgId)).status, 'SYNCED');
        }
        listed = false;
      }
      return { status: 204 };
    });
    try {
      assert.equal(await syncer.withdraw(withdrawal), true);
      assert.equal(listed, true, 'Atlas lists the relinked key again');
    } finally {
      fake.handler = withDigestChallenge((r) => (r.method === 'DELETE' ? answer : { status: 204 }));
      const current = await store.source.getSourceLink(orgId);
      if (current) await store.source.deleteSourceLink(orgId, current.linkId);
    }
  });

  it('retries pending withdrawals every interval until Atlas takes them', async () => {
    answer = apiErrorAnswer(503, 'SERVICE_UNAVAILABLE', 'down');
    await deletedLink('keyretry');
    syncer.start();
    await eventually(async () => withdrawalsOf('keyretry').length, (n) => n >= 2, 5000);
    assert.deepEqual(await pending(), ['keyretry'], 'kept while Atlas fails');
    answer = { status: 204 };
    assert.deepEqual(await eventually(pending, (p) => p.length === 0, 5000), []);
  });

  it('records and retries the withdrawal of a link replaced by one for another Atlas org', async () => {
    answer = apiErrorAnswer(503, 'SERVICE_UNAVAILABLE', 'down');
    await completeSourceLink(store, orgId, token('keyolder'));
    const { replaced } = await completeSourceLink(store, orgId, token('keynewer', newObjectId()));
    assert.equal(replaced?.publicKey, 'keyolder');
    syncer.start();
    await eventually(async () => withdrawalsOf('keyolder').length, (n) => n >= 1, 5000);
    answer = { status: 204 };
    assert.deepEqual(await eventually(pending, (p) => p.length === 0, 5000), []);
    assert.equal(withdrawalsOf('keynewer').length, 0, 'the current link is never withdrawn');
    const current = await store.source.getSourceLink(orgId);
    if (current) await store.source.deleteSourceLink(orgId, current.linkId);
  });
});
