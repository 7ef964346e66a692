import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createOrg } from '../../src/domain/orgs.js';
import { addSourceMigrationHost, createSourceProject, readSourceInventory, saveSourceDeployment } from '../../src/domain/inventory.js';
import { encodeLinkToken } from '../../src/domain/links.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { eventually, startSourceServer, type TestSourceServer } from '../helpers/source.js';
import { bearerCall, bootstrapKey, bootstrapToken, decodeToken, digestCall, isApiError, linkTokensPath, newKey } from '../helpers/atlas.js';
import { ATLAS_JSON, digestRequest } from '../helpers/http.js';
import { forwardTo, startFakeAtlas, type FakeAtlas } from '../helpers/fakeAtlas.js';
import type { Store } from '../../src/store/store.js';

// The whole link in one process: an Atlas side and a source side (Cloud Manager / Ops Manager).

describe('completing the link', () => {
  let atlas: TestServer;
  let source: TestSourceServer;
  let token: string;
  let projectId: string;

  const availableProjectsPath = () => `/api/atlas/v2/orgs/${atlas.bootstrap.orgId}/liveMigrations/availableProjects`;
  const availableProjects = async () => (await bearerCall(atlas, availableProjectsPath(), token)).json;
  const createLinkToken = async (accessListIps: string[] = []) =>
    (await bearerCall(atlas, linkTokensPath(atlas.bootstrap.orgId), token, { method: 'POST', json: { accessListIps } })).json.linkToken as string;
  const linkPath = () => `/api/public/v1.0/orgs/${source.orgId}/liveExport/migrationLink`;
  const complete = (linkToken: unknown) => source.call('POST', linkPath(), { linkToken });
  const status = async () => (await source.call('GET', `${linkPath()}/status`)).json;
  const sourceInventory = async () => (await readSourceInventory(source.store, source.orgId)).projects;

  before(async () => {
    atlas = await startServer();
    token = await bootstrapToken(atlas);
    source = await startSourceServer(atlas.url);
    const project = await createSourceProject(source.store, source.orgId, 'Billing');
    projectId = project.id;
    await saveSourceDeployment(source.store, projectId, {
      name: 'rs-billing',
      mongoDBVersion: '7.0.13',
      featureCompatibilityVersion: '7.0',
      sharded: false,
      tlsEnabled: true,
      managed: true,
      agentVersion: '13.24.0.9285',
      dbSizeBytes: 52428800,
      oplogSizeMB: 990,
    });
    await addSourceMigrationHost(source.store, projectId, 'mh1.example.com');
  });
  after(async () => {
    await source.close();
    await atlas.close();
  });
  beforeEach(async () => {
    const link = await source.store.source.getSourceLink(source.orgId);
    if (link) await source.store.source.deleteSourceLink(source.orgId, link.linkId);
  });

  it('completes with a fresh token: SYNCED, and availableProjects is exactly the source inventory', async () => {
    const res = await complete(await createLinkToken());
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { status: 'SYNCED' });
    assert.deepEqual(await status(), { status: 'SYNCED' });
    const projects = await availableProjects();
    assert.deepEqual(projects, await sourceInventory());
    assert.deepEqual(projects, [
      {
        projectId,
        name: 'Billing',
        migrationHosts: ['mh1.example.com'],
        deployments: [
          { name: 'rs-billing', mongoDBVersion: '7.0.13', featureCompatibilityVersion: '7.0', sharded: false, tlsEnabled: true, managed: true, agentVersion: '13.24.0.9285', dbSizeBytes: 52428800, oplogSizeMB: 990 },
        ],
      },
    ]);
    // availableProjects: versioned, owner only, rate-limited like the link-token operations.
    const raw = await bearerCall(atlas, `${availableProjectsPath()}?pretty=true`, token);
    assert.equal(raw.headers['content-type'], 'application/vnd.atlas.2023-01-01+json;charset=utf-8');
    assert.equal(raw.headers['ratelimit-limit'], '500');
    assert.match(raw.text, /^\[ \{\n  "deployments" : \[ \{\n    "agentVersion" : /, "Atlas field order, Jackson style");
  });

  it('pushes an inventory change within the sync interval', async () => {
    await complete(await createLinkToken());
    await saveSourceDeployment(source.store, projectId, {
      name: 'sh-analytics',
      mongoDBVersion: '6.0.17',
      featureCompatibilityVersion: '6.0',
      sharded: true,
      shardsSize: 3,
      tlsEnabled: false,
      managed: false,
    });
    const projects = await eventually(availableProjects, (p) => p[0]?.deployments.length === 2);
    assert.deepEqual(projects, await sourceInventory());
  });

  it('rotation on Atlas turns the old link NOT_SYNCED and drops its inventory; the new token syncs', async () => {
    await complete(await createLinkToken());
    const rotated = await createLinkToken();
    assert.deepEqual(await availableProjects(), [], 'the old inventory lost its authority at once');
    const stale = await eventually(status, (s) => s.status === 'NOT_SYNCED');
    assert.equal(stale.status, 'NOT_SYNCED');
    assert.match(stale.reason, /^Atlas answered 401 UNEXPECTED_ERROR/);
    // The reason says what to do about it, not only what Atlas answered.
    assert.match(stale.reason, /\(the link key no longer works: the link was deleted or replaced on Atlas; create a new link-token there and complete the link again\)$/);
    assert.deepEqual((await complete(rotated)).json, { status: 'SYNCED' });
    assert.deepEqual(await availableProjects(), await sourceInventory());
  });

  it('DELETE on Atlas: the source reports NOT_SYNCED and availableProjects is []', async () => {
    await complete(await createLinkToken());
    assert.equal((await bearerCall(atlas, linkTokensPath(atlas.bootstrap.orgId), token, { method: 'DELETE' })).status, 204);
    assert.deepEqual(await availableProjects(), []);
    assert.equal((await eventually(status, (s) => s.status === 'NOT_SYNCED')).status, 'NOT_SYNCED');
  });

  it('DELETE on the source: 204, the link is gone, and Atlas no longer shows its projects', async () => {
    await complete(await createLinkToken());
    assert.notDeepEqual(await availableProjects(), []);
    const res = await source.call('DELETE', linkPath());
    assert.equal(res.status, 204);
    assert.ok(isApiError(await source.call('GET', `${linkPath()}/status`), 404, 'UNEXPECTED_ERROR'));
    assert.deepEqual(await availableProjects(), []);
    assert.ok(isApiError(await source.call('DELETE', linkPath()), 404, 'UNEXPECTED_ERROR'));
  });

  const pendingWithdrawalOf = async (linkToken: string) =>
    (await source.store.source.listSourceLinkWithdrawals()).filter((w) => w.publicKey === decodeToken(linkToken).publicApiKey);

  it('replacing the link with one to another Atlas org withdraws the old inventory from the first', async () => {
    const first = await createLinkToken();
    await complete(first);
    assert.deepEqual(await availableProjects(), await sourceInventory());
    const second = await createOrg(atlas.store, 'Second');
    const secondOwner = await newKey(atlas, ['ORG_OWNER'], [], second.id);
    const created = await digestCall(atlas, linkTokensPath(second.id), secondOwner, { method: 'POST', json: {} });
    assert.deepEqual((await complete(created.json.linkToken)).json, { status: 'SYNCED' });
    assert.deepEqual(await availableProjects(), [], 'the first Atlas org no longer lists the projects');
    const secondProjects = await digestCall(atlas, `/api/atlas/v2/orgs/${second.id}/liveMigrations/availableProjects`, secondOwner);
    assert.deepEqual(secondProjects.json, await sourceInventory());
    assert.deepEqual(await pendingWithdrawalOf(first), [], 'settled');
  });

  it('a new token of the same Atlas org replaces the link; the old key, rotated away, leaves nothing pending', async () => {
    const first = await createLinkToken();
    await complete(first);
    assert.deepEqual((await complete(await createLinkToken())).json, { status: 'SYNCED' });
    assert.deepEqual(await availableProjects(), await sourceInventory());
    assert.deepEqual(await pendingWithdrawalOf(first), [], 'Atlas refused the rotated key: nothing to withdraw');
  });

  it('a token whose key was revoked: NOT_SYNCED with the reason', async () => {
    const linkToken = await createLinkToken();
    await bearerCall(atlas, linkTokensPath(atlas.bootstrap.orgId), token, { method: 'DELETE' });
    const res = await complete(linkToken);
    assert.equal(res.json.status, 'NOT_SYNCED');
    assert.match(res.json.reason, /401/);
  });

  it('a token that names another org than its key: NOT_SYNCED (Atlas refuses the org)', async () => {
    const other = await createOrg(atlas.store, 'Elsewhere');
    const genuine = decodeToken(await createLinkToken());
    const res = await complete(encodeLinkToken({ ...genuine, orgId: other.id }));
    assert.equal(res.json.status, 'NOT_SYNCED');
    assert.match(res.json.reason, /401 USER_CANNOT_ACCESS_ORG/);
    assert.deepEqual(await availableProjects(), []);
  });

  it("a source address not on the key's access list: NOT_SYNCED with the 403 as the reason", async () => {
    const res = await complete(await createLinkToken(['10.9.9.9']));
    assert.equal(res.json.status, 'NOT_SYNCED');
    assert.match(res.json.reason, /^Atlas answered 403 IP_ADDRESS_NOT_ON_ACCESS_LIST: IP address 127\.0\.0\.1 is not allowed/);
    assert.match(res.json.reason, /create a new link-token that lists it\)$/);
    assert.deepEqual(await status(), res.json);
  });

  it('accepts a token in the real Atlas format as is (Atlas then refuses the unknown key)', async () => {
    // The example of ../shared/reference/link-token.md §1.1: four fields, standard base64, no base URL.
    const real =
      'eyJvcmdJZCI6IjVmMDAwMDAwMDAwMDAwMDAwMDAwMDAwMSIsIm9yZ05hbWUiOiJFeGFtcGxlIE9yZyIsInByaXZhdGVBcGlLZXkiOiIwMDAwMDAwMC0xMTExLTQyMjItODMzMy00NDQ0NDQ0NDQ0NDQiLCJwdWJsaWNBcGlLZXkiOiJhYmNkd3h5eiJ9';
    const res = await complete(real);
    assert.equal(res.status, 200);
    assert.equal(res.json.status, 'NOT_SYNCED');
    assert.match(res.json.reason, /401/);
    const link = await source.store.source.getSourceLink(source.orgId);
    assert.deepEqual([link?.atlasOrgId, link?.atlasOrgName, link?.publicKey], ['5f0000000000000000000001', 'Example Org', 'abcdwxyz']);
    assert.ok(!JSON.stringify(link).includes('00000000-1111-4222-8333-444444444444'), 'the private key is not kept');
  });

  const malformed: Array<[string, unknown, number, string]> = [
    ['not base64', 'not a token!', 400, 'INVALID_LINK_TOKEN'],
    ['base64 of text', Buffer.from('hello').toString('base64'), 400, 'INVALID_LINK_TOKEN'],
    ['a JSON array', Buffer.from('[1]').toString('base64'), 400, 'INVALID_LINK_TOKEN'],
    ['missing fields', Buffer.from('{"orgId":"5f0000000000000000000001"}').toString('base64'), 400, 'INVALID_LINK_TOKEN'],
    ['an empty string', '', 400, 'INVALID_LINK_TOKEN'],
    ['a number', 42, 400, 'INVALID_JSON_ATTRIBUTE'],
  ];
  for (const [name, linkToken, statusCode, errorCode] of malformed) {
    it(`refuses a token that is ${name} (${statusCode} ${errorCode}) and stores nothing`, async () => {
      const res = await complete(linkToken);
      assert.ok(isApiError(res, statusCode, errorCode), res.text);
      assert.equal(await source.store.source.getSourceLink(source.orgId), undefined);
    });
  }
  it('refuses a body without linkToken or with other fields', async () => {
    assert.ok(isApiError(await source.call('POST', linkPath(), {}), 400, 'MISSING_ATTRIBUTE'));
    assert.ok(isApiError(await source.call('POST', linkPath(), { linkToken: 'x', extra: 1 }), 400, 'INVALID_ATTRIBUTE'));
  });
  it('explains what is wrong with a token in the detail', async () => {
    const res = await complete(Buffer.from(JSON.stringify({ orgId: 'x', orgName: 'n', privateApiKey: 'p', publicApiKey: 'abcdefgh' })).toString('base64'));
    assert.equal(res.json.detail, 'The link-token is invalid: orgId is not a 24-hex organization id.');
  });

  it('serves the source API only to its org owner, by digest', async () => {
    const res = await digestRequest(source.url + linkPath() + '/status', { publicKey: 'zzzzzzzz', privateKey: 'x' }, { headers: { accept: 'application/json' } });
    assert.ok(isApiError(res, 401, 'UNEXPECTED_ERROR'));
    assert.match(res.headers['www-authenticate'] as string, /^Digest realm="MMS Public API"/);
  });

  describe('the link key can do nothing else', () => {
    it('cannot create or delete link-tokens, list availableProjects, or manage keys', async () => {
      const t = decodeToken(await createLinkToken());
      const linkKey = { publicKey: t.publicApiKey, privateKey: t.privateApiKey };
      const orgId = atlas.bootstrap.orgId;
      assert.ok(isApiError(await digestCall(atlas, linkTokensPath(orgId), linkKey, { method: 'POST', json: {} }), 401, 'NOT_ORG_OWNER'));
      assert.ok(isApiError(await digestCall(atlas, linkTokensPath(orgId), linkKey, { method: 'DELETE' }), 401, 'NOT_ORG_OWNER'));
      assert.ok(isApiError(await digestCall(atlas, availableProjectsPath(), linkKey), 401, 'NOT_ORG_OWNER'));
      const keys = await digestCall(atlas, `/api/atlas/v2/orgs/${orgId}/apiKeys`, linkKey, { method: 'POST', json: { desc: 'x', roles: ['ORG_OWNER'] } });
      assert.ok(isApiError(keys, 404, 'RESOURCE_NOT_FOUND'), 'pushlink has no key management API at all');
      assert.ok(await atlas.store.links.getLink(orgId), 'the link is intact');
    });

    it("cannot push to another org's inventory, and no other key can push at all", async () => {
      const t = decodeToken(await createLinkToken());
      const linkKey = { publicKey: t.publicApiKey, privateKey: t.privateApiKey };
      const other = await createOrg(atlas.store, 'Other');
      const push = (orgId: string, credentials: { publicKey: string; privateKey: string }) =>
        digestRequest(`${atlas.url}/api/private/liveMigrations/orgs/${orgId}/inventory`, credentials, {
          method: 'PUT',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ projects: [] }),
        });
      assert.ok(isApiError(await push(other.id, linkKey), 401, 'USER_CANNOT_ACCESS_ORG'));
      assert.ok(isApiError(await push(atlas.bootstrap.orgId, bootstrapKey(atlas)), 403, 'ACCESS_FORBIDDEN'));
      const member = await newKey(atlas, ['ORG_MEMBER']);
      assert.ok(isApiError(await push(atlas.bootstrap.orgId, member), 403, 'ACCESS_FORBIDDEN'));
      const bearer = await bearerCall(atlas, `/api/private/liveMigrations/orgs/${atlas.bootstrap.orgId}/inventory`, token, {
        method: 'PUT',
        headers: { accept: 'application/json', 'content-type': 'application/json' },
        json: { projects: [] },
      });
      assert.ok(isApiError(bearer, 403, 'ACCESS_FORBIDDEN'));
      assert.equal((await push(atlas.bootstrap.orgId, linkKey)).status, 204);
    });

    it('has its pushes validated like any input', async () => {
      const t = decodeToken(await createLinkToken());
      const linkKey = { publicKey: t.publicApiKey, privateKey: t.privateApiKey };
      const push = (body: unknown) =>
        digestRequest(`${atlas.url}/api/private/liveMigrations/orgs/${atlas.bootstrap.orgId}/inventory`, linkKey, {
          method: 'PUT',
          headers: { 'content-type': 'application/json', accept: ATLAS_JSON },
          body: JSON.stringify(body),
        });
      assert.ok(isApiError(await push({}), 400, 'MISSING_ATTRIBUTE'));
      assert.ok(isApiError(await push({ projects: [{ projectId: 'nope', name: 'x', migrationHosts: [], deployments: [] }] }), 400, 'INVALID_JSON_ATTRIBUTE'));
      const badVersion = { projectId: 'a'.repeat(24), name: 'x', migrationHosts: [], deployments: [{ name: 'rs', mongoDBVersion: 'seven', featureCompatibilityVersion: '7.0', sharded: false, tlsEnabled: false, managed: true }] };
      assert.ok(isApiError(await push({ projects: [badVersion] }), 400, 'INVALID_ATTRIBUTE'));
    });
  });

  it('availableProjects is [] before any link', async () => {
    const fresh = await startServer();
    try {
      const res = await bearerCall(fresh, `/api/atlas/v2/orgs/${fresh.bootstrap.orgId}/liveMigrations/availableProjects?envelope=true`, await bootstrapToken(fresh));
      assert.deepEqual(res.json, { content: [], status: 200 });
    } finally {
      await fresh.close();
    }
  });
});

