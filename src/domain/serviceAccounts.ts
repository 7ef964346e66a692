import type { ServiceAccountRecord } from '../store/serviceAccounts.js';
import type { Store } from '../store/store.js';
import { compileAccessList } from './accessList.js';
import { always, ifWritten, LOCAL_ADMIN, newEvent, type Actor } from './events.js';
import { DomainError } from './errors.js';
import { newClientId, newClientSecret } from './ids.js';
import { requireOrg } from './orgs.js';
import { parseOrgRoles } from './roles.js';
import { constantTimeEqual, hashClientSecret } from './secrets.js';

export async function createServiceAccount(
  store: Store,
  input: { orgId: string; roles: readonly string[]; accessList: readonly string[]; name?: string; now?: Date },
  by: Actor = LOCAL_ADMIN,
): Promise<{ record: ServiceAccountRecord; clientSecret: string }> {
  await requireOrg(store, input.orgId);
  const roles = parseOrgRoles(input.roles);
  const accessList = compileAccessList(input.accessList).entries.slice();
  const clientSecret = newClientSecret();
  const record: ServiceAccountRecord = {
    clientId: newClientId(),
    orgId: input.orgId,
    secretHash: hashClientSecret(clientSecret),
    roles,
    accessList,
    name: input.name ?? 'pushlink service account',
    createdAt: (input.now ?? new Date()).toISOString(),
  };
  await store.serviceAccounts.insertServiceAccount(record, always(serviceAccountEvent('SERVICE_ACCOUNT_CREATED', record.orgId, record.clientId, by, new Date(record.createdAt))));
  return { record, clientSecret };
}

// A fixed hash to compare against when the client id is unknown, so an unknown id costs the same.
const UNKNOWN_CLIENT_HASH = hashClientSecret('pushlink:unknown-client');

/** The account when (clientId, clientSecret) match a stored account; undefined otherwise. */
export async function verifyClientCredentials(
  store: Store,
  clientId: string,
  clientSecret: string,
): Promise<ServiceAccountRecord | undefined> {
  const account = await store.serviceAccounts.findServiceAccount(clientId);
  const matches = constantTimeEqual(hashClientSecret(clientSecret), account?.secretHash ?? UNKNOWN_CLIENT_HASH);
  return account && matches ? account : undefined;
}

export function describeServiceAccount(account: ServiceAccountRecord) {
  return {
    clientId: account.clientId,
    name: account.name,
    roles: account.roles,
    accessList: account.accessList,
    createdAt: account.createdAt,
  };
}

export async function listServiceAccounts(store: Store, orgId: string) {
  await requireOrg(store, orgId);
  return (await store.serviceAccounts.listServiceAccounts(orgId)).map(describeServiceAccount);
}

/** A service account's event names it as Atlas's events name a resource (never its secret). */
export function serviceAccountEvent(type: 'SERVICE_ACCOUNT_CREATED' | 'SERVICE_ACCOUNT_DELETED', orgId: string, clientId: string, by: Actor, at: Date) {
  return newEvent(type, { orgId }, by, at, { resourceId: clientId, resourceType: 'SERVICE_ACCOUNT' });
}

export async function deleteServiceAccount(store: Store, orgId: string, clientId: string, by: Actor = LOCAL_ADMIN, now = new Date()): Promise<void> {
  if (!(await store.serviceAccounts.deleteServiceAccount(orgId, clientId, ifWritten(serviceAccountEvent('SERVICE_ACCOUNT_DELETED', orgId, clientId, by, now))))) {
    throw new DomainError('SERVICE_ACCOUNT_NOT_FOUND', `no service account ${clientId} in organization ${orgId}`, [clientId]);
  }
}
