import { mintApiKey } from '../../src/domain/apiKeys.js';
import { newObjectId } from '../../src/domain/ids.js';
import type { Org } from '../../src/store/orgs.js';
import type { ServiceAccountRecord } from '../../src/store/serviceAccounts.js';
import type { SourceLinkRecord } from '../../src/store/source.js';

// What the store contract files (test/store/<aggregate>.test.ts) build their records from.

/** Rejects when `work` takes longer than `ms`, so a stalled store fails the test instead of hanging it. */
export function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not done within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export const DAY_MS = 86_400_000;

export const newOrg = (orgName = 'Org'): Org => ({ id: newObjectId(), name: orgName, createdAt: new Date().toISOString() });
export const linkKey = (orgId: string) =>
  mintApiKey({ orgId, roles: ['ORG_READ_ONLY'], accessList: ['10.0.0.0/8'], description: 'link', purpose: 'LIVE_MIGRATION_LINK' });
export const account = (orgId: string): ServiceAccountRecord => ({
  clientId: `mdb_sa_id_${newObjectId()}`,
  orgId,
  secretHash: 'f'.repeat(64),
  roles: ['ORG_OWNER'],
  accessList: [],
  name: 'sa',
  createdAt: new Date().toISOString(),
});
/** A source link as completing one first records it: not yet synced. */
export const newSourceLink = (orgId: string, linkId: string, atlasOrgId: string, publicKey: string, ha1 = publicKey.padEnd(32, '0')): SourceLinkRecord => ({
  orgId,
  linkId,
  atlasOrgId,
  atlasOrgName: 'Atlas Org',
  publicKey,
  ha1,
  status: 'NOT_SYNCED',
  reason: null,
  syncedVersion: null,
  lastAttemptAt: null,
  lastSyncedAt: null,
  createdAt: new Date().toISOString(),
});
