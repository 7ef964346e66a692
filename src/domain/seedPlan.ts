import type { ApiKeyRecord, Org, ServiceAccountRecord, Store } from '../store/store.js';
import { newObjectId } from './ids.js';
import { digestHa1 } from '../httpDigest.js';
import { constantTimeEqual, hashClientSecret, privateKeyHint } from './secrets.js';
import { SeedError, type SeedFile } from './seedFile.js';

// Applying a seed file: what it asks for that the store lacks, computed against what is stored.
// Anything the store already holds must be exactly what the file says (same org, same secret,
// same roles and access list); otherwise the whole seed is refused, naming the field, and nothing
// is written. So the same file on every start changes nothing, and a changed file is never
// half-applied over older state (`pushlink reset` empties a data dir to start again).

/** What is stored under the seed's ids, each undefined when absent. */
export interface SeedState {
  orgs: Map<string, Org | undefined>;
  apiKeys: Map<string, ApiKeyRecord | undefined>;
  serviceAccounts: Map<string, ServiceAccountRecord | undefined>;
}

/** The records to insert, in one transaction. */
export interface SeedPlan {
  orgs: Org[];
  apiKeys: ApiKeyRecord[];
  serviceAccounts: ServiceAccountRecord[];
  /** How many of the file's orgs, keys and accounts were already stored as given. */
  unchanged: number;
}

export async function readSeedState(store: Store, seed: SeedFile): Promise<SeedState> {
  const state: SeedState = { orgs: new Map(), apiKeys: new Map(), serviceAccounts: new Map() };
  for (const org of seed.orgs) {
    state.orgs.set(org.id, await store.getOrg(org.id));
    for (const key of org.apiKeys) state.apiKeys.set(key.publicKey, await store.findApiKeyByPublicKey(key.publicKey));
    for (const account of org.serviceAccounts) state.serviceAccounts.set(account.clientId, await store.findServiceAccount(account.clientId));
  }
  return state;
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));
const shown = (values: readonly string[]) => `[${values.join(', ')}]`;

/** Throws when a stored record differs from the file's: the seed's intent cannot be met by adding. */
function mustMatch(field: string, stored: readonly string[], wanted: readonly string[], what: string): void {
  if (!sameSet(stored, wanted)) throw new SeedError(field, `${what} is stored with ${shown(stored)}, the seed says ${shown(wanted)}`);
}

/** The inserts that make the store hold the seed; pure but for the fresh key ids. */
export function planSeed(seed: SeedFile, state: SeedState, now: Date): SeedPlan {
  const plan: SeedPlan = { orgs: [], apiKeys: [], serviceAccounts: [], unchanged: 0 };
  const createdAt = now.toISOString();
  seed.orgs.forEach((org, i) => {
    const at = `orgs[${i}]`;
    const storedOrg = state.orgs.get(org.id);
    if (storedOrg === undefined) plan.orgs.push({ id: org.id, name: org.name, createdAt });
    else if (storedOrg.name !== org.name) {
      throw new SeedError(`${at}.name`, `organization ${org.id} is stored with the name "${storedOrg.name}", the seed says "${org.name}"`);
    } else plan.unchanged++;

    org.apiKeys.forEach((key, j) => {
      const field = `${at}.apiKeys[${j}]`;
      const ha1 = digestHa1(key.publicKey, key.privateKey);
      const stored = state.apiKeys.get(key.publicKey);
      if (stored === undefined) {
        plan.apiKeys.push({
          id: newObjectId(now),
          orgId: org.id,
          publicKey: key.publicKey,
          ha1,
          privateKeyHint: privateKeyHint(key.privateKey),
          roles: key.roles,
          accessList: key.accessList,
          description: key.description,
          purpose: 'USER',
          createdAt,
        });
        return;
      }
      const what = `API key ${key.publicKey}`;
      if (stored.orgId !== org.id) throw new SeedError(`${field}.publicKey`, `${what} belongs to another organization (${stored.orgId})`);
      if (stored.purpose !== 'USER') throw new SeedError(`${field}.publicKey`, `${what} is the organization's live-migration link key`);
      // Only the HA1 is stored: compare digests, in constant time, never the secret itself.
      if (!constantTimeEqual(ha1, stored.ha1)) throw new SeedError(`${field}.privateKey`, `${what} is stored with another private key`);
      mustMatch(`${field}.roles`, stored.roles, key.roles, what);
      mustMatch(`${field}.accessList`, stored.accessList, key.accessList, what);
      plan.unchanged++;
    });

    org.serviceAccounts.forEach((account, j) => {
      const field = `${at}.serviceAccounts[${j}]`;
      const secretHash = hashClientSecret(account.clientSecret);
      const stored = state.serviceAccounts.get(account.clientId);
      if (stored === undefined) {
        plan.serviceAccounts.push({
          clientId: account.clientId,
          orgId: org.id,
          secretHash,
          roles: account.roles,
          accessList: account.accessList,
          name: account.name,
          createdAt,
        });
        return;
      }
      const what = `service account ${account.clientId}`;
      if (stored.orgId !== org.id) throw new SeedError(`${field}.clientId`, `${what} belongs to another organization (${stored.orgId})`);
      if (!constantTimeEqual(secretHash, stored.secretHash)) throw new SeedError(`${field}.clientSecret`, `${what} is stored with another client secret`);
      mustMatch(`${field}.roles`, stored.roles, account.roles, what);
      mustMatch(`${field}.accessList`, stored.accessList, account.accessList, what);
      plan.unchanged++;
    });
  });
  return plan;
}

/**
 * Applies a seed: reads the stored state, plans, and inserts what is missing in one store
 * transaction, all under the bootstrap lock so instances starting together on one PostgreSQL
 * database do it once. Returns the plan (what was inserted, what was already there).
 */
export async function applySeed(store: Store, seed: SeedFile, now: Date): Promise<SeedPlan> {
  return store.withBootstrapLock(async () => {
    const plan = planSeed(seed, await readSeedState(store, seed), now);
    if (plan.orgs.length + plan.apiKeys.length + plan.serviceAccounts.length > 0) {
      await store.insertSeed({ orgs: plan.orgs, apiKeys: plan.apiKeys, serviceAccounts: plan.serviceAccounts });
    }
    return plan;
  });
}
