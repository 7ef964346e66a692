import type { Command } from 'commander';
import * as admin from '../admin.js';
import { dataDirOption, databaseUrlOption, jsonOption, output, splitList, storeLocation, type JsonOptions, type StoreOptions } from '../options.js';

// `pushlink org …`, `pushlink apikey …`, `pushlink service-account …`: an Atlas side's
// organizations and the two kinds of programmatic access to them (Atlas's own words: API keys
// for HTTP Digest, service accounts for OAuth 2.0 client credentials).

type AdminOptions = StoreOptions & JsonOptions;

interface OrgCreateOptions extends AdminOptions {
  name: string;
}

interface OrgScopedOptions extends AdminOptions {
  org: string;
}

interface AccessCreateOptions extends OrgScopedOptions {
  /** `--role a b` or `--role a,b`, split by splitList. */
  role: string[];
  accessList?: string[];
}

interface ApiKeyCreateOptions extends AccessCreateOptions {
  description?: string;
}

interface ApiKeyDeleteOptions extends OrgScopedOptions {
  publicKey: string;
}

interface ServiceAccountCreateOptions extends AccessCreateOptions {
  name?: string;
}

interface ServiceAccountDeleteOptions extends OrgScopedOptions {
  clientId: string;
}

const ROLES = 'ORG_OWNER, ORG_MEMBER, ORG_READ_ONLY, ORG_GROUP_CREATOR or ORG_BILLING_ADMIN';

const withStoreOptions = (command: Command) => command.addOption(dataDirOption()).addOption(databaseUrlOption()).addOption(jsonOption());

export function registerOrgCommands(program: Command): void {
  const org = program.command('org').description('organizations');
  withStoreOptions(org.command('create').requiredOption('--name <name>', 'organization name')).action((o: OrgCreateOptions) =>
    admin.orgCreate(storeLocation(o), o.name, output(o)),
  );
  withStoreOptions(org.command('list')).action((o: AdminOptions) => admin.orgList(storeLocation(o), output(o)));
}

export function registerApiKeyCommands(program: Command): void {
  const apikey = program.command('apikey').description('organization API keys (HTTP Digest)');
  withStoreOptions(
    apikey
      .command('create')
      .requiredOption('--org <orgId>', 'organization id')
      .requiredOption('--role <roles...>', ROLES)
      .option('--access-list <entries...>', 'IP addresses or CIDR blocks allowed to use the key (default: any)')
      .option('--description <text>', 'description'),
  ).action((o: ApiKeyCreateOptions) =>
    admin.apiKeyCreate(
      storeLocation(o),
      { orgId: o.org, roles: splitList(o.role), accessList: splitList(o.accessList), description: o.description },
      output(o),
    ),
  );
  withStoreOptions(apikey.command('list').requiredOption('--org <orgId>', 'organization id')).action((o: OrgScopedOptions) =>
    admin.apiKeyList(storeLocation(o), o.org, output(o)),
  );
  withStoreOptions(
    apikey.command('delete').requiredOption('--org <orgId>', 'organization id').requiredOption('--public-key <key>', 'public key of the API key'),
  ).action((o: ApiKeyDeleteOptions) => admin.apiKeyDelete(storeLocation(o), o.org, o.publicKey, output(o)));
}

export function registerServiceAccountCommands(program: Command): void {
  const serviceAccount = program.command('service-account').description('service accounts (OAuth 2.0 client credentials)');
  withStoreOptions(
    serviceAccount
      .command('create')
      .requiredOption('--org <orgId>', 'organization id')
      .requiredOption('--role <roles...>', ROLES)
      .option('--access-list <entries...>', 'IP addresses or CIDR blocks allowed to call the API (default: any)')
      .option('--name <name>', 'display name'),
  ).action((o: ServiceAccountCreateOptions) =>
    admin.serviceAccountCreate(
      storeLocation(o),
      { orgId: o.org, roles: splitList(o.role), accessList: splitList(o.accessList), name: o.name },
      output(o),
    ),
  );
  withStoreOptions(serviceAccount.command('list').requiredOption('--org <orgId>', 'organization id')).action((o: OrgScopedOptions) =>
    admin.serviceAccountList(storeLocation(o), o.org, output(o)),
  );
  withStoreOptions(
    serviceAccount
      .command('delete')
      .requiredOption('--org <orgId>', 'organization id')
      .requiredOption('--client-id <id>', 'client id of the service account'),
  ).action((o: ServiceAccountDeleteOptions) => admin.serviceAccountDelete(storeLocation(o), o.org, o.clientId, output(o)));
}