describe('completing while a push of the previous link is in flight', () => {
  // Atlas behind a proxy that holds every signed answer for 2 s, with the source syncing every
  // second: a background push of the old link is on its way when the new token is pasted.
  let atlas: TestServer;
  let slow: FakeAtlas;
  let source: TestSourceServer;
  let token: string;

  const createLinkToken = async (accessListIps: string[] = []) =>
    (await bearerCall(atlas, linkTokensPath(atlas.bootstrap.orgId), token, { method: 'POST', json: { accessListIps } })).json.linkToken as string;
  const linkPath = () => `/api/public/v1.0/orgs/${source.orgId}/liveExport/migrationLink`;
  const complete = (linkToken: string) => source.call('POST', linkPath(), { linkToken });

  /** Links with a first token, then waits until a background push of it is held by the proxy. */
  async function oldPushInFlight(): Promise<void> {
    slow.delayMs = 0;
    const first = await createLinkToken();
    assert.deepEqual((await complete(first)).json, { status: 'SYNCED' });
    slow.delayMs = (r) => (r.publicKey ? 2000 : 0);
    const seen = slow.requests.length;
    const firstKey = decodeToken(first).publicApiKey;
    const inFlight = await eventually(
      async () => slow.requests.slice(seen).some((r) => r.method === 'PUT' && r.publicKey === firstKey),
      Boolean,
      5000,
    );
    assert.ok(inFlight, 'a background push of the first link reached Atlas');
  }

  before(async () => {
    atlas = await startServer();
    token = await bootstrapToken(atlas);
    slow = await startFakeAtlas(forwardTo(atlas.url));
    source = await startSourceServer(slow.url, { syncIntervalMs: 1000, syncTimeoutMs: 10_000 });
  });
  after(async () => {
    await source.close();
    await slow.close();
    await atlas.close();
  });

  it("answers with the new link's own result: SYNCED, as Atlas is up", async () => {
    await oldPushInFlight();
    const res = await complete(await createLinkToken());
    assert.deepEqual(res.json, { status: 'SYNCED' });
    assert.deepEqual((await source.call('GET', `${linkPath()}/status`)).json, { status: 'SYNCED' });
  });

  it("answers with Atlas's refusal of the new key, and its reason", async () => {
    await oldPushInFlight();
    const res = await complete(await createLinkToken(['10.9.9.9']));
    assert.equal(res.json.status, 'NOT_SYNCED');
    assert.match(res.json.reason, /^Atlas answered 403 IP_ADDRESS_NOT_ON_ACCESS_LIST/);
  });
});

