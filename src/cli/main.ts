#!/usr/bin/env node
import fs from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { ConfigError, SOURCE_DEFAULT_DATA_DIR, parseDatabaseUrl, resolveServeConfig, type ServeOptions } from '../config.js';
import { DomainError } from '../domain/errors.js';
import { NoStoreError, type StoreLocation } from '../store/open.js';
import { StoreUnavailableError } from '../store/store.js';
import { AtlasUnreachable } from '../sync/atlasClient.js';
import * as admin from './admin.js';
import { registerDestinationCommands } from './destinations.js';
import { registerMigrationCommands } from './liveMigrations.js';
import { LinkCommandError, linkComplete } from './linkComplete.js';
import { reset } from './reset.js';
import { serve } from './serve.js';
import * as source from './source.js';
import { readTokenArgument } from './tokenArgument.js';
import { tokenInspect } from './tokenInspect.js';
import type { SourceDeployment } from '../store/store.js';

// The `pushlink` command: the server and the admin commands that work on its store.

/** package.json's version, read next to dist/ (the bin is dist/src/cli/main.js) as after an install. */
const VERSION = (JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const program = new Command('pushlink')
  .description('An Atlas-compatible server for MongoDB live-migration links')
  .version(VERSION, '-V, --version', 'print the pushlink version')
  .showHelpAfterError()
  .exitOverride((error) => {
    process.exit(error.exitCode);
  });

const dataDirOption = () =>
  new Option('--data-dir <dir>', 'data directory (env PUSHLINK_DATA_DIR)').default(process.env.PUSHLINK_DATA_DIR ?? './data', './data');
const databaseUrlOption = () =>
  new Option('--database-url <url>', 'PostgreSQL URL instead of SQLite in the data dir (env PUSHLINK_DATABASE_URL)');
const jsonOption = () => new Option('--json', 'print JSON');
/** The store an admin command works on: the server's data dir or its PostgreSQL database. */
const storeLocation = (o: { dataDir: string; databaseUrl?: string }): StoreLocation => ({
  dataDir: path.resolve(o.dataDir),
  databaseUrl: parseDatabaseUrl(o.databaseUrl ?? process.env.PUSHLINK_DATABASE_URL),
});
/** `--access-list a b` and `--access-list a,b` both work. */
const splitList = (values: string[] | undefined): string[] =>
  (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v.length > 0);

program
  .command('serve')
  .description('run the server (default 127.0.0.1:8080, data in ./data)')
  .option('--role <role>', 'atlas (default), source (Cloud Manager / Ops Manager side) or both (env PUSHLINK_ROLE)')
  .option('--atlas-url <url>', 'source side: the Atlas side to sync with (env PUSHLINK_ATLAS_URL; with --role both, this process)')
  .option('--atlas-ca <file>', 'source side: trust this CA (PEM) for an https --atlas-url (env PUSHLINK_ATLAS_CA)')
  .option('--sync-interval <seconds>', 'source side: re-push every linked inventory this often (default 10)')
  .option('--sync-timeout <seconds>', 'source side: upper bound of one call to Atlas (default 5)')
  .option('--host <host>', 'address to listen on (env PUSHLINK_HOST; default 127.0.0.1)')
  .option('--port <port>', 'port, 0 for any free one (env PUSHLINK_PORT; default 8080, 8081 for --role source)')
  .option('--public-url <url>', 'where clients reach this server, e.g. behind a proxy; links in answers start with it (env PUSHLINK_PUBLIC_URL; default: from the Host header)')
  .option('--tls <self-signed>', 'serve HTTPS with a local CA kept in <data-dir>/tls (env PUSHLINK_TLS)')
  .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (chain) (env PUSHLINK_TLS_CERT)')
  .option('--tls-key <file>', 'private key of --tls-cert, PEM (env PUSHLINK_TLS_KEY)')
  .option('--metrics-port <port>', 'serve /metrics on this port only, plain HTTP (env PUSHLINK_METRICS_PORT; default: on the API port)')
  .option('--data-dir <dir>', 'data directory (env PUSHLINK_DATA_DIR; default ./data, ./data-source for --role source)')
  .option('--database-url <url>', 'PostgreSQL URL (env PUSHLINK_DATABASE_URL); default: SQLite in the data dir')
  .option('--rate-limit <on|off>', 'Atlas rate limiting (env PUSHLINK_RATE_LIMIT; default on)')
  .option('--rate-limit-capacity <n>', 'bucket capacity per org (default 500)')
  .option('--rate-limit-refill <n>', 'tokens added each period (default 250)')
  .option('--rate-limit-period <seconds>', 'refill period (default 60)')
  .option('--nonce-ttl <seconds>', 'digest nonce lifetime (default 300)')
  .option('--cluster-provisioning <seconds>', 'how long a new cluster stays CREATING before IDLE (default 5)')
  .option('--cluster-deletion <seconds>', 'how long a deleted cluster stays DELETING before it is gone (default 3)')
  .option('--validation-duration <seconds>', 'how long a live-migration validation stays PENDING (default 2)')
  .option('--cutover-window <seconds>', 'how long a migration stays ready for cutover before EXPIRED (default 432000 = 120 h)')
  .option('--migration-poll <seconds>', "source side: how often the migration host asks Atlas for its jobs (default 1)")
  .option('--migration-sync <seconds>', 'source side: how long a migration takes to be ready for cutover (default 15)')
  .option('--migration-cutover <seconds>', 'source side: how long a migration takes from cutover to COMPLETE (default 5)')
  .option('--token-ttl <seconds>', 'OAuth access token lifetime (default 3600)')
  .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (env PUSHLINK_LOG_LEVEL; default info)')
  .option('--log-format <format>', 'auto|json|pretty; auto is pretty on a terminal, JSON otherwise (env PUSHLINK_LOG_FORMAT)')
  .option('--seed <file>', 'create the orgs, API keys and service accounts of this YAML/JSON file on start, with its ids and secrets, instead of a random bootstrap (env PUSHLINK_SEED; README, Fixed credentials)')
  .option('--dev-credentials', 'bootstrap with the well-known development credentials of the README: for development only, never the default (env PUSHLINK_DEV_CREDENTIALS=true)')
  .addHelpText(
    'after',
    '\nEvery option can come from the environment instead: PUSHLINK_ and the option name in capitals with _ for -\n' +
      '(--sync-interval 5 is PUSHLINK_SYNC_INTERVAL=5); the option wins when both are given.',
  )
  .action(async (options: ServeOptions) => {
    await serve(resolveServeConfig(options));
  });

program
  .command('reset')
  .description("empty a data dir's state (database, bootstrap.json; tls/ is kept) so the next start begins afresh; refuses while a server runs on it")
  .option('--yes', 'really delete (without it, says what would be deleted)', false)
  .addOption(dataDirOption())
  .addOption(databaseUrlOption())
  .addOption(jsonOption())
  .action((o) => reset(path.resolve(o.dataDir), { yes: !!o.yes, databaseUrl: o.databaseUrl ?? process.env.PUSHLINK_DATABASE_URL }, { json: !!o.json }));

const org = program.command('org').description('organizations');
org
  .command('create')
  .requiredOption('--name <name>', 'organization name')
  .addOption(dataDirOption())
  .addOption(databaseUrlOption())
  .addOption(jsonOption())
  .action((o) => admin.orgCreate(storeLocation(o), o.name, { json: !!o.json }));
org
  .command('list')
  .addOption(dataDirOption())
  .addOption(databaseUrlOption())
  .addOption(jsonOption())
  .action((o) => admin.orgList(storeLocation(o), { json: !!o.json }));

const apikey = program.command('apikey').description('organization API keys (HTTP Digest)');
apikey
  .command('create')
  .requiredOption('--org <orgId>', 'organization id')
  .requiredOption('--role <roles...>', 'ORG_OWNER, ORG_MEMBER, ORG_READ_ONLY, ORG_GROUP_CREATOR or ORG_BILLING_ADMIN')
  .option('--access-list <entries...>', 'IP addresses or CIDR blocks allowed to use the key (default: any)')
  .option('--description <text>', 'description')
  .addOption(dataDirOption())
  .addOption(databaseUrlOption())
  .addOption(jsonOption())
  .action((o) =>
    admin.apiKeyCreate(
      storeLocation(o),
      { orgId: o.org, roles: splitList(o.role), accessList: splitList(o.accessList), description: o.description },
      { json: !!o.json },
    ),
  );
apikey
  .command('list')
  .requiredOption('--org <orgId>', 'organization id')
  .addOption(dataDirOption())
  .addOption(databaseUrlOption())
  .addOption(jsonOption())
  .action((o) => admin.apiKeyList(storeLocation(o), o.org, { json: !!o.json }));
apikey
  .command('delete')
  .requiredOption('--org <orgId>', 'organization id')
  .requiredOption('--public-key <key>', 'public key of the API key')
  .addOption(dataDirOption())
  .addOption(databaseUrlOption())
  .addOption(jsonOption())
  .action((o) => admin.apiKeyDelete(storeLocation(o), o.org, o.publicKey, { json: !!o.json }));

const serviceAccount = program.command('service-account').description('service accounts (OAuth 2.0 client credentials)');
serviceAccount
  .command('create')
  .requiredOption('--org <orgId>', 'organization id')
  .requiredOption('--role <roles...>', 'ORG_OWNER, ORG_MEMBER, ORG_READ_ONLY, ORG_GROUP_CREATOR or ORG_BILLING_ADMIN')
  .option('--access-list <entries...>', 'IP addresses or CIDR blocks allowed to call the API (default: any)')
  .option('--name <name>', 'display name')
  .addOption(dataDirOption())
  .addOption(databaseUrlOption())
  .addOption(jsonOption())
  .action((o) =>
    admin.serviceAccountCreate(
      storeLocation(o),
      { orgId: o.org, roles: splitList(o.role), accessList: splitList(o.accessList), name: o.name },
      { json: !!o.json },
    ),
  );
serviceAccount
  .command('list')
  .requiredOption('--org <orgId>', 'organization id')
  .addOption(dataDirOption())
  .addOption(databaseUrlOption())
  .addOption(jsonOption())
  .action((o) => admin.serviceAccountList(storeLocation(o), o.org, { json: !!o.json }));
serviceAccount
  .command('delete')
  .requiredOption('--org <orgId>', 'organization id')
  .requiredOption('--client-id <id>', 'client id of the service account')
  .addOption(dataDirOption())
  .addOption(databaseUrlOption())
  .addOption(jsonOption())
  .action((o) => admin.serviceAccountDelete(storeLocation(o), o.org, o.clientId, { json: !!o.json }));

const sourceDataDirOption = () =>
  new Option('--data-dir <dir>', "the source side's data directory").default(SOURCE_DEFAULT_DATA_DIR);
const sourceCommand = program.command('source').description("the source side's inventory (projects, deployments, migration hosts)");
const sourceProject = sourceCommand.command('project').description('source projects');
sourceProject
  .command('create')
  .requiredOption('--org <orgId>', 'source organization id')
  .requiredOption('--name <name>', 'project name')
  .addOption(sourceDataDirOption())
  .addOption(databaseUrlOption())
  .addOption(jsonOption())
  .action((o) => source.projectCreate(storeLocation(o), o.org, o.name, { json: !!o.json }));
const sourceDeployment = sourceCommand.command('deployment').description("a source project's deployments");
const wholeNumber = (name: string) => (value: string) => {
  if (!/^\d+$/.test(value)) throw new ConfigError(`${name} must be a whole number, got "${value}"`);
  return Number(value);
};
sourceDeployment
  .command('add')
  .description('add a deployment, or replace the one with the same name')
  .requiredOption('--project <projectId>', 'source project id')
  .requiredOption('--name <name>', 'deployment (replica set or cluster) name')
  .requiredOption('--mongodb-version <version>', 'e.g. 7.0.13')
  .requiredOption('--fcv <version>', 'featureCompatibilityVersion, e.g. 7.0')
  .option('--sharded', 'a sharded cluster', false)
  .option('--shards <n>', 'number of shards (sharded only)', wholeNumber('--shards'))
  .option('--tls', 'TLS enabled', false)
  .option('--unmanaged', 'not managed by automation (managed by default)', false)
  .option('--agent-version <version>', 'MongoDB Agent version, e.g. 13.24.0.9285')
  .option('--db-size-bytes <n>', 'data size in bytes', wholeNumber('--db-size-bytes'))
  .option('--oplog-size-mb <n>', 'oplog size in MB', wholeNumber('--oplog-size-mb'))
  .option('--cluster-id <id>', '24-hex cluster id')
  .addOption(sourceDataDirOption())
  .addOption(databaseUrlOption())
  .addOption(jsonOption())
  .action((o) => {
    const deployment: SourceDeployment = {
      name: o.name,
      mongoDBVersion: o.mongodbVersion,
      featureCompatibilityVersion: o.fcv,
      sharded: !!o.sharded,
      tlsEnabled: !!o.tls,
      managed: !o.unmanaged,
      ...(o.clusterId !== undefined ? { clusterId: o.clusterId } : {}),
      ...(o.agentVersion !== undefined ? { agentVersion: o.agentVersion } : {}),
      ...(o.dbSizeBytes !== undefined ? { dbSizeBytes: o.dbSizeBytes } : {}),
      ...(o.oplogSizeMb !== undefined ? { oplogSizeMB: o.oplogSizeMb } : {}),
      ...(o.shards !== undefined ? { shardsSize: o.shards } : {}),
    };
    return source.deploymentAdd(storeLocation(o), o.project, deployment, { json: !!o.json });
  });
sourceDeployment
  .command('remove')
  .requiredOption('--project <projectId>', 'source project id')
  .requiredOption('--name <name>', 'deployment name')
  .addOption(sourceDataDirOption())
  .addOption(databaseUrlOption())
  .addOption(jsonOption())
  .action((o) => source.deploymentRemove(storeLocation(o), o.project, o.name, { json: !!o.json }));
const migrationHost = sourceCommand.command('migration-host').description("a source project's migration hosts");
migrationHost
  .command('add')
  .requiredOption('--project <projectId>', 'source project id')
  .requiredOption('--hostname <host>', 'the migration host (a MongoDB Agent host)')
  .addOption(sourceDataDirOption())
  .addOption(databaseUrlOption())
  .addOption(jsonOption())
  .action((o) => source.migrationHostAdd(storeLocation(o), o.project, o.hostname, { json: !!o.json }));
migrationHost
  .command('remove')
  .requiredOption('--project <projectId>', 'source project id')
  .requiredOption('--hostname <host>', 'the migration host')
  .addOption(sourceDataDirOption())
  .addOption(databaseUrlOption())
  .addOption(jsonOption())
  .action((o) => source.migrationHostRemove(storeLocation(o), o.project, o.hostname, { json: !!o.json }));
sourceCommand
  .command('inventory')
  .description("print what the org's link pushes to Atlas")
  .requiredOption('--org <orgId>', 'source organization id')
  .addOption(sourceDataDirOption())
  .addOption(databaseUrlOption())
  .addOption(jsonOption())
  .action((o) => source.inventoryShow(storeLocation(o), o.org, { json: !!o.json }));

program
  .command('link')
  .description('the source side of a live-migration link')
  .command('complete')
  .description(
    'paste a link-token into a source side (as a Cloud Manager user would) and print the status; exit code 0 when SYNCED, 2 when NOT_SYNCED, 1 on error',
  )
  .requiredOption('--token <linkToken>', 'the link-token from Create One Link-Token, or - to read it from standard input')
  .option('--source-url <url>', 'the source side', 'http://127.0.0.1:8081')
  .option('--ca <file>', 'trust this CA (PEM) for an https --source-url')
  .option('--org <orgId>', 'source organization id (default: from the bootstrap file)')
  .option('--public-key <key>', 'source API key (default: from the bootstrap file)')
  .option('--private-key <key>', 'source API private key (default: from the bootstrap file)')
  .addOption(sourceDataDirOption())
  .option('--timeout <seconds>', 'give up after this long', wholeNumber('--timeout'), 30)
  .addOption(jsonOption())
  .action(async (o) => {
    const linked = await linkComplete(
      {
        token: await readTokenArgument(o.token),
        sourceUrl: o.sourceUrl,
        orgId: o.org,
        publicKey: o.publicKey,
        privateKey: o.privateKey,
        dataDir: path.resolve(o.dataDir),
        timeoutMs: o.timeout * 1000,
        ca: o.ca,
      },
      { json: !!o.json },
    );
    if (linked.status === 'NOT_SYNCED') process.exitCode = 2;
  });

registerDestinationCommands(program, { location: storeLocation, dataDirOption, databaseUrlOption, jsonOption });
registerMigrationCommands(program, { location: storeLocation, dataDirOption, databaseUrlOption, jsonOption });

const token = program.command('token').description('link-tokens');
token
  .command('inspect')
  .description('decode a link-token (private key masked); with --data-dir or --database-url, say whether its key is current, superseded or deleted')
  .argument('<token>', 'the link-token, or - to read it from standard input')
  .option('--data-dir <dir>', "check the token's key against this server data dir")
  .option('--database-url <url>', "check the token's key against this PostgreSQL database")
  .addOption(jsonOption())
  .action(async (argument: string, o) => {
    const text = await readTokenArgument(argument);
    const store =
      o.dataDir === undefined && o.databaseUrl === undefined
        ? undefined
        : { dataDir: path.resolve(o.dataDir ?? '.'), databaseUrl: parseDatabaseUrl(o.databaseUrl) };
    await tokenInspect(text, { store }, { json: !!o.json });
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (
    error instanceof ConfigError ||
    error instanceof DomainError ||
    error instanceof LinkCommandError ||
    error instanceof AtlasUnreachable ||
    error instanceof StoreUnavailableError ||
    error instanceof NoStoreError
  ) {
    // With --json a script reads JSON whatever happened: the error as an object, still on stderr.
    if (process.argv.includes('--json')) process.stderr.write(JSON.stringify({ error: { message: error.message, ...(error instanceof DomainError ? { errorCode: error.kind } : {}) } }) + '\n');
    else process.stderr.write(`pushlink: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
