import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { decodeToken } from '../helpers/atlas.js';
import { ATLAS_CLI_MODULE, ATLAS_CLI_VERSION, buildAtlasCli, type AtlasCliBuild } from '../helpers/atlasCli.js';
import { goSkip, requireGo } from '../helpers/go.js';
import { startServer, tempDir, type TestServer } from '../helpers/server.js';

// The atlas CLI against pushlink, pointed at it the way its own e2e replay points it at a fake
// Atlas (MONGODB_ATLAS_OPS_MANAGER_URL, reference/live-migrations.md §3.2), credentials in its
// documented environment variables, a throw-away config home, telemetry off.
//
// The pinned release is built from the module proxy (helpers/atlasCli.ts). When the proxy does not
// serve it the test skips with the proxy's answer, unless PUSHLINK_TEST_REQUIRE_ATLAS_CLI=1. No
// release of the CLI has been served here so far, so the commands below follow the CLI's
// documentation (docs/command/atlas-*.txt) and have not yet run against a real binary.

const execFileAsync = promisify(execFile);
const REQUIRED = process.env.PUSHLINK_TEST_REQUIRE_ATLAS_CLI === '1';

describe(`atlas CLI ${ATLAS_CLI_VERSION} (${ATLAS_CLI_MODULE})`, { skip: await goSkip() }, () => {
  let build: AtlasCliBuild;
  let server: TestServer | undefined;
  let home: string;
  before(async () => {
    build = await buildAtlasCli(await requireGo());
    console.log(`# atlas CLI ${ATLAS_CLI_VERSION}: ${build.binary ? `${build.binary} (${build.seconds ? `built in ${build.seconds.toFixed(0)} s` : 'cached'})` : build.reason}`);
    if (build.binary) server = await startServer({}, { orgName: 'pushlink-compat' });
    home = tempDir('pushlink-atlas-home-');
  });
  after(async () => {
    await server?.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  async function atlas(args: string[], stdin?: string): Promise<string> {
    const { bootstrap, url } = server!;
    const child = execFileAsync(build.binary!, args, {
      env: {
        PATH: process.env.PATH,
        HOME: home,
        XDG_CONFIG_HOME: home,
        MONGODB_ATLAS_OPS_MANAGER_URL: `${url}/`,
        MONGODB_ATLAS_PUBLIC_API_KEY: bootstrap.apiKey.publicKey,
        MONGODB_ATLAS_PRIVATE_API_KEY: bootstrap.apiKey.privateKey,
        MONGODB_ATLAS_ORG_ID: bootstrap.orgId,
        MONGODB_ATLAS_TELEMETRY_ENABLE: 'false',
        MONGODB_ATLAS_SKIP_UPDATE_CHECK: 'yes',
        DO_NOT_TRACK: '1',
      },
      timeout: 60_000,
    });
    if (stdin !== undefined) child.child.stdin!.end(stdin);
    const { stdout } = await child;
    return stdout;
  }

  it('orgs list, the generated api commands and liveMigrations link create|delete work against pushlink', async (t) => {
    if (!build.binary) {
      if (REQUIRED) assert.fail(`${build.reason} (PUSHLINK_TEST_REQUIRE_ATLAS_CLI=1)`);
      t.skip(build.reason);
      return;
    }
    const { orgId } = server!.bootstrap;
    const orgs = JSON.parse(await atlas(['orgs', 'list', '-o', 'json']));
    assert.deepEqual(orgs.results.map((o: { id: string }) => o.id), [orgId]);

    const created = JSON.parse(
      await atlas(['api', 'cloudMigrationService', 'createLinkToken', '--orgId', orgId, '--version', '2023-01-01'], '{"accessListIps":["127.0.0.1"]}'),
    );
    assert.equal(decodeToken(created.linkToken).orgId, orgId);
    assert.deepEqual(JSON.parse(await atlas(['api', 'cloudMigrationService', 'listAvailableProjects', '--orgId', orgId])), []);
    await atlas(['api', 'cloudMigrationService', 'deleteLinkTokens', '--orgId', orgId]);
    assert.equal(JSON.parse(await atlas(['api', 'organizations', 'getOrg', '--orgId', orgId])).id, orgId);

    const linked = JSON.parse(await atlas(['liveMigrations', 'link', 'create', '--accessListIp', '127.0.0.1', '-o', 'json']));
    assert.equal(decodeToken(linked.linkToken).orgId, orgId);
    await atlas(['liveMigrations', 'link', 'delete', '--force']);
  });
});