describe('deleting the link while a new one is completed', () => {
  // The source's store holds the DELETE right after it read the link, while a completion replaces
  // that link; no background sync runs meanwhile.
  let atlas: TestServer;
  let source: TestSourceServer;
  let token: string;
  let gate: { entered: () => void; release: Promise<void> } | undefined;

  // The source port's getSourceLink, held; everything else as the store has it.
  const bound = <T extends object>(target: T, property: string | symbol) => {
    const value = Reflect.get(target, property, target);
    return typeof value === 'function' ? value.bind(target) : value;
  };
  const holdNextLinkRead = (store: Store): Store =>
    new Proxy(store, {
      get(target, property) {
        if (property !== 'source') return bound(target, property);
        return new Proxy(target.source, {
          get(source, sourceProperty) {
            if (sourceProperty !== 'getSourceLink') return bound(source, sourceProperty);
            return async (orgId: string) => {
              const link = await source.getSourceLink(orgId);
              const held = gate;
              gate = undefined;
              if (held) {
                held.entered();
                await held.release;
              }
              return link;
            };
          },
        });
      },
    });
  const createLinkToken = async () =>
    (await bearerCall(atlas, linkTokensPath(atlas.bootstrap.orgId), token, { method: 'POST', json: {} })).json.linkToken as string;
  const linkPath = () => `/api/public/v1.0/orgs/${source.orgId}/liveExport/migrationLink`;

  before(async () => {
    atlas = await startServer();
    token = await bootstrapToken(atlas);
    source = await startSourceServer(atlas.url, { syncIntervalMs: 600_000 }, { wrapStore: holdNextLinkRead });
    const project = await createSourceProject(source.store, source.orgId, 'Ledger');
    await addSourceMigrationHost(source.store, project.id, 'mh.example.com');
  });
  after(async () => {
    await source.close();
    await atlas.close();
  });

  it('removes only the link it read: the new link stays, and so do its projects on Atlas', async () => {
    assert.deepEqual((await source.call('POST', linkPath(), { linkToken: await createLinkToken() })).json, { status: 'SYNCED' });
    let entered!: () => void;
    let release!: () => void;
    const reading = new Promise<void>((resolve) => (entered = resolve));
    gate = { entered, release: new Promise<void>((resolve) => (release = resolve)) };
    const deleting = source.call('DELETE', linkPath());
    await reading;
    assert.deepEqual((await source.call('POST', linkPath(), { linkToken: await createLinkToken() })).json, { status: 'SYNCED' });
    release();
    assert.equal((await deleting).status, 204, 'the link it read is gone (replaced)');
    assert.deepEqual((await source.call('GET', `${linkPath()}/status`)).json, { status: 'SYNCED' }, 'the new link is still there');
    const projects = await bearerCall(atlas, `/api/atlas/v2/orgs/${atlas.bootstrap.orgId}/liveMigrations/availableProjects`, token);
    assert.deepEqual(projects.json, (await readSourceInventory(source.store, source.orgId)).projects, 'and Atlas still lists its projects');
  });
});
