import { createApiKey, deleteApiKey, describeApiKey, listApiKeys } from '../domain/apiKeys.js';
import { createOrg } from '../domain/orgs.js';
import { createServiceAccount, deleteServiceAccount, listServiceAccounts } from '../domain/serviceAccounts.js';
import { openExistingStore, openStore, type StoreLocation } from '../store/open.js';
import type { Store } from '../store/store.js';

// Admin commands: they open the same store as a running server (its data dir, where SQLite WAL
// lets both work at once, or its PostgreSQL database) and print JSON with --json, text otherwise.
// Secrets are printed once, here, and nowhere else.

export interface Output {
  json: boolean;
}

/** Runs `run` on the location's store; only `create` may make a store where there is none. */
export async function withStore<T>(location: StoreLocation, run: (store: Store) => Promise<T>, options: { create?: boolean } = {}): Promise<T> {
  const store = options.create ? await openStore(location) : await openExistingStore(location);
  try {
    return await run(store);
  } finally {
    await store.close();
  }
}

export function print(output: Output, value: unknown, text: string): void {
  process.stdout.write(output.json ? JSON.stringify(value, null, 2) + '\n' : text + '\n');
}

export async function orgCreate(location: StoreLocation, name: string, output: Output): Promise<void> {
  // The one command that may start a store: organizations come first, before any server ran.
  const org = await withStore(location, (store) => createOrg(store, name), { create: true });
  print(output, org, `created organization ${org.id} "${org.name}"`);
}

export async function orgList(location: StoreLocation, output: Output): Promise<void> {
  const orgs = await withStore(location, (store) => store.orgs.listOrgs());
  print(output, orgs, orgs.map((o) => `${o.id}  ${o.name}`).join('\n') || '(no organizations)');
}

export async function apiKeyCreate(
  location: StoreLocation,
  input: { orgId: string; roles: string[]; accessList: string[]; description?: string },
  output: Output,
): Promise<void> {
  const { record, privateKey } = await withStore(location, (store) => createApiKey(store, input));
  // The shape `apikey list --json` prints (roles as Atlas's [{orgId, roleName}]), with the private key shown once.
  const shown = { ...describeApiKey(record), orgId: record.orgId, privateKey };
  print(
    output,
    shown,
    `created API key ${record.publicKey} (${record.roles.join(', ')}) in ${record.orgId}\n` +
      `private key (shown once): ${privateKey}`,
  );
}

export async function apiKeyList(location: StoreLocation, orgId: string, output: Output): Promise<void> {
  const keys = await withStore(location, (store) => listApiKeys(store, orgId));
  print(
    output,
    keys,
    keys
      .map((k) => `${k.publicKey}  ${k.roles.map((r) => r.roleName).join(',')}  ${k.liveMigrationLinkKey ? 'link key  ' : ''}${k.desc}`)
      .join('\n') || '(no API keys)',
  );
}

export async function apiKeyDelete(location: StoreLocation, orgId: string, publicKey: string, output: Output): Promise<void> {
  await withStore(location, (store) => deleteApiKey(store, orgId, publicKey));
  print(output, { deleted: publicKey }, `deleted API key ${publicKey}`);
}

export async function serviceAccountCreate(
  location: StoreLocation,
  input: { orgId: string; roles: string[]; accessList: string[]; name?: string },
  output: Output,
): Promise<void> {
  const { record, clientSecret } = await withStore(location, (store) => createServiceAccount(store, input));
  const shown = {
    clientId: record.clientId,
    clientSecret,
    orgId: record.orgId,
    name: record.name,
    roles: record.roles,
    accessList: record.accessList,
  };
  print(
    output,
    shown,
    `created service account ${record.clientId} (${record.roles.join(', ')}) in ${record.orgId}\n` +
      `client secret (shown once): ${clientSecret}`,
  );
}

export async function serviceAccountList(location: StoreLocation, orgId: string, output: Output): Promise<void> {
  const accounts = await withStore(location, (store) => listServiceAccounts(store, orgId));
  print(output, accounts, accounts.map((a) => `${a.clientId}  ${a.roles.join(',')}  ${a.name}`).join('\n') || '(no service accounts)');
}

export async function serviceAccountDelete(location: StoreLocation, orgId: string, clientId: string, output: Output): Promise<void> {
  await withStore(location, (store) => deleteServiceAccount(store, orgId, clientId));
  print(output, { deleted: clientId }, `deleted service account ${clientId}`);
}
