import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ATLAS_JSON, digestRequest } from '../helpers/http.js';
import { readBootstrap, runCli, startProcess, type ServerProcess } from '../helpers/process.js';
import { tempDir } from '../helpers/server.js';
import { eventually } from '../helpers/source.js';
import { testStoreEnv } from '../helpers/store.js';

// The source side syncs its links as soon as it starts, not one --sync-interval later: after a
// restart, the status it answers is Atlas's of now, not the one stored before (issue 16).

describe('the source side syncs at start (real processes)', () => {
  let atlasDir: string;
  let sourceDir: string;
  let atlasStore: Awaited<ReturnType<typeof testStoreEnv>>;
  let sourceStore: Awaited<ReturnType<typeof testStoreEnv>>;
  let atlas: ServerProcess;
  before(async () => {
    atlasDir = tempDir('pushlink-atlas-');
    sourceDir = tempDir('pushlink-source-');
    atlasStore = await testStoreEnv();
    sourceStore = await testStoreEnv();
    atlas = await startProcess(['serve', '--port', '0', '--data-dir', atlasDir], { env: atlasStore.env });
  });
  after(async () => {
    await atlas.stop();
    await Promise.all([atlasStore.dispose(), sourceStore.dispose()]);
    fs.rmSync(atlasDir, { recursive: true, force: true });
    fs.rmSync(sourceDir, { recursive: true, force: true });
  });

  it('a link whose key Atlas rotated away while the source was down shows NOT_SYNCED right after the restart', async () => {
    const boot = readBootstrap(atlasDir);
    const createToken = async () => {
      const res = await digestRequest(`${atlas.url}/api/atlas/v2/orgs/${boot.orgId}/liveMigrations/linkTokens`, boot.apiKey, {
        method: 'POST',
        headers: { accept: ATLAS_JSON, 'content-type': 'application/json' },
        body: '{"accessListIps":["127.0.0.1"]}',
      });
      assert.equal(res.status, 201, res.text);
      return res.json.linkToken as string;
    };
    // An hour between rounds: only a sync at start can notice anything within this test.
    const serveSource = () =>
      startProcess(['serve', '--role', 'source', '--port', '0', '--data-dir', sourceDir, '--atlas-url', atlas.url, '--sync-interval', '3600'], { env: sourceStore.env });
    let source = await serveSource();
    const sourceOrg = readBootstrap(sourceDir).orgId;
    const status = async () => JSON.parse((await runCli(['link', 'status', '--org', sourceOrg, '--data-dir', sourceDir, '--json'], sourceStore.env)).stdout) as { status: string; reason: string | null };
    try {
      const completed = await runCli(['link', 'complete', '--token', await createToken(), '--source-url', source.url, '--data-dir', sourceDir]);
      assert.equal(completed.code, 0, completed.stderr);
    } finally {
      assert.equal(await source.stop(), 0);
    }
    await createToken(); // rotation: the source's link key dies, its stored status still says SYNCED
    assert.equal((await status()).status, 'SYNCED');
    source = await serveSource();
    try {
      const now = await eventually(status, (s) => s.status === 'NOT_SYNCED', 10_000);
      assert.equal(now.status, 'NOT_SYNCED');
      assert.match(now.reason ?? '', /^Atlas answered 401 .*create a new link-token there and complete the link again\)$/);
    } finally {
      await source.stop();
    }
  });
});
