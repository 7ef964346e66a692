import type { GroupRecord } from '../store/groups.js';
import { type ApiKeyRecord, type Org } from '../store/orgs.js';
import { type ServiceAccountRecord } from '../store/serviceAccounts.js';
import { UniqueViolationError, type Store } from '../store/store.js';
import { always, LOCAL_ADMIN, newEvent } from './events.js';
import { newObjectId } from './ids.js';
import { digestHa1 } from '../httpDigest.js';
import { constantTimeEqual, hashClientSecret, privateKeyHint } from './secrets.js';
import { SeedError, type SeedFile } from './seedFile.js';

// Applying a seed file: what it asks for that the store lacks, computed against what is stored.
// Anything the store already holds must be exactly what the file says (same org, same secret,
// same roles and access list; a project's org and name); otherwise the whole seed is refused, naming the field, and nothing
// is written. So the same file on every start changes nothing, and a changed file is never
// half-applied over older state (`pushlink reset` empties a data dir to start again).

/** What is stored under the seed's ids, each undefined when absent. */
export interface SeedState {
  orgs: Map<string, Org | undefined>;
  apiKeys: Map<string, ApiKeyRecord | undefined>;
  serviceAccounts: Map<string, ServiceAccountRecord | undefined>;
  /** Projects by id, and the id of the project holding each `orgId/name` of the file. */
  projects: Map<string, GroupRecord | undefined>;
  projectNames: Map<string, string | undefined>;
}

/** The records to insert: orgs, keys and accounts in one transaction, then the projects. */
export interface SeedPlan {
  orgs: Org[];
  apiKeys: ApiKeyRecord[];
  serviceAccounts: ServiceAccountRecord[];
  projects: GroupRecord[];
  /** How many of the file's orgs, keys and accounts were already stored as given. */
  unchanged: number;
}

export async function readSeedState(store: Store, seed: SeedFile): Promise<SeedState> {
  const state: SeedState = { orgs: new Map(), apiKeys: new Map(), serviceAccounts: new Map(), projects: new Map(), projectNames: new Map() };
  const now = new Date().toISOString();
  for (const org of seed.orgs) {
    state.orgs.set(org.id, await store.orgs.getOrg(org.id));
    for (const key of org.apiKeys) state.apiKeys.set(key.publicKey, await store.orgs.findApiKeyByPublicKey(key.publicKey));
    for (const account of org.serviceAccounts) state.serviceAccounts.set(account.clientId, await store.serviceAccounts.findServiceAccount(account.clientId));
    for (const project of org.projects) {
      state.projects.set(project.id, (await store.groups.getGroup(project.id, now))?.group);
      state.projectNames.set(`${org.id}/${project.name}`, (await store.groups.getGroupByName(org.id, project.name, now))?.group.id);
    }
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
  const plan: SeedPlan = { orgs: [], apiKeys: [], serviceAccounts: [], projects: [], unchanged: 0 };
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

    org.projects.forEach((project, j) => {
      const field = `${at}.projects[${j}]`;
      const stored = state.projects.get(project.id);
      const holder = state.projectNames.get(`${org.id}/${project.name}`);
      if (stored === undefined) {
        if (holder !== undefined) throw new SeedError(`${field}.name`, `the organization already has a project named ${project.name} (${holder})`);
        plan.projects.push({ id: project.id, orgId: org.id, name: project.name, tags: project.tags, withDefaultAlertsSettings: true, createdAt });
        return;
      }
      const what = `project ${project.id}`;
      if (stored.orgId !== org.id) throw new SeedError(`${field}.id`, `${what} belongs to another organization (${stored.orgId})`);
      if (stored.name !== project.name) throw new SeedError(`${field}.name`, `${what} is stored with the name "${stored.name}", the seed says "${project.name}"`);
      plan.unchanged++;
    });
  });
  return plan;
}

/**
 * Applies a seed: reads the stored state, plans, and inserts what is missing, all under the
 * bootstrap lock so instances starting together on one PostgreSQL database do it once. Orgs, keys
 * and accounts go in one store transaction; the projects follow, each in the project store's own
 * (another aggregate, with its events). Every conflict is found by the plan, before anything is
 * written; if the process dies between the two steps, the next start finds the orgs as given and
 * creates the projects then. Returns the plan (what was inserted, what was already there).
 */
export async function applySeed(store: Store, seed: SeedFile, now: Date): Promise<SeedPlan> {
  return store.orgs.withBootstrapLock(async () => {
    const plan = planSeed(seed, await readSeedState(store, seed), now);
    if (plan.orgs.length + plan.apiKeys.length + plan.serviceAccounts.length > 0) {
      await store.orgs.insertSeed({ orgs: plan.orgs, apiKeys: plan.apiKeys, serviceAccounts: plan.serviceAccounts });
    }
    for (const group of plan.projects) {
      try {
        await store.groups.createGroup(group, always(newEvent('GROUP_CREATED', { orgId: group.orgId, groupId: group.id }, LOCAL_ADMIN, now)));
      } catch (error) {
        // Another writer took the name (or the id) since the plan was made.
        if (error instanceof UniqueViolationError) throw new SeedError('', `project ${group.id} "${group.name}" was created meanwhile by another writer; start again`);
        throw error;
      }
    }
    return plan;
  });
}
