import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { PROJECT_ROOT, startProcess, type ServerProcess } from '../helpers/process.js';
import { tempDir } from '../helpers/server.js';
import { testStoreEnv } from '../helpers/store.js';

// The README's migration walkthrough (docs/migration-walkthrough.sh) as a user runs it: curl and
// jq against one `pushlink serve --role both`, from link to COMPLETE.

const run = promisify(execFile);

async function missingTools(): Promise<string | undefined> {
  for (const tool of ['curl', 'jq', 'bash']) {
    try {
      await run(tool, ['--version']);
    } catch {
      return `${tool} is not installed (the walkthrough uses curl, jq and bash)`;
    }
  }
  return undefined;
}

describe('the README live-migration walkthrough (real process, --role both)', { skip: await missingTools() }, () => {
  let dataDir: string;
  let backend: Awaited<ReturnType<typeof testStoreEnv>>;
  let server: ServerProcess;
  before(async () => {
    dataDir = tempDir();
    backend = await testStoreEnv();
    server = await startProcess(
      ['serve', '--role', 'both', '--port', '0', '--data-dir', dataDir, '--cluster-provisioning', '2', '--validation-duration', '1', '--migration-sync', '3', '--migration-cutover', '1', '--sync-interval', '1'],
      { env: backend.env },
    );
  });
  after(async () => {
    await server.stop();
    await backend.dispose();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs as written: SYNCED, CREATING (then IDLE), SUCCESS, NEW, cutover 202, COMPLETE', async () => {
    const { stdout } = await run('bash', [path.join(PROJECT_ROOT, 'docs/migration-walkthrough.sh')], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...backend.env, PUSHLINK_URL: server.url, PUSHLINK_DATA_DIR: dataDir },
      timeout: 90_000,
    });
    const lines = stdout.trim().split('\n');
    assert.equal(lines[0], '{"status":"SYNCED"}');
    assert.equal(lines[1], 'CREATING');
    assert.match(lines[2]!, /"status":"SUCCESS"/);
    assert.equal(lines[3], '202');
    assert.match(lines[4]!, /^\{"_id":"[a-f0-9]{24}","lagTimeSeconds":null,"migrationHosts":\["mh1\.example\.com"\],"readyForCutover":false,"status":"COMPLETE"\}$/);
  });
});
