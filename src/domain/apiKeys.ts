import { type OrgRole } from '../store/orgRoles.js';
import { type ApiKeyPurpose, type ApiKeyRecord } from '../store/orgs.js';
import { UniqueViolationError, type Store } from '../store/store.js';
import { compileAccessList } from './accessList.js';
import { always, ifWritten, LOCAL_ADMIN, newEvent, type Actor } from './events.js';
import { DomainError } from './errors.js';
import { newObjectId, newPrivateApiKey, newPublicApiKey } from './ids.js';
import { requireOrg } from './orgs.js';
import { parseOrgRoles } from './roles.js';
import { digestHa1 } from '../httpDigest.js';
import { maskPrivateKey, privateKeyHint } from './secrets.js';

export interface NewApiKey {
  record: ApiKeyRecord;
  /** Shown once, to the creator; only its HA1 is stored. */
  privateKey: string;
}

/** Builds a key pair and its stored record (no I/O: callers decide how it is persisted). */
export function mintApiKey(input: {
  orgId: string;
  roles: OrgRole[];
  accessList: string[];
  description: string;
  purpose: ApiKeyPurpose;
  now?: Date;
}): NewApiKey {
  const now = input.now ?? new Date();
  const publicKey = newPublicApiKey();
  const privateKey = newPrivateApiKey();
  return {
    privateKey,
    record: {
      id: newObjectId(now),
      orgId: input.orgId,
      publicKey,
      ha1: digestHa1(publicKey, privateKey),
      privateKeyHint: privateKeyHint(privateKey),
      roles: input.roles,
      accessList: compileAccessList(input.accessList).entries.slice(),
      description: input.description,
      purpose: input.purpose,
      createdAt: now.toISOString(),
    },
  };
}

/**
 * Retries a write whose freshly minted public key collided with an existing one (26^8 keys, so a
 * second collision in a row means something else is wrong and the error is rethrown).
 */
export async function withFreshKeyOnCollision<T>(attempt: () => Promise<T>, tries = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof UniqueViolationError) || i >= tries) throw error;
    }
  }
}

export async function createApiKey(
  store: Store,
  input: { orgId: string; roles: readonly string[]; accessList: readonly string[]; description?: string },
  by: Actor = LOCAL_ADMIN,
): Promise<{ record: ApiKeyRecord; privateKey: string }> {
  await requireOrg(store, input.orgId);
  const roles = parseOrgRoles(input.roles);
  return withFreshKeyOnCollision(async () => {
    const key = mintApiKey({
      orgId: input.orgId,
      roles,
      accessList: [...input.accessList],
      description: input.description ?? '',
      purpose: 'USER',
    });
    await store.orgs.insertApiKey(key.record, always(...apiKeyCreatedEvents(key.record, by)));
    return key;
  });
}

/** Atlas records a key's creation, then each entry of its access list. */
export function apiKeyCreatedEvents(key: ApiKeyRecord, by: Actor) {
  const at = new Date(key.createdAt);
  const scope = { orgId: key.orgId };
  return [
    newEvent('API_KEY_CREATED', scope, by, at, { targetPublicKey: key.publicKey }),
    ...key.accessList.map((entry) => newEvent('API_KEY_ACCESS_LIST_ENTRY_ADDED', scope, by, at, { targetPublicKey: key.publicKey, whitelistEntry: entry })),
  ];
}

/** What may be shown about a key after creation: never the private key or its HA1. */
export function describeApiKey(key: ApiKeyRecord) {
  return {
    id: key.id,
    publicKey: key.publicKey,
    privateKey: maskPrivateKey(key.privateKeyHint),
    desc: key.description,
    roles: key.roles.map((roleName) => ({ orgId: key.orgId, roleName })),
    accessList: key.accessList,
    liveMigrationLinkKey: key.purpose === 'LIVE_MIGRATION_LINK',
    createdAt: key.createdAt,
  };
}

export async function listApiKeys(store: Store, orgId: string) {
  await requireOrg(store, orgId);
  return (await store.orgs.listApiKeys(orgId)).map(describeApiKey);
}

export async function deleteApiKey(store: Store, orgId: string, publicKey: string, by: Actor = LOCAL_ADMIN, now = new Date()): Promise<void> {
  if (!(await store.orgs.deleteApiKey(orgId, publicKey, ifWritten(newEvent('API_KEY_DELETED', { orgId }, by, now, { targetPublicKey: publicKey }))))) {
    throw new DomainError('API_KEY_NOT_FOUND', `no API key ${publicKey} in organization ${orgId}`, [publicKey]);
  }
}
