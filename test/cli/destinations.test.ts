import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { digestRequest } from '../helpers/http.js';
import { readBootstrap, runCli, startProcess, type ServerProcess } from '../helpers/process.js';
import { tempDir } from '../helpers/server.js';
import { testStoreEnv } from '../helpers/store.js';

// Destinations with the real binary: the `project` and `cluster` admin commands on a running
// server's store, and cluster phases that survive a SIGKILL (they are stored instants, not timers).

const V2024 = 'application/vnd.atlas.2024-08-05+json';
const V2023 = 'application/vnd.atlas.2023-02-01+json';

describe('pushlink project/cluster commands and restarts (real process)', () => {
  let dataDir: string;
  let backend: Awaited<ReturnType<typeof testStoreEnv>>;
  let server: ServerProcess;
  let key: { publicKey: string; privateKey: string };
  let orgId: string;
  // Long phases: nothing may pass them early, whatever a restart does.
  const serveArgs = () => ['serve', '--port', '0', '--data-dir', dataDir, '--cluster-provisioning', '600', '--cluster-deletion', '600'];
  const cli = async (...args: string[]) => {
    const res = await runCli([...args, '--data-dir', dataDir, '--json'], backend.env);
    assert.equal(res.code, 0, res.stderr);
    return JSON.parse(res.stdout);
  };
  const api = (path: string, accept: string, options: { method?: string; json?: unknown } = {}) =>
    digestRequest(server.url + path, key, {
      method: options.method ?? 'GET',
      headers: { accept, ...(options.json !== undefined ? { 'content-type': accept } : {}) },
      ...(options.json !== undefined ? { body: JSON.stringify(options.json) } : {}),
    });

  before(async () => {
    dataDir = tempDir();
    backend = await testStoreEnv();
    server = await startProcess(serveArgs(), { env: backend.env });
    const boot = readBootstrap(dataDir);
    key = boot.apiKey;
    orgId = boot.orgId;
  });
  after(async () => {
    await server.stop();
    await backend.dispose();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('sets up a destination from the CLI while the server runs, and the API sees it', async () => {
    const project = await cli('project', 'create', '--org', orgId, '--name', 'cli-dest', '--tag', 'env=ci');
    assert.equal(project.name, 'cli-dest');
    assert.deepEqual(project.tags, [{ key: 'env', value: 'ci' }]);
    const listed = await cli('project', 'list', '--org', orgId);
    assert.deepEqual(listed.map((p: { id: string }) => p.id), [project.id]);
    const cluster = await cli('cluster', 'create', '--project', project.id, '--name', 'from-cli', '--tier', 'M30', '--mdb-version', '7.0', '--provisioning', '0');
    assert.equal(cluster.stateName, 'IDLE');
    assert.equal(cluster.mongoDBVersion, '7.0.40');
    const seen = await api(`/api/atlas/v2/groups/${project.id}/clusters/from-cli`, V2024);
    assert.equal(seen.status, 200);
    assert.equal(seen.json.stateName, 'IDLE');
    assert.equal(seen.json.replicationSpecs[0].regionConfigs[0].electableSpecs.instanceSize, 'M30');
    assert.equal((await cli('cluster', 'describe', '--project', project.id, '--name', 'from-cli')).id, cluster.id);
    assert.equal((await cli('cluster', 'list', '--project', project.id)).length, 1);

    const refused = await runCli(['project', 'delete', '--project', project.id, '--data-dir', dataDir], backend.env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /still has clusters/);
    await cli('cluster', 'delete', '--project', project.id, '--name', 'from-cli', '--deletion', '0');
    assert.equal((await api(`/api/atlas/v2/groups/${project.id}/clusters/from-cli`, V2024)).status, 404);
    await cli('project', 'delete', '--project', project.id);
    assert.equal((await api(`/api/atlas/v2/groups/${project.id}`, 'application/vnd.atlas.2023-01-01+json')).status, 404);
    const flex = await runCli(['cluster', 'create', '--project', project.id, '--name', 'x', '--tier', 'M5', '--data-dir', dataDir], backend.env);
    assert.equal(flex.code, 1);
    assert.match(flex.stderr, /^pushlink: /);
  });

  it('keeps a CREATING and a DELETING cluster in their phase, with the same instants, across a SIGKILL', async () => {
    const project = await api('/api/atlas/v2/groups', 'application/vnd.atlas.2023-01-01+json', { method: 'POST', json: { name: 'kill-9', orgId } });
    assert.equal(project.status, 201);
    const clusters = `/api/atlas/v2/groups/${project.json.id}/clusters`;
    const body = (name: string) => ({
      name,
      clusterType: 'REPLICASET',
      replicationSpecs: [{ numShards: 1, zoneName: 'Zone 1', regionConfigs: [{ priority: 7, providerName: 'AWS', regionName: 'US_EAST_1', electableSpecs: { instanceSize: 'M10', nodeCount: 3 } }] }],
    });
    const creating = await api(clusters, V2023, { method: 'POST', json: body('creating') });
    assert.equal(creating.status, 201, creating.text);
    assert.equal((await api(clusters, V2023, { method: 'POST', json: body('deleting') })).status, 201);
    assert.equal((await api(`${clusters}/deleting`, V2023, { method: 'DELETE' })).status, 202);

    assert.notEqual(await server.stop('SIGKILL'), 0);
    server = await startProcess(serveArgs(), { env: backend.env });

    const after = await api(`${clusters}/creating`, V2024);
    assert.equal(after.json.stateName, 'CREATING');
    assert.equal(after.json.id, creating.json.id);
    assert.equal(after.json.createDate, creating.json.createDate);
    assert.equal((await api(`${clusters}/deleting`, V2024)).json.stateName, 'DELETING');
  });
});
