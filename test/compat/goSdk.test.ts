import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { selfSignedFiles } from '../../src/tls/selfSigned.js';
import { addSourceMigrationHost, createSourceProject, saveSourceDeployment } from '../../src/domain/inventory.js';
import { bearerCall, bootstrapToken, linkTokensPath, newKey, newServiceAccount } from '../helpers/atlas.js';
import { startSourceServer } from '../helpers/source.js';
import { COMPAT_GO_DIR, goSkip, goTestOutput, goTestResults, requireGo, runGo } from '../helpers/go.js';
import { startServer, type TestServer } from '../helpers/server.js';

// The official Atlas Go SDK, two generations, against a pushlink on this pass's back end:
// test/compat/go runs every operation pushlink serves through the SDK's own methods, with digest
// and OAuth, and checks every response against the OpenAPI document inside the SDK module. This
// file starts the pushlink, hands the Go suite its URL and credentials (environment only) and
// fails if any Go test fails, or if the tests it expects did not run at all.

const ORG_NAME = 'pushlink-compat';

/** Every top-level Go test a run must report as passed ("package Test"), in both generations. */
const inBoth = (tests: string[]) => tests.flatMap((test) => ['v2024', 'v2025'].map((pkg) => `${pkg} ${test}`));
const EXPECTED = inBoth(['TestOrganizations', 'TestLinkTokens', 'TestLinkTokenRefusals', 'TestProjectsAndClusters']);
/** TestLiveMigration runs on its own pushlink, whose org is linked to a source side (the link tests would unlink it). */
const EXPECTED_MIGRATION = inBoth(['TestLiveMigration']);
const SOURCE_DEPLOYMENT = 'rs-billing';
const MIGRATION_HOST = 'mh1.example.com';
/** Short phases, so watching a cluster or a migration takes seconds. */
const QUICK = { clusterProvisioningMs: 500, clusterDeletionMs: 500, validationMs: 0 };

/** Runs the whole Go suite against server; extra env (e.g. the CA to trust) is added. */
async function runSuite(
  server: TestServer,
  extraEnv: NodeJS.ProcessEnv = {},
  selection: { filter: string[]; expected: string[] } = { filter: ['-skip', 'TestLiveMigration'], expected: EXPECTED },
): Promise<void> {
  const go = await requireGo();
  const member = await newKey(server, ['ORG_MEMBER']);
  const memberSa = await newServiceAccount(server, ['ORG_MEMBER']);
  const { bootstrap } = server;
  const env = {
    PUSHLINK_COMPAT_BASE_URL: server.url,
    PUSHLINK_COMPAT_ORG_ID: bootstrap.orgId,
    PUSHLINK_COMPAT_ORG_NAME: ORG_NAME,
    PUSHLINK_COMPAT_OWNER_PUBLIC_KEY: bootstrap.apiKey.publicKey,
    PUSHLINK_COMPAT_OWNER_PRIVATE_KEY: bootstrap.apiKey.privateKey,
    PUSHLINK_COMPAT_OWNER_CLIENT_ID: bootstrap.serviceAccount.clientId,
    PUSHLINK_COMPAT_OWNER_CLIENT_SECRET: bootstrap.serviceAccount.clientSecret,
    PUSHLINK_COMPAT_MEMBER_PUBLIC_KEY: member.publicKey,
    PUSHLINK_COMPAT_MEMBER_PRIVATE_KEY: member.privateKey,
    PUSHLINK_COMPAT_MEMBER_CLIENT_ID: memberSa.clientId,
    PUSHLINK_COMPAT_MEMBER_CLIENT_SECRET: memberSa.clientSecret,
    // The SDK modules and validator come from the module proxy at the versions go.sum pins.
    GOFLAGS: '-mod=readonly',
    ...extraEnv,
  };
  // -p 1: the packages share the org's one link, so they must not run at the same time.
  const run = await runGo(go, ['test', '-json', '-count=1', '-p', '1', ...selection.filter, './...'], { cwd: COMPAT_GO_DIR, env, timeoutMs: 540_000 });
  const results = goTestResults(run.stdout);
  const output = `${goTestOutput(run.stdout)}\n${run.stderr}`;
  const failed = [...results].filter(([, outcome]) => outcome === 'fail').map(([name]) => name);
  assert.deepEqual(failed, [], `Go tests failed:\n${output}`);
  for (const name of selection.expected) assert.equal(results.get(name), 'pass', `${name} did not pass:\n${output}`);
  assert.equal(run.code, 0, `go test exited ${run.code}:\n${output}`);
}

