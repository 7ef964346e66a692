import type { Org } from '../store/orgs.js';
import type { Store } from '../store/store.js';
import { DomainError } from './errors.js';
import { newObjectId } from './ids.js';

export const MAX_ORG_NAME_LENGTH = 64;

export async function createOrg(store: Store, name: string, now: Date = new Date()): Promise<Org> {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_ORG_NAME_LENGTH) {
    throw new DomainError('INVALID_NAME', `an org name has 1 to ${MAX_ORG_NAME_LENGTH} characters`, [name]);
  }
  const org: Org = { id: newObjectId(now), name: trimmed, createdAt: now.toISOString() };
  await store.orgs.createOrg(org);
  return org;
}

export async function requireOrg(store: Store, orgId: string): Promise<Org> {
  const org = await store.orgs.getOrg(orgId);
  if (!org) throw new DomainError('ORG_NOT_FOUND', `no organization with ID ${orgId}`, [orgId]);
  return org;
}
