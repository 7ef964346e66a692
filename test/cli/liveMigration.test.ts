import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { digestRequest, type Credentials } from '../helpers/http.js';
import { readBootstrap, runCli, startProcess, type ServerProcess } from '../helpers/process.js';
import { tempDir } from '../helpers/server.js';
import { eventually } from '../helpers/source.js';
import { testStoreEnv } from '../helpers/store.js';

// The whole migration with two real processes, an Atlas side and a source side, each SIGKILLed
// in the middle of it: nothing acknowledged is lost, and each job resumes where it was.

const V2023 = 'application/vnd.atlas.2023-01-01+json';
const V2024_05_30 = 'application/vnd.atlas.2024-05-30+json';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

describe('a live migration across two processes, each killed mid-way (real processes)', () => {
  let atlasDir: string;
  let sourceDir: string;
  let atlasEnv: Awaited<ReturnType<typeof testStoreEnv>>;
  let sourceEnv: Awaited<ReturnType<typeof testStoreEnv>>;
  let atlas: ServerProcess;
  let source: ServerProcess;
  let atlasPort: number;
  let atlasKey: Credentials;
  let orgId: string;

  const atlasArgs = () => ['serve', '--port', String(atlasPort), '--data-dir', atlasDir, '--cluster-provisioning', '0', '--validation-duration', '0'];
  const sourceArgs = () => [
    'serve', '--role', 'source', '--port', '0', '--data-dir', sourceDir, '--atlas-url', `http://127.0.0.1:${atlasPort}`,
    '--sync-interval', '1', '--migration-poll', '1', '--migration-sync', '8', '--migration-cutover', '2',
  ];
  const api = (path: string, options: { method?: string; json?: unknown; accept?: string } = {}) =>
    digestRequest(`http://127.0.0.1:${atlasPort}${path}`, atlasKey, {
      method: options.method ?? 'GET',
      headers: { accept: options.accept ?? V2023, ...(options.json !== undefined ? { 'content-type': options.accept ?? V2023 } : {}) },
      ...(options.json !== undefined ? { body: JSON.stringify(options.json) } : {}),
    });
  const src = async (...args: string[]) => {
    const res = await runCli([...args, '--data-dir', sourceDir, '--json'], sourceEnv.env);
    assert.equal(res.code, 0, res.stderr);
    return JSON.parse(res.stdout);
  };

  before(async () => {
    atlasDir = tempDir();
    sourceDir = tempDir('pushlink-source-');
    [atlasEnv, sourceEnv] = [await testStoreEnv(), await testStoreEnv()];
    atlasPort = await freePort();
    atlas = await startProcess(atlasArgs(), { env: atlasEnv.env });
    source = await startProcess(sourceArgs(), { env: sourceEnv.env });
    const boot = readBootstrap(atlasDir);
    atlasKey = boot.apiKey;
    orgId = boot.orgId;
  });
  after(async () => {
    await source.stop();
    await atlas.stop();
    await atlasEnv.dispose();
    await sourceEnv.dispose();
    fs.rmSync(atlasDir, { recursive: true, force: true });
    fs.rmSync(sourceDir, { recursive: true, force: true });
  });

  it('links, migrates, survives a SIGKILL of the source and of Atlas, cuts over and completes', async () => {
    // The destination, on the Atlas side.
    const project = await api('/api/atlas/v2/groups', { method: 'POST', json: { name: 'dest', orgId } });
    assert.equal(project.status, 201, project.text);
    const groupId = project.json.id;
    const cluster = await api(`/api/atlas/v2/groups/${groupId}/clusters`, {
      method: 'POST',
      accept: 'application/vnd.atlas.2024-10-23+json',
      json: { name: 'dest', replicationSpecs: [{ regionConfigs: [{ providerName: 'AWS', regionName: 'US_EAST_1', electableSpecs: { instanceSize: 'M10' } }] }] },
    });
    assert.equal(cluster.status, 201, cluster.text);

    // The source's inventory, with the source side's admin commands, and the link.
    const sourceBoot = readBootstrap(sourceDir);
    const sourceProject = await src('source', 'project', 'create', '--org', sourceBoot.orgId, '--name', 'Billing');
    await src('source', 'deployment', 'add', '--project', sourceProject.id, '--name', 'rs-billing', '--mongodb-version', '7.0.13', '--fcv', '7.0');
    await src('source', 'migration-host', 'add', '--project', sourceProject.id, '--hostname', 'mh1.example.com');
    const token = await api(`/api/atlas/v2/orgs/${orgId}/liveMigrations/linkTokens`, { method: 'POST', json: {} });
    const linked = await digestRequest(`${source.url}/api/public/v1.0/orgs/${sourceBoot.orgId}/liveExport/migrationLink`, sourceBoot.apiKey, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ linkToken: token.json.linkToken }),
    });
    assert.equal(linked.status, 200, linked.text);

    const created = await api(`/api/atlas/v2/groups/${groupId}/liveMigrations`, {
      method: 'POST',
      accept: V2024_05_30,
      json: {
        destination: { clusterName: 'dest', groupId, hostnameSchemaType: 'PUBLIC' },
        migrationHosts: ['mh1.example.com'],
        source: { clusterName: 'rs-billing', groupId: sourceProject.id, managedAuthentication: true, ssl: false },
      },
    });
    assert.equal(created.status, 201, created.text);
    const path = `/api/atlas/v2/groups/${groupId}/liveMigrations/${created.json._id}`;
    const get = async () => (await api(path)).json;

    const working = await eventually(get, (m) => m.status === 'WORKING' && m.lagTimeSeconds > 0, 10_000);
    assert.equal(working.readyForCutover, false);

    // The source side dies: the job stays where it was; a new source side carries it on.
    assert.notEqual(await source.stop('SIGKILL'), 0);
    const whileDown = await get();
    assert.equal(whileDown.status, 'WORKING');
    source = await startProcess(sourceArgs(), { env: sourceEnv.env });
    const ready = await eventually(get, (m) => m.readyForCutover === true, 15_000);
    assert.deepEqual({ ...ready, _id: '' }, { _id: '', lagTimeSeconds: 0, migrationHosts: ['mh1.example.com'], readyForCutover: true, status: 'WORKING' });

    // Atlas dies: the acknowledged job, and its readiness, come back with it.
    assert.notEqual(await atlas.stop('SIGKILL'), 0);
    atlas = await startProcess(atlasArgs(), { env: atlasEnv.env });
    assert.deepEqual(await get(), ready);

    const cutover = await api(`${path}/cutover`, { method: 'PUT' });
    assert.equal(cutover.status, 202, cutover.text);
    const complete = await eventually(get, (m) => m.status === 'COMPLETE', 15_000);
    assert.equal(complete.status, 'COMPLETE');

    const listed = await runCli(['migration', 'list', '--org', orgId, '--data-dir', atlasDir, '--json'], atlasEnv.env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout).map((m: { _id: string; status: string }) => [m._id, m.status]), [[created.json._id, 'COMPLETE']]);
    assert.match(atlas.output(), /live migration COMPLETE/);
  });
});