describe('official Atlas Go SDK (test/compat/go)', { skip: await goSkip() }, () => {
  let server: TestServer;
  let httpsServer: TestServer;
  before(async () => {
    // The spec's pattern for an org name allows no space (so not the helpers' "Test Org").
    server = await startServer(QUICK, { orgName: ORG_NAME });
    httpsServer = await startServer(QUICK, { orgName: ORG_NAME, selfSignedTls: true });
  });
  after(async () => {
    await server.close();
    await httpsServer.close();
  });

  // The whole migration through the SDK: an Atlas side whose org is linked to an in-process source
  // side (whose migration host runs the jobs quickly), with one deployment and migration host.
  it('runs a live migration, validate to COMPLETE, through both generations\' own calls', async () => {
    const atlas = await startServer({ ...QUICK, rateLimit: { enabled: false, capacity: 1, refillAmount: 1, refillPeriodMs: 60_000 } }, { orgName: ORG_NAME });
    const source = await startSourceServer(atlas.url, { migrationPollMs: 100, migrationSyncMs: 1000, migrationCutoverMs: 500 });
    try {
      const project = await createSourceProject(source.store, source.orgId, 'Billing');
      await saveSourceDeployment(source.store, project.id, {
        name: SOURCE_DEPLOYMENT, mongoDBVersion: '7.0.13', featureCompatibilityVersion: '7.0', sharded: false, tlsEnabled: false, managed: true,
      });
      await addSourceMigrationHost(source.store, project.id, MIGRATION_HOST);
      const token = await bootstrapToken(atlas);
      const linkToken = (await bearerCall(atlas, linkTokensPath(atlas.bootstrap.orgId), token, { method: 'POST', json: {} })).json.linkToken;
      const linked = await source.call('POST', `/api/public/v1.0/orgs/${source.orgId}/liveExport/migrationLink`, { linkToken });
      assert.equal(linked.json?.status, 'SYNCED', linked.text);
      await runSuite(
        atlas,
        { PUSHLINK_COMPAT_SOURCE_GROUP_ID: project.id, PUSHLINK_COMPAT_SOURCE_CLUSTER: SOURCE_DEPLOYMENT, PUSHLINK_COMPAT_MIGRATION_HOST: MIGRATION_HOST },
        { filter: ['-run', 'TestLiveMigration'], expected: EXPECTED_MIGRATION },
      );
    } finally {
      await source.close();
      await atlas.close();
    }
  });

  // The README's recipe (test/compat/go/recipe), with both ways of signing in; its real output
  // is what the README shows.
  for (const signIn of ['digest', 'oauth'] as const) {
    it(`the README's Go recipe runs as printed (${signIn})`, async () => {
      const go = await requireGo();
      const { bootstrap } = server;
      const credentials =
        signIn === 'digest'
          ? { PUBLIC_KEY: bootstrap.apiKey.publicKey, PRIVATE_KEY: bootstrap.apiKey.privateKey }
          : { CLIENT_ID: bootstrap.serviceAccount.clientId, CLIENT_SECRET: bootstrap.serviceAccount.clientSecret };
      const run = await runGo(go, ['run', './recipe'], {
        cwd: COMPAT_GO_DIR,
        env: { PUSHLINK_URL: server.url, ORG_ID: bootstrap.orgId, GOFLAGS: '-mod=readonly', ...credentials },
        timeoutMs: 300_000,
      });
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(run.stdout.trim().split('\n'), [
        `org: ${bootstrap.orgId} ${ORG_NAME}`,
        `link-token: 201 Created, org ${bootstrap.orgId}`,
        'available projects: 0',
        'deleted: 204',
        'refused: 401 USER_CANNOT_ACCESS_ORG',
      ]);
    });
  }

  it('over http://: every SDK call of both generations succeeds or is refused as Atlas does, and conforms to the spec', () =>
    runSuite(server));

  // What the README tells users: --tls self-signed, and Go trusts the CA through SSL_CERT_FILE
  // (crypto/x509 reads it on Linux), with no change to the client code.
  it('over https:// (--tls self-signed, CA trusted by SSL_CERT_FILE): the same', () => {
    assert.match(httpsServer.url, /^https:/);
    return runSuite(httpsServer, { SSL_CERT_FILE: selfSignedFiles(httpsServer.dataDir).caCert });
  });
});
