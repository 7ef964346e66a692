import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ATLAS_JSON, digestAuthorization, digestRequest, fetchNonce, request, type Credentials, type TestResponse } from '../helpers/http.js';
import { createTestDatabase, postgresUnavailableReason, type TestDatabase } from '../helpers/postgres.js';
import { runCli, startProcess, type ServerProcess } from '../helpers/process.js';
import { tempDir } from '../helpers/server.js';

// Two real `pushlink serve` processes, A and B, on one PostgreSQL database (as behind a load
// balancer): whatever one instance does, the other sees at once, and shared limits hold across both.

const skip = await postgresUnavailableReason();

const ORGS = '/api/atlas/v2/orgs';
const linkTokensPath = (orgId: string) => `${ORGS}/${orgId}/liveMigrations/linkTokens`;

interface Bootstrap {
  orgId: string;
  apiKey: Credentials;
  serviceAccount: { clientId: string; clientSecret: string };
}

async function accessToken(url: string, clientId: string, clientSecret: string): Promise<string> {
  const res = await request(`${url}/api/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  assert.equal(res.status, 200, res.text);
  return res.json.access_token as string;
}

const bearer = (url: string, token: string, method = 'GET', body?: unknown): Promise<TestResponse> =>
  request(url, {
    method,
    headers: {
      accept: ATLAS_JSON,
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': ATLAS_JSON }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

function linkKeyOf(res: TestResponse): Credentials {
  assert.equal(res.status, 201, res.text);
  const contents = JSON.parse(Buffer.from(res.json.linkToken as string, 'base64').toString('utf8'));
  return { publicKey: contents.publicApiKey, privateKey: contents.privateApiKey };
}

const digestGetOrgs = (url: string, key: Credentials) => digestRequest(url + ORGS, key, { headers: { accept: ATLAS_JSON } });

/** Rejects when `work` takes longer than `ms`, so no test can hang. */
function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not done within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

describe('two pushlink instances on one PostgreSQL database', { skip }, () => {
  let database: TestDatabase;
  let dataDirs: string[] = [];
  let bootstrapFiles: string[] = [];
  let a: ServerProcess;
  let b: ServerProcess;
  let boot: Bootstrap;
  let token: string;
  const cli = (...args: string[]) => runCli([...args, '--database-url', database.url, '--json']);

  before(async () => {
    database = await createTestDatabase();
    dataDirs = [tempDir(), tempDir()];
    // A refill period no test run can reach: the bucket only drains.
    const serve = (dataDir: string) =>
      startProcess(['serve', '--port', '0', '--data-dir', dataDir, '--database-url', database.url, '--log-level', 'warn', '--rate-limit-period', '3600']);
    // Both start at the same moment on the empty database.
    [a, b] = (await Promise.all(dataDirs.map(serve))) as [ServerProcess, ServerProcess];
    bootstrapFiles = dataDirs.map((dir) => path.join(dir, 'bootstrap.json')).filter((file) => fs.existsSync(file));
    boot = JSON.parse(fs.readFileSync(bootstrapFiles[0]!, 'utf8'));
    token = await accessToken(a.url, boot.serviceAccount.clientId, boot.serviceAccount.clientSecret);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.drop();
    for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('bootstraps once when both start at once on an empty database', async () => {
    assert.equal(bootstrapFiles.length, 1, 'exactly one instance wrote bootstrap credentials');
    const orgs = await cli('org', 'list');
    assert.equal(orgs.code, 0, orgs.stderr);
    assert.deepEqual(JSON.parse(orgs.stdout).map((o: { id: string }) => o.id), [boot.orgId]);
    assert.equal((await digestGetOrgs(a.url, boot.apiKey)).status, 200);
    assert.equal((await digestGetOrgs(b.url, boot.apiKey)).status, 200);
  });

  it('accepts on B an access token issued by A, and a link key created through A', async () => {
    assert.equal((await bearer(b.url + ORGS, token)).status, 200);
    const linkKey = linkKeyOf(await bearer(a.url + linkTokensPath(boot.orgId), token, 'POST', { accessListIps: ['127.0.0.1'] }));
    const res = await digestGetOrgs(b.url, linkKey);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.results[0].id, boot.orgId);
  });

  it('kills the old link key on B the moment A rotates it', async () => {
    const first = linkKeyOf(await bearer(a.url + linkTokensPath(boot.orgId), token, 'POST', {}));
    assert.equal((await digestGetOrgs(b.url, first)).status, 200);
    const second = linkKeyOf(await bearer(a.url + linkTokensPath(boot.orgId), token, 'POST', {}));
    assert.equal((await digestGetOrgs(b.url, first)).status, 401, 'the rotated key is dead on B');
    assert.equal((await digestGetOrgs(b.url, second)).status, 200);
  });

  it('accepts on B the answer to a challenge from A once; the same answer replayed to A is refused', async () => {
    const nonce = await fetchNonce(a.url + ORGS);
    const authorization = digestAuthorization({
      username: boot.apiKey.publicKey,
      password: boot.apiKey.privateKey,
      method: 'GET',
      uri: ORGS,
      nonce,
    });
    const call = (url: string) => request(url + ORGS, { headers: { accept: ATLAS_JSON, authorization } });
    assert.equal((await call(b.url)).status, 200);
    const replayed = await call(a.url);
    assert.equal(replayed.status, 401);
    assert.match(replayed.headers['www-authenticate'] as string, /^Digest /);
  });

  it('sees on A a link deleted on B', async () => {
    const key = linkKeyOf(await bearer(a.url + linkTokensPath(boot.orgId), token, 'POST', {}));
    assert.equal((await digestGetOrgs(a.url, key)).status, 200);
    assert.equal((await bearer(b.url + linkTokensPath(boot.orgId), token, 'DELETE')).status, 204);
    assert.equal((await digestGetOrgs(a.url, key)).status, 401, 'the deleted link key is dead on A');
    assert.equal((await bearer(a.url + linkTokensPath(boot.orgId), token, 'DELETE')).status, 404, 'A finds no link');
  });

  it('shares one rate-limit bucket: 600 concurrent creates over A and B, exactly 500 succeed', { timeout: 120_000 }, async () => {
    // A fresh org (made with the admin commands on the same database), so its bucket is full.
    const org = JSON.parse((await cli('org', 'create', '--name', 'Burst')).stdout);
    const sa = JSON.parse((await cli('service-account', 'create', '--org', org.id, '--role', 'ORG_OWNER')).stdout);
    const orgToken = await accessToken(b.url, sa.clientId, sa.clientSecret);
    const responses = await within(
      90_000,
      Promise.all(Array.from({ length: 600 }, (_, i) => bearer((i % 2 ? a : b).url + linkTokensPath(org.id), orgToken, 'POST', {}))),
    );
    const statuses = new Map<number, number>();
    for (const res of responses) statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    assert.deepEqual(Object.fromEntries(statuses), { 201: 500, 429: 100 });
    const keys = JSON.parse((await cli('apikey', 'list', '--org', org.id)).stdout);
    assert.equal(keys.filter((k: { liveMigrationLinkKey: boolean }) => k.liveMigrationLinkKey).length, 1, 'one link key is left');
  });
});
