import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../helpers/server.js';
import { runCli, startProcess } from '../helpers/process.js';
import { ATLAS_JSON, digestRequest, request } from '../helpers/http.js';
import { dumpDatabase } from '../helpers/postgres.js';
import { testStoreEnv } from '../helpers/store.js';

// Secrets hygiene: a full scenario on both sides at the most verbose log level, then a search of
// every log line and every byte of both data dirs for every secret that went by — private API
// keys, client secrets, access tokens, link-tokens. bootstrap.json is the one place meant to hold
// the bootstrap credentials (shown once, mode 0600); nothing else may. On the PostgreSQL pass both
// sides keep their state in PostgreSQL, and every row of both databases is searched too.

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

describe('secrets hygiene', () => {
  it('no secret reaches a log line or a database file', { timeout: 60_000 }, async () => {
    const atlasDir = tempDir('pushlink-secrets-atlas-');
    const sourceDir = tempDir('pushlink-secrets-source-');
    const atlasStore = await testStoreEnv();
    const sourceStore = await testStoreEnv();
    const atlas = await startProcess(['serve', '--port', '0', '--data-dir', atlasDir, '--log-level', 'trace'], { env: atlasStore.env });
    const source = await startProcess(
      ['serve', '--role', 'source', '--port', '0', '--data-dir', sourceDir, '--atlas-url', atlas.url, '--log-level', 'trace', '--sync-interval', '1'],
      { env: sourceStore.env },
    );
    const secrets: string[] = [];
    const snapshots: Array<{ name: string; bytes: Buffer }> = [];
    try {
      const boot = JSON.parse(fs.readFileSync(path.join(atlasDir, 'bootstrap.json'), 'utf8'));
      const sourceBoot = JSON.parse(fs.readFileSync(path.join(sourceDir, 'bootstrap.json'), 'utf8'));
      secrets.push(boot.apiKey.privateKey, boot.serviceAccount.clientSecret, sourceBoot.apiKey.privateKey);

      const key = JSON.parse((await runCli(['apikey', 'create', '--org', boot.orgId, '--role', 'ORG_OWNER', '--data-dir', atlasDir, '--json'], atlasStore.env)).stdout);
      const sa = JSON.parse((await runCli(['service-account', 'create', '--org', boot.orgId, '--role', 'ORG_OWNER', '--data-dir', atlasDir, '--json'], atlasStore.env)).stdout);
      secrets.push(key.privateKey, sa.clientSecret);

      const tokenFor = async (clientId: string, clientSecret: string, inBody = false) => {
        const res = await request(`${atlas.url}/api/oauth/token`, {
          method: 'POST',
          headers: {
            ...(inBody ? {} : { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` }),
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: `grant_type=client_credentials${inBody ? `&client_id=${clientId}&client_secret=${encodeURIComponent(clientSecret)}` : ''}`,
        });
        assert.equal(res.status, 200);
        secrets.push(res.json.access_token);
        return res.json.access_token as string;
      };
      const bearer = await tokenFor(boot.serviceAccount.clientId, boot.serviceAccount.clientSecret);
      const bodyToken = await tokenFor(sa.clientId, sa.clientSecret, true);
      // A wrong secret in a form body must not be logged either.
      await request(`${atlas.url}/api/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=client_credentials&client_id=${sa.clientId}&client_secret=${encodeURIComponent(`${sa.clientSecret}x`)}`,
      });
      secrets.push(`${sa.clientSecret}x`);

      const linkTokens = `${atlas.url}/api/atlas/v2/orgs/${boot.orgId}/liveMigrations/linkTokens`;
      const createByDigest = await digestRequest(linkTokens, key, { method: 'POST', headers: { accept: ATLAS_JSON, 'content-type': 'application/json' }, body: '{}' });
      const createByBearer = await request(linkTokens, {
        method: 'POST',
        headers: { authorization: `Bearer ${bodyToken}`, accept: ATLAS_JSON, 'content-type': 'application/json' },
        body: '{"accessListIps":["127.0.0.1"]}',
      });
      for (const created of [createByDigest, createByBearer]) {
        assert.equal(created.status, 201);
        secrets.push(created.json.linkToken, JSON.parse(Buffer.from(created.json.linkToken, 'base64').toString()).privateApiKey);
      }
      const completed = await digestRequest(`${source.url}/api/public/v1.0/orgs/${sourceBoot.orgId}/liveExport/migrationLink`, sourceBoot.apiKey, {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/json' },
        body: JSON.stringify({ linkToken: createByBearer.json.linkToken }),
      });
      assert.equal(completed.json.status, 'SYNCED');
      // A malformed token pasted into the source: its text must not be echoed into the logs.
      const bogus = Buffer.from(JSON.stringify({ orgId: boot.orgId, orgName: 'x', privateApiKey: 'not-a-uuid-secret-value', publicApiKey: 'abcdefgh' })).toString('base64');
      await digestRequest(`${source.url}/api/public/v1.0/orgs/${sourceBoot.orgId}/liveExport/migrationLink`, sourceBoot.apiKey, {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/json' },
        body: JSON.stringify({ linkToken: bogus }),
      });
      secrets.push(bogus, 'not-a-uuid-secret-value');

      await request(`${atlas.url}/api/atlas/v2/orgs`, { headers: { accept: ATLAS_JSON, authorization: `Bearer ${bearer}` } });
      await request(`${atlas.url}/api/oauth/revoke`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${boot.serviceAccount.clientId}:${boot.serviceAccount.clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: `token=${bearer}`,
      });
      await request(`${atlas.url}/api/atlas/v2/orgs`, { headers: { accept: ATLAS_JSON, authorization: `Bearer ${bearer}` } });
      await request(linkTokens, { method: 'DELETE', headers: { authorization: `Bearer ${bodyToken}`, accept: ATLAS_JSON } });
      await new Promise((resolve) => setTimeout(resolve, 1500)); // a sync round sees the deleted link

      // The data dirs while running (WAL and all) ...
      for (const file of [...filesUnder(atlasDir), ...filesUnder(sourceDir)]) {
        if (path.basename(file) !== 'bootstrap.json') snapshots.push({ name: file, bytes: fs.readFileSync(file) });
      }
    } finally {
      await source.stop();
      await atlas.stop();
    }
    // ... and after a clean stop.
    for (const file of [...filesUnder(atlasDir), ...filesUnder(sourceDir)]) {
      if (path.basename(file) !== 'bootstrap.json') snapshots.push({ name: `${file} (stopped)`, bytes: fs.readFileSync(file) });
    }
    for (const [side, url] of [['atlas', atlasStore.databaseUrl], ['source', sourceStore.databaseUrl]] as const) {
      if (url) snapshots.push({ name: `the ${side} PostgreSQL database`, bytes: Buffer.from(await dumpDatabase(url)) });
    }
    await Promise.all([atlasStore.dispose(), sourceStore.dispose()]);
    const logs = atlas.output() + source.output();
    assert.match(logs, /"level":20,.*"msg":"authentication refused"/, 'debug lines were written (trace level on)');
    assert.match(logs, /"msg":"request"/, 'requests were logged');
    assert.ok(secrets.length >= 14, String(secrets.length));
    const leaks: string[] = [];
    for (const secret of secrets) {
      if (logs.includes(secret)) leaks.push(`log: ${secret.slice(0, 12)}…`);
      for (const { name, bytes } of snapshots) if (bytes.includes(secret)) leaks.push(`${name}: ${secret.slice(0, 12)}…`);
    }
    assert.deepEqual(leaks, []);
    fs.rmSync(atlasDir, { recursive: true, force: true });
    fs.rmSync(sourceDir, { recursive: true, force: true });
  });
});
