import type { Org } from '../store/orgs.js';
import type { ServiceAccountRecord } from '../store/serviceAccounts.js';
import type { Store } from '../store/store.js';
import { mintApiKey } from './apiKeys.js';
import { newClientId, newClientSecret, newObjectId } from './ids.js';
import { digestHa1 } from '../httpDigest.js';
import { hashClientSecret, privateKeyHint } from './secrets.js';

// First start on an empty store, like a cloud emulator: an organization with an ORG_OWNER API key
// and (on the Atlas side) an ORG_OWNER service account, so the Atlas docs' own commands work at once.

export interface BootstrapCredentials {
  orgId: string;
  orgName: string;
  apiKey: { publicKey: string; privateKey: string };
  /** Absent on the source side (Cloud Manager / Ops Manager's API takes API keys only). */
  serviceAccount?: { clientId: string; clientSecret: string };
}

export interface BootstrapOptions {
  /** False on the source side. */
  serviceAccount?: boolean;
  now?: Date;
  /** Well-known credentials to bootstrap with instead of random ones (domain/devCredentials.ts). */
  fixed?: BootstrapCredentials;
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
  options: BootstrapOptions = {},
): Promise<BootstrapCredentials | undefined> {
  // Under the store's bootstrap lock, so of several instances starting at once on one empty
  // database exactly one bootstraps; the others then count its org and do nothing.
  return store.orgs.withBootstrapLock(() => bootstrapUnlocked(store, orgName, persist, options));
}

async function bootstrapUnlocked(
  store: Store,
  orgName: string,
  persist: (credentials: BootstrapCredentials) => Promise<void>,
  options: BootstrapOptions,
): Promise<BootstrapCredentials | undefined> {
  const now = options.now ?? new Date();
  if ((await store.orgs.countOrgs()) > 0) return undefined;
  const fixed = options.fixed;
  const org: Org = { id: fixed?.orgId ?? newObjectId(now), name: fixed?.orgName ?? orgName, createdAt: now.toISOString() };
  const minted = mintApiKey({
    orgId: org.id,
    roles: ['ORG_OWNER'],
    accessList: [],
    description: 'Bootstrap organization owner key',
    purpose: 'USER',
    now,
  });
  // Fixed credentials (--dev-credentials) replace the random pair; the record is built the same way.
  const key = fixed
    ? {
        privateKey: fixed.apiKey.privateKey,
        record: {
          ...minted.record,
          publicKey: fixed.apiKey.publicKey,
          ha1: digestHa1(fixed.apiKey.publicKey, fixed.apiKey.privateKey),
          privateKeyHint: privateKeyHint(fixed.apiKey.privateKey),
        },
      }
    : minted;
  const credentials: BootstrapCredentials = {
    orgId: org.id,
    orgName: org.name,
    apiKey: { publicKey: key.record.publicKey, privateKey: key.privateKey },
  };
  let account: ServiceAccountRecord | undefined;
  if (options.serviceAccount ?? true) {
    const clientSecret = fixed?.serviceAccount?.clientSecret ?? newClientSecret();
    account = {
      clientId: fixed?.serviceAccount?.clientId ?? newClientId(),
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
