#!/usr/bin/env node
import path from 'node:path';
import { Command, Option } from 'commander';
import { ConfigError, resolveServeConfig, type ServeOptions } from '../config.js';
import { DomainError } from '../domain/errors.js';
import * as admin from './admin.js';
import { serve } from './serve.js';
import { readTokenArgument, tokenInspect } from './tokenInspect.js';

// The `pushlink` command: the server and the admin commands that work on its data dir.

const program = new Command('pushlink')
  .description('An Atlas-compatible server for MongoDB live-migration links')
  .showHelpAfterError()
  .exitOverride((error) => {
    process.exit(error.exitCode);
  });

const dataDirOption = () =>
  new Option('--data-dir <dir>', 'data directory (env PUSHLINK_DATA_DIR)').default(process.env.PUSHLINK_DATA_DIR ?? './data', './data');
const jsonOption = () => new Option('--json', 'print JSON');
/** `--access-list a b` and `--access-list a,b` both work. */
const splitList = (values: string[] | undefined): string[] =>
  (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v.length > 0);

program
  .command('serve')
  .description('run the server (default 127.0.0.1:8080, data in ./data)')
  .option('--host <host>', 'address to listen on (env PUSHLINK_HOST; default 127.0.0.1)')
  .option('--port <port>', 'port, 0 for any free one (env PUSHLINK_PORT; default 8080)')
  .option('--tls <self-signed>', 'serve HTTPS with a local CA kept in <data-dir>/tls (env PUSHLINK_TLS)')
  .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (chain) (env PUSHLINK_TLS_CERT)')
  .option('--tls-key <file>', 'private key of --tls-cert, PEM (env PUSHLINK_TLS_KEY)')
  .option('--metrics-port <port>', 'serve /metrics on this port only, plain HTTP (env PUSHLINK_METRICS_PORT; default: on the API port)')
  .option('--data-dir <dir>', 'data directory (env PUSHLINK_DATA_DIR; default ./data)')
  .option('--rate-limit <on|off>', 'Atlas rate limiting (env PUSHLINK_RATE_LIMIT; default on)')
  .option('--rate-limit-capacity <n>', 'bucket capacity per org (default 500)')
  .option('--rate-limit-refill <n>', 'tokens added each period (default 250)')
  .option('--rate-limit-period <seconds>', 'refill period (default 60)')
  .option('--nonce-ttl <seconds>', 'digest nonce lifetime (default 300)')
  .option('--token-ttl <seconds>', 'OAuth access token lifetime (default 3600)')
  .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (env PUSHLINK_LOG_LEVEL; default info)')
  .option('--log-format <format>', 'auto|json|pretty; auto is pretty on a terminal, JSON otherwise (env PUSHLINK_LOG_FORMAT)')
  .action(async (options: ServeOptions) => {
    await serve(resolveServeConfig(options));
  });

const org = program.command('org').description('organizations');
org
  .command('create')
  .requiredOption('--name <name>', 'organization name')
  .addOption(dataDirOption())
  .addOption(jsonOption())
  .action((o) => admin.orgCreate(path.resolve(o.dataDir), o.name, { json: !!o.json }));
org
  .command('list')
  .addOption(dataDirOption())
  .addOption(jsonOption())
  .action((o) => admin.orgList(path.resolve(o.dataDir), { json: !!o.json }));

const apikey = program.command('apikey').description('organization API keys (HTTP Digest)');
apikey
  .command('create')
  .requiredOption('--org <orgId>', 'organization id')
  .requiredOption('--role <roles...>', 'ORG_OWNER, ORG_MEMBER, ORG_READ_ONLY, ORG_GROUP_CREATOR or ORG_BILLING_ADMIN')
  .option('--access-list <entries...>', 'IP addresses or CIDR blocks allowed to use the key (default: any)')
  .option('--description <text>', 'description')
  .addOption(dataDirOption())
  .addOption(jsonOption())
  .action((o) =>
    admin.apiKeyCreate(
      path.resolve(o.dataDir),
      { orgId: o.org, roles: splitList(o.role), accessList: splitList(o.accessList), description: o.description },
      { json: !!o.json },
    ),
  );
apikey
  .command('list')
  .requiredOption('--org <orgId>', 'organization id')
  .addOption(dataDirOption())
  .addOption(jsonOption())
  .action((o) => admin.apiKeyList(path.resolve(o.dataDir), o.org, { json: !!o.json }));
apikey
  .command('delete')
  .requiredOption('--org <orgId>', 'organization id')
  .requiredOption('--public-key <key>', 'public key of the API key')
  .addOption(dataDirOption())
  .addOption(jsonOption())
  .action((o) => admin.apiKeyDelete(path.resolve(o.dataDir), o.org, o.publicKey, { json: !!o.json }));

const serviceAccount = program.command('service-account').description('service accounts (OAuth 2.0 client credentials)');
serviceAccount
  .command('create')
  .requiredOption('--org <orgId>', 'organization id')
  .requiredOption('--role <roles...>', 'ORG_OWNER, ORG_MEMBER, ORG_READ_ONLY, ORG_GROUP_CREATOR or ORG_BILLING_ADMIN')
  .option('--access-list <entries...>', 'IP addresses or CIDR blocks allowed to call the API (default: any)')
  .option('--name <name>', 'display name')
  .addOption(dataDirOption())
  .addOption(jsonOption())
  .action((o) =>
    admin.serviceAccountCreate(
      path.resolve(o.dataDir),
      { orgId: o.org, roles: splitList(o.role), accessList: splitList(o.accessList), name: o.name },
      { json: !!o.json },
    ),
  );
serviceAccount
  .command('list')
  .requiredOption('--org <orgId>', 'organization id')
  .addOption(dataDirOption())
  .addOption(jsonOption())
  .action((o) => admin.serviceAccountList(path.resolve(o.dataDir), o.org, { json: !!o.json }));
serviceAccount
  .command('delete')
  .requiredOption('--org <orgId>', 'organization id')
  .requiredOption('--client-id <id>', 'client id of the service account')
  .addOption(dataDirOption())
  .addOption(jsonOption())
  .action((o) => admin.serviceAccountDelete(path.resolve(o.dataDir), o.org, o.clientId, { json: !!o.json }));

const token = program.command('token').description('link-tokens');
token
  .command('inspect')
  .description('decode a link-token (private key masked); with --data-dir, say whether its key is current, superseded or deleted')
  .argument('<token>', 'the link-token, or - to read it from standard input')
  .option('--data-dir <dir>', "check the token's key against this server data dir")
  .addOption(jsonOption())
  .action(async (argument: string, o) => {
    const text = await readTokenArgument(argument);
    await tokenInspect(text, { store: o.dataDir === undefined ? undefined : { dataDir: path.resolve(o.dataDir) } }, { json: !!o.json });
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof ConfigError || error instanceof DomainError) {
    process.stderr.write(`pushlink: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
