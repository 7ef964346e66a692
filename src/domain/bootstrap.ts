import type { Org } from '../store/orgs.js';
import type { ServiceAccountRecord } from '../store/serviceAccounts.js';
import type { Store } from '../store/store.js';
import { mintApiKey } from './apiKeys.js';
import { newClientId, newClientSecret, newObjectId } from './ids.js';
import { hashClientSecret } from './secrets.js';

// First start on an empty store, like a cloud emulator: an organization with an ORG_OWNER API key
// and (on the Atlas side) an ORG_OWNER service account, so the Atlas docs' own commands work at once.

export interface BootstrapCredentials {
  orgId: string;
  orgName: string;
  apiKey: { publicKey: string; privateKey: string };
  /** Absent on the source side (Cloud Manager / Ops Manager's API takes API keys only). */
  serviceAccount?: { clientId: string; clientSecret: string };
}

/**
 * Creates the bootstrap org when the store has none. `persist` receives the credentials before
 * anything is committed: if it fails nothing is created, and if the process dies after it the
 * store is still empty, so the next start simply bootstraps (and persists) again.
 */
export async function bootstrapIfEmpty(
  store: Store,
  orgName: string,
  persist: (credentials: BootstrapCredentials) => Promise<void>,
  options: { serviceAccount?: boolean; now?: Date } = {},
): Promise<BootstrapCredentials | undefined> {
  // Under the store's bootstrap lock, so of several instances starting at once on one empty
  // database exactly one bootstraps; the others then count its org and do nothing.
  return store.orgs.withBootstrapLock(() => bootstrapUnlocked(store, orgName, persist, options));
}

async function bootstrapUnlocked(
  store: Store,
  orgName: string,
  persist: (credentials: BootstrapCredentials) => Promise<void>,
  options: { serviceAccount?: boolean; now?: Date },
): Promise<BootstrapCredentials | undefined> {
  const now = options.now ?? new Date();
  if ((await store.orgs.countOrgs()) > 0) return undefined;
  const org: Org = { id: newObjectId(now), name: orgName, createdAt: now.toISOString() };
  const key = mintApiKey({
    orgId: org.id,
    roles: ['ORG_OWNER'],
    accessList: [],
    description: 'Bootstrap organization owner key',
    purpose: 'USER',
    now,
  });
  const credentials: BootstrapCredentials = {
    orgId: org.id,
    orgName: org.name,
    apiKey: { publicKey: key.record.publicKey, privateKey: key.privateKey },
  };
  let account: ServiceAccountRecord | undefined;
  if (options.serviceAccount ?? true) {
    const clientSecret = newClientSecret();
    account = {
      clientId: newClientId(),
      orgId: org.id,
      secretHash: hashClientSecret(clientSecret),
      roles: ['ORG_OWNER'],
      accessList: [],
      name: 'Bootstrap organization owner service account',
      createdAt: now.toISOString(),
    };
    credentials.serviceAccount = { clientId: account.clientId, clientSecret };
  }
  await persist(credentials);
  await store.orgs.insertBootstrap(org, key.record, account);
  return credentials;
}
