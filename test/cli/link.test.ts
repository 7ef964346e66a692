import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../helpers/server.js';
import { eventually } from '../helpers/source.js';
import { runCli, startProcess, type ServerProcess } from '../helpers/process.js';
import { ATLAS_JSON, digestRequest, request, requestAccessToken, type Credentials } from '../helpers/http.js';
import { testStoreEnv } from '../helpers/store.js';

// The whole push-migration link with two real processes, as the README walks it through: an Atlas
// side and a source side (`--role source`), separate data dirs (and, on the PostgreSQL pass,
// separate databases), 127.0.0.1.

interface Boot {
  orgId: string;
  apiKey: Credentials;
  serviceAccount?: { clientId: string; clientSecret: string };
}
const readBoot = (dir: string): Boot => JSON.parse(fs.readFileSync(path.join(dir, 'bootstrap.json'), 'utf8'));

/** A link-token from the Atlas side at `atlasUrl`, by digest with its owner key (trusting `ca` over HTTPS). */
async function digestLinkToken(atlasUrl: string, boot: Boot, ca?: string): Promise<string> {
  const res = await digestRequest(`${atlasUrl}/api/atlas/v2/orgs/${boot.orgId}/liveMigrations/linkTokens`, boot.apiKey, {
    method: 'POST',
    headers: { accept: ATLAS_JSON, 'content-type': 'application/json' },
    body: '{}',
    ...(ca === undefined ? {} : { ca }),
  });
  return res.json.linkToken as string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

describe('live-migration link, two real processes', () => {
  let atlasDir: string;
  let sourceDir: string;
  let atlasStore: Awaited<ReturnType<typeof testStoreEnv>>;
  let sourceStore: Awaited<ReturnType<typeof testStoreEnv>>;
  let atlasPort: number;
  let atlas: ServerProcess;
  let source: ServerProcess;
  let atlasBoot: Boot;
  let sourceBoot: Boot;
  let accessToken: string;
  let projectId: string;

  const startAtlas = () => startProcess(['serve', '--port', String(atlasPort), '--data-dir', atlasDir], { env: atlasStore.env });
  const linkTokens = () => `${atlas.url}/api/atlas/v2/orgs/${atlasBoot.orgId}/liveMigrations/linkTokens`;
  const createLinkToken = async () => {
    const res = await request(linkTokens(), {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, accept: ATLAS_JSON, 'content-type': 'application/json' },
      body: '{"accessListIps":["127.0.0.1"]}',
    });
    assert.equal(res.status, 201, res.text);
    return res.json.linkToken as string;
  };
  const availableProjects = async () =>
    (
      await request(`${atlas.url}/api/atlas/v2/orgs/${atlasBoot.orgId}/liveMigrations/availableProjects`, {
        headers: { authorization: `Bearer ${accessToken}`, accept: ATLAS_JSON },
      })
    ).json;
  const sourceCall = (method: string, p: string, body?: unknown) =>
    digestRequest(`${source.url}/api/public/v1.0/orgs/${sourceBoot.orgId}${p}`, sourceBoot.apiKey, {
      method,
      headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  const status = async () => (await sourceCall('GET', '/liveExport/migrationLink/status')).json;
  const sourceInventory = async () => (await sourceCall('GET', '/liveExport/inventory')).json;
  const cli = async (args: string[]) => {
    const res = await runCli([...args, '--data-dir', sourceDir, '--json'], sourceStore.env);
    assert.equal(res.code, 0, res.stderr);
    return JSON.parse(res.stdout);
  };
  /** Exit code 0 when SYNCED, 2 when NOT_SYNCED. */
  const linkComplete = async (token: string, exitCode = 0) => {
    const res = await runCli(['link', 'complete', '--token', token, '--source-url', source.url, '--data-dir', sourceDir, '--json']);
    assert.equal(res.code, exitCode, res.stderr);
    return JSON.parse(res.stdout) as { status: string; reason?: string };
  };

  before(async () => {
    atlasDir = tempDir('pushlink-atlas-');
    sourceDir = tempDir('pushlink-source-');
    atlasStore = await testStoreEnv();
    sourceStore = await testStoreEnv();
    atlasPort = await freePort();
    atlas = await startAtlas();
    atlasBoot = readBoot(atlasDir);
    source = await startProcess(['serve', '--role', 'source', '--port', '0', '--data-dir', sourceDir, '--atlas-url', atlas.url, '--sync-interval', '1'], {
      env: sourceStore.env,
    });
    sourceBoot = readBoot(sourceDir);
    const sa = atlasBoot.serviceAccount!;
    const tokenRes = await requestAccessToken(atlas.url, sa);
    accessToken = tokenRes.json.access_token;
    projectId = (await cli(['source', 'project', 'create', '--org', sourceBoot.orgId, '--name', 'Payments'])).id;
    await cli(['source', 'deployment', 'add', '--project', projectId, '--name', 'rs-payments', '--mongodb-version', '7.0.13', '--fcv', '7.0', '--tls', '--agent-version', '13.24.0.9285', '--db-size-bytes', '1048576', '--oplog-size-mb', '2048']);
    await cli(['source', 'migration-host', 'add', '--project', projectId, '--hostname', 'migration-1.example.com']);
  });
  after(async () => {
    await Promise.all([source?.stop(), atlas?.stop()]);
    await Promise.all([atlasStore?.dispose(), sourceStore?.dispose()]);
    fs.rmSync(atlasDir, { recursive: true, force: true });
    fs.rmSync(sourceDir, { recursive: true, force: true });
  });

  it('the source side bootstraps its own org and owner key, without a service account', () => {
    assert.match(sourceBoot.orgId, /^[a-f0-9]{24}$/);
    assert.notEqual(sourceBoot.orgId, atlasBoot.orgId);
    assert.equal(sourceBoot.serviceAccount, undefined);
    assert.match(source.output(), /role source/);
  });

  it('walks the whole link: token, completion, SYNCED, inventory, change, rotation, deletion', async () => {
    // create token → complete on the source → SYNCED
    assert.deepEqual(await linkComplete(await createLinkToken()), { status: 'SYNCED' });
    assert.deepEqual(await status(), { status: 'SYNCED' });

    // availableProjects lists exactly the source inventory
    const inventory = await sourceInventory();
    assert.equal(inventory.length, 1);
    assert.deepEqual(await availableProjects(), inventory);
    assert.deepEqual(inventory[0].deployments[0], {
      name: 'rs-payments',
      mongoDBVersion: '7.0.13',
      featureCompatibilityVersion: '7.0',
      sharded: false,
      tlsEnabled: true,
      managed: true,
      agentVersion: '13.24.0.9285',
      dbSizeBytes: 1048576,
      oplogSizeMB: 2048,
    });

    // add a deployment on the source (admin command, another process) → Atlas shows it in bounded time
    await cli(['source', 'deployment', 'add', '--project', projectId, '--name', 'sh-ledger', '--mongodb-version', '8.0.4', '--fcv', '8.0', '--sharded', '--shards', '2', '--unmanaged']);
    const updated = await eventually(availableProjects, (p) => p[0]?.deployments.length === 2, 10_000);
    assert.deepEqual(updated, await sourceInventory());

    // rotate the token on Atlas → the old link goes NOT_SYNCED; completing with the new token syncs
    const rotated = await createLinkToken();
    const stale = await eventually(status, (s) => s.status === 'NOT_SYNCED', 10_000);
    assert.equal(stale.status, 'NOT_SYNCED');
    assert.match(stale.reason, /401/);
    assert.deepEqual(await linkComplete(rotated), { status: 'SYNCED' });
    assert.deepEqual(await availableProjects(), await sourceInventory());

    // DELETE on Atlas → the source reports NOT_SYNCED and availableProjects is []
    const deleted = await request(linkTokens(), { method: 'DELETE', headers: { authorization: `Bearer ${accessToken}`, accept: ATLAS_JSON } });
    assert.equal(deleted.status, 204);
    assert.deepEqual(await availableProjects(), []);
    assert.equal((await eventually(status, (s) => s.status === 'NOT_SYNCED', 10_000)).status, 'NOT_SYNCED');
  });

  it('Atlas down during completion: NOT_SYNCED, then SYNCED once it is back, without restarting the source', async () => {
    const linkToken = await createLinkToken();
    assert.equal(await atlas.stop(), 0);
    const down = await linkComplete(linkToken, 2);
    assert.equal(down.status, 'NOT_SYNCED');
    assert.match(down.reason ?? '', /could not be reached: ECONNREFUSED/);
    const text = await runCli(['link', 'complete', '--token', linkToken, '--source-url', source.url, '--data-dir', sourceDir]);
    assert.equal(text.code, 2, 'NOT_SYNCED is exit code 2, so scripts can tell');
    assert.match(text.stdout, /^Organization link successfully created\. Status: NOT_SYNCED \(.*could not be reached: ECONNREFUSED.*\)\n$/);
    atlas = await startAtlas();
    const back = await eventually(status, (s) => s.status === 'SYNCED', 10_000);
    assert.deepEqual(back, { status: 'SYNCED' });
    assert.deepEqual(await availableProjects(), await sourceInventory());
  });

  it('deleting the link while Atlas is down: 204, and Atlas drops the projects once it is back', async () => {
    assert.deepEqual(await linkComplete(await createLinkToken()), { status: 'SYNCED' });
    assert.deepEqual(await availableProjects(), await sourceInventory());
    assert.equal(await atlas.stop(), 0);
    assert.equal((await sourceCall('DELETE', '/liveExport/migrationLink')).status, 204);
    atlas = await startAtlas();
    const projects = await eventually(availableProjects, (p) => Array.isArray(p) && p.length === 0, 10_000);
    assert.deepEqual(projects, []);
  });

  it('replacing the link with one to another Atlas org withdraws the old inventory there, also when Atlas was down', async () => {
    // A second Atlas org and its owner key, made with the admin commands on the Atlas side's store.
    const atlasCli = async (args: string[]) => {
      const res = await runCli([...args, '--data-dir', atlasDir, '--json'], atlasStore.env);
      assert.equal(res.code, 0, res.stderr);
      return JSON.parse(res.stdout);
    };
    const second = await atlasCli(['org', 'create', '--name', 'Second']);
    const owner = await atlasCli(['apikey', 'create', '--org', second.id, '--role', 'ORG_OWNER']);
    const ownerKey = { publicKey: owner.publicKey, privateKey: owner.privateKey };
    const secondProjects = async () =>
      (await digestRequest(`${atlas.url}/api/atlas/v2/orgs/${second.id}/liveMigrations/availableProjects`, ownerKey, { headers: { accept: ATLAS_JSON } })).json;
    const secondToken = async () =>
      (
        await digestRequest(`${atlas.url}/api/atlas/v2/orgs/${second.id}/liveMigrations/linkTokens`, ownerKey, {
          method: 'POST',
          headers: { accept: ATLAS_JSON, 'content-type': 'application/json' },
          body: '{}',
        })
      ).json.linkToken as string;

    assert.deepEqual(await linkComplete(await createLinkToken()), { status: 'SYNCED' });
    assert.deepEqual(await linkComplete(await secondToken()), { status: 'SYNCED' });
    assert.deepEqual(await availableProjects(), [], 'the first org no longer lists the projects');
    assert.deepEqual(await secondProjects(), await sourceInventory());

    // Back to the first org while Atlas is down: the second org's copy goes once Atlas is back.
    const first = await createLinkToken();
    assert.equal(await atlas.stop(), 0);
    assert.equal((await linkComplete(first, 2)).status, 'NOT_SYNCED');
    atlas = await startAtlas();
    assert.deepEqual(await eventually(secondProjects, (p) => Array.isArray(p) && p.length === 0, 10_000), []);
    assert.deepEqual(await eventually(availableProjects, (p) => Array.isArray(p) && p.length === 1, 10_000), await sourceInventory());
  });

  it('link list|status|delete and source project list work on the source side\'s store', async () => {
    assert.equal((await linkComplete(await createLinkToken())).status, 'SYNCED');
    const shown = await cli(['link', 'status', '--org', sourceBoot.orgId]);
    assert.deepEqual([shown.orgId, shown.atlasOrgId, shown.status, shown.reason], [sourceBoot.orgId, atlasBoot.orgId, 'SYNCED', null]);
    assert.equal('ha1' in shown, false, 'a link is shown without its key\'s HA1');
    const listed = await cli(['link', 'list']);
    assert.deepEqual(listed.map((l: { orgId: string }) => l.orgId), [sourceBoot.orgId]);
    // Two deployments: the walk above added one to the first.
    assert.deepEqual(await cli(['source', 'project', 'list', '--org', sourceBoot.orgId]), [{ id: projectId, name: 'Payments', deployments: 2, migrationHosts: 1 }]);
    const deleted = await cli(['link', 'delete', '--org', sourceBoot.orgId]);
    assert.deepEqual(deleted, { deleted: sourceBoot.orgId, withdrawalPending: true });
    // The running source side withdraws the inventory from Atlas at its next sync (1 s here).
    assert.deepEqual(await eventually(availableProjects, (p) => Array.isArray(p) && p.length === 0, 10_000), []);
    const gone = await runCli(['link', 'status', '--org', sourceBoot.orgId, '--data-dir', sourceDir, '--json'], sourceStore.env);
    assert.equal(gone.code, 1);
    assert.deepEqual(JSON.parse(gone.stderr), { error: { message: 'Could not find the requested external organization link.', exitCode: 1 } });
  });

  it('link complete refuses a malformed token before sending it', async () => {
    const res = await runCli(['link', 'complete', '--token', 'garbage', '--source-url', source.url, '--data-dir', sourceDir]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /invalid link-token: it is not standard base64/);
  });

  it("link complete with another data dir's bootstrap.json (e.g. --role both's) names the file it signed in with", async () => {
    const token = Buffer.from(JSON.stringify({ orgId: 'a'.repeat(24), orgName: 'O', privateApiKey: crypto.randomUUID(), publicApiKey: 'abcdefgh' })).toString('base64');
    const dir = tempDir();
    try {
      fs.writeFileSync(path.join(dir, 'bootstrap.json'), JSON.stringify({ orgId: 'b'.repeat(24), apiKey: { publicKey: 'zyxwvuts', privateKey: crypto.randomUUID() } }));
      const res = await runCli(['link', 'complete', '--token', token, '--source-url', source.url, '--data-dir', dir]);
      assert.equal(res.code, 1);
      assert.match(res.stderr, /^pushlink: the source side answered 401 /);
      assert.ok(res.stderr.includes(`signed in as the org and key of ${path.join(dir, 'bootstrap.json')}: is that the source side's data dir? With --role both it is <data-dir>/source`), res.stderr);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('link complete says what is wrong with an unreadable bootstrap.json, or a URL that is not a source side', async () => {
    const token = Buffer.from(JSON.stringify({ orgId: 'a'.repeat(24), orgName: 'O', privateApiKey: crypto.randomUUID(), publicApiKey: 'abcdefgh' })).toString('base64');
    const dir = tempDir();
    for (const [content, message] of [
      ['{not json', /^pushlink: cannot read \S+bootstrap\.json: /],
      ['{}', /^pushlink: \S+bootstrap\.json lacks orgId and apiKey\.publicKey\/privateKey; give --org, --public-key and --private-key\n$/],
    ] as const) {
      fs.writeFileSync(path.join(dir, 'bootstrap.json'), content);
      const res = await runCli(['link', 'complete', '--token', token, '--source-url', source.url, '--data-dir', dir]);
      assert.equal(res.code, 1, content);
      assert.match(res.stderr, message);
    }
    // Something that answers 200, but not a source side.
    const other = http.createServer((_req, res) => res.end('<html>hello</html>'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(other.address() as net.AddressInfo).port}`;
      const res = await runCli(['link', 'complete', '--token', token, '--source-url', url, '--org', 'a'.repeat(24), '--public-key', 'abcdefgh', '--private-key', crypto.randomUUID()]);
      assert.equal(res.code, 1);
      assert.equal(res.stderr, `pushlink: ${url} answered 200 without a link status: is it a pushlink source side?\n`);
    } finally {
      other.close();
    }
  });
});

describe('--role both: one process serves both sides', () => {
  it('links its own source side to its own Atlas side', async () => {
    const dir = tempDir('pushlink-both-');
    // The Atlas side on the pass's back end; the source side always in SQLite under <dir>/source.
    const atlasStore = await testStoreEnv();
    const server = await startProcess(['serve', '--role', 'both', '--port', '0', '--data-dir', dir, '--sync-interval', '1'], { env: atlasStore.env });
    try {
      const atlasBoot = readBoot(dir);
      const sourceBoot = readBoot(path.join(dir, 'source'));
      assert.notEqual(atlasBoot.orgId, sourceBoot.orgId, 'each side keeps its own orgs');
      const announced = await eventually(async () => server.output(), (out) => out.includes('source side syncs with Atlas at'));
      assert.ok(announced.includes(`source side syncs with Atlas at ${server.url}/`), announced);
      const created = await digestRequest(`${server.url}/api/atlas/v2/orgs/${atlasBoot.orgId}/liveMigrations/linkTokens`, atlasBoot.apiKey, {
        method: 'POST',
        headers: { accept: ATLAS_JSON, 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(created.status, 201);
      const completed = await digestRequest(`${server.url}/api/public/v1.0/orgs/${sourceBoot.orgId}/liveExport/migrationLink`, sourceBoot.apiKey, {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/json' },
        body: JSON.stringify({ linkToken: created.json.linkToken }),
      });
      assert.deepEqual(completed.json, { status: 'SYNCED' });
      // The source side's keys are not Atlas keys, and the other way round.
      const crossed = await digestRequest(`${server.url}/api/atlas/v2/orgs`, sourceBoot.apiKey, { headers: { accept: ATLAS_JSON } });
      assert.equal(crossed.status, 401);
    } finally {
      await server.stop();
      await atlasStore.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--role source without --atlas-url is refused with a message', async () => {
    const res = await runCli(['serve', '--role', 'source', '--data-dir', tempDir()]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /--role source needs --atlas-url/);
  });
});

describe('an HTTPS Atlas side', () => {
  it('links with --atlas-ca trusting the Atlas CA, and not without it', async () => {
    const atlasDir = tempDir('pushlink-tls-atlas-');
    const trustingDir = tempDir('pushlink-tls-source-');
    const untrustingDir = tempDir('pushlink-tls-source-');
    const atlasStore = await testStoreEnv();
    const atlas = await startProcess(['serve', '--port', '0', '--data-dir', atlasDir, '--tls', 'self-signed'], { env: atlasStore.env });
    const ca = fs.readFileSync(path.join(atlasDir, 'tls', 'ca.pem'), 'utf8');
    const sources: ServerProcess[] = [];
    try {
      assert.match(atlas.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const source = await startProcess(
        ['serve', '--role', 'source', '--port', '0', '--data-dir', trustingDir, '--atlas-url', atlas.url, '--atlas-ca', path.join(atlasDir, 'tls', 'ca.pem'), '--sync-interval', '1'],
        { env: { PUSHLINK_DATABASE_URL: '' } },
      );
      sources.push(source);
      const untrusting = await startProcess(
        ['serve', '--role', 'source', '--port', '0', '--data-dir', untrustingDir, '--atlas-url', atlas.url, '--sync-interval', '1'],
        { env: { PUSHLINK_DATABASE_URL: '' } },
      );
      sources.push(untrusting);
      const linkToken = () => digestLinkToken(atlas.url, readBoot(atlasDir), ca);
      const complete = async (server: ServerProcess, dir: string, token: string) => {
        const boot = readBoot(dir);
        return (
          await digestRequest(`${server.url}/api/public/v1.0/orgs/${boot.orgId}/liveExport/migrationLink`, boot.apiKey, {
            method: 'POST',
            headers: { accept: 'application/json', 'content-type': 'application/json' },
            body: JSON.stringify({ linkToken: token }),
          })
        ).json;
      };
      assert.deepEqual(await complete(source, trustingDir, await linkToken()), { status: 'SYNCED' });
      const refused = await complete(untrusting, untrustingDir, await linkToken());
      assert.equal(refused.status, 'NOT_SYNCED');
      assert.match(refused.reason, /its TLS certificate is not trusted \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)\); give its CA with --atlas-ca$/);
    } finally {
      await Promise.all(sources.map((s) => s.stop()));
      await atlas.stop();
      await atlasStore.dispose();
      for (const dir of [atlasDir, trustingDir, untrustingDir]) fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses --atlas-ca with a plain-HTTP Atlas URL, or a file that holds no certificate', async () => {
    const plain = await runCli(['serve', '--role', 'source', '--atlas-url', 'http://127.0.0.1:1', '--atlas-ca', '/etc/hostname', '--data-dir', tempDir()]);
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, /--atlas-ca goes with an https:\/\/ --atlas-url/);
    const empty = await runCli(['serve', '--role', 'source', '--atlas-url', 'https://127.0.0.1:1', '--atlas-ca', '/etc/hostname', '--data-dir', tempDir()]);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /--atlas-ca: CA file \/etc\/hostname holds no PEM certificate/);
  });
});

describe('an HTTPS source side', () => {
  it('link complete reaches it with --ca trusting its CA, names --ca when it is missing, and exits 2 when NOT_SYNCED', async () => {
    const atlasDir = tempDir('pushlink-atlas-');
    const sourceDir = tempDir('pushlink-tls-source-');
    const atlasStore = await testStoreEnv();
    const sourceStore = await testStoreEnv();
    const atlas = await startProcess(['serve', '--port', '0', '--data-dir', atlasDir], { env: atlasStore.env });
    let source: ServerProcess | undefined;
    try {
      source = await startProcess(
        ['serve', '--role', 'source', '--port', '0', '--data-dir', sourceDir, '--tls', 'self-signed', '--atlas-url', atlas.url, '--sync-interval', '1'],
        { env: sourceStore.env },
      );
      assert.match(source.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const ca = path.join(sourceDir, 'tls', 'ca.pem');
      const linkToken = () => digestLinkToken(atlas.url, readBoot(atlasDir));
      const complete = (token: string, extra: string[]) =>
        runCli(['link', 'complete', '--token', token, '--source-url', source!.url, '--data-dir', sourceDir, ...extra]);

      const untrusted = await complete(await linkToken(), []);
      assert.equal(untrusted.code, 1);
      assert.match(untrusted.stderr, /its TLS certificate is not trusted \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)\); give its CA with --ca\n$/);

      const trusted = await complete(await linkToken(), ['--ca', ca, '--json']);
      assert.equal(trusted.code, 0, trusted.stderr);
      assert.deepEqual(JSON.parse(trusted.stdout), { status: 'SYNCED' });

      // A token whose key Atlas no longer takes: linked, NOT_SYNCED with the reason, exit code 2.
      const revoked = await linkToken();
      await linkToken();
      const refused = await complete(revoked, ['--ca', ca]);
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(refused.stdout, /^Organization link successfully created\. Status: NOT_SYNCED \(Atlas answered 401 .*\)\n$/);
    } finally {
      await source?.stop();
      await atlas.stop();
      await Promise.all([atlasStore.dispose(), sourceStore.dispose()]);
      for (const dir of [atlasDir, sourceDir]) fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('link complete refuses --ca with a plain-HTTP source URL, or a file that holds no certificate', async () => {
    const token = Buffer.from(JSON.stringify({ orgId: 'a'.repeat(24), orgName: 'x', privateApiKey: '00000000-1111-4222-8333-444444444444', publicApiKey: 'abcdwxyz' })).toString('base64');
    const base = ['link', 'complete', '--token', token, '--org', 'b'.repeat(24), '--public-key', 'abcdefgh', '--private-key', 'x'];
    const plain = await runCli([...base, '--source-url', 'http://127.0.0.1:1', '--ca', '/etc/hostname']);
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, /--ca goes with an https:\/\/ --source-url/);
    const empty = await runCli([...base, '--source-url', 'https://127.0.0.1:1', '--ca', '/etc/hostname']);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /--ca: CA file \/etc\/hostname holds no PEM certificate/);
  });
});
