import { takeToken, type BucketState } from './tokenBucket.js';
import { sourceLinkValues } from './columns.js';
import type { SourceLinkRow, Statements } from './sqliteStatements.js';
import type {
  ApiKeyRecord,
  AvailableProject,
  Org,
  RateLimitDecision,
  RateLimitPolicy,
  ServiceAccountRecord,
  SourceDeployment,
  SourceLinkRecord,
  SourceLinkSync,
  SourceLinkWithdrawal,
  SourceProject,
} from './store.js';

// Every write the SQLite back end makes, as a named operation over prepared statements. Group
// commit (groupCommit.ts) runs them inside its batch transaction, so each is synchronous.

function insertApiKey(s: Statements, key: ApiKeyRecord): void {
  s.insertApiKey.run(
    key.id,
    key.orgId,
    key.publicKey,
    key.ha1,
    key.privateKeyHint,
    JSON.stringify(key.roles),
    JSON.stringify(key.accessList),
    key.description,
    key.purpose,
    key.createdAt,
  );
}

function insertServiceAccount(s: Statements, account: ServiceAccountRecord): void {
  s.insertServiceAccount.run(
    account.clientId,
    account.orgId,
    account.secretHash,
    JSON.stringify(account.roles),
    JSON.stringify(account.accessList),
    account.name,
    account.createdAt,
  );
}

/** Runs a change to a source project and bumps its org's inventory version when something changed. */
function changeSourceProject(s: Statements, projectId: string, change: () => boolean): boolean {
  const project = s.getSourceProject.get(projectId) as { org_id: string } | undefined;
  if (!project) return false;
  const changed = change();
  if (changed) s.bumpInventoryVersion.run(project.org_id);
  return changed;
}

/** Records the withdrawal of a link just deleted or replaced, unless another link still uses its Atlas org and key. */
function recordWithdrawal(s: Statements, link: SourceLinkRow, recordedAt: string): SourceLinkWithdrawal | undefined {
  if (s.sourceLinkUsesKey.get(link.atlas_org_id, link.public_key) !== undefined) return undefined;
  const withdrawal: SourceLinkWithdrawal = {
    linkId: link.link_id,
    orgId: link.org_id,
    atlasOrgId: link.atlas_org_id,
    publicKey: link.public_key,
    ha1: link.ha1,
    recordedAt,
  };
  s.insertSourceLinkWithdrawal.run(
    withdrawal.linkId,
    withdrawal.orgId,
    withdrawal.atlasOrgId,
    withdrawal.publicKey,
    withdrawal.ha1,
    withdrawal.recordedAt,
  );
  return withdrawal;
}

export const sqliteWrites = {
  createOrg(s: Statements, org: Org): void {
    s.insertOrg.run(org.id, org.name, org.createdAt);
  },

  insertBootstrap(s: Statements, org: Org, key: ApiKeyRecord, account: ServiceAccountRecord | undefined): void {
    s.insertOrg.run(org.id, org.name, org.createdAt);
    insertApiKey(s, key);
    if (account) insertServiceAccount(s, account);
  },

  insertSeed(s: Statements, records: { orgs: Org[]; apiKeys: ApiKeyRecord[]; serviceAccounts: ServiceAccountRecord[] }): void {
    for (const org of records.orgs) s.insertOrg.run(org.id, org.name, org.createdAt);
    for (const key of records.apiKeys) insertApiKey(s, key);
    for (const account of records.serviceAccounts) insertServiceAccount(s, account);
  },

  insertApiKey,

  deleteApiKey(s: Statements, orgId: string, publicKey: string, retiredAt: string): boolean {
    const row = s.findApiKeyInOrg.get(orgId, publicKey) as { id: string; purpose: string } | undefined;
    if (!row) return false;
    s.deleteApiKeyById.run(row.id);
    if (row.purpose === 'LIVE_MIGRATION_LINK') s.retireLinkKey.run(publicKey, orgId, retiredAt, 'DELETED');
    return true;
  },

  insertServiceAccount,

  deleteServiceAccount(s: Statements, orgId: string, clientId: string): boolean {
    return s.deleteServiceAccount.run(orgId, clientId).changes > 0;
  },

  // The hot write (every create): the org's link key out (recorded as retired), the new one in.
  // The insert's foreign key refuses an org that does not exist (and with no org there was no key
  // to delete); the partial unique index keeps one link key per org.
  replaceLink(s: Statements, key: ApiKeyRecord): { replacedPublicKey?: string } | undefined {
    const replaced = s.deleteLinkKey.all(key.orgId) as string[];
    for (const publicKey of replaced) s.retireLinkKey.run(publicKey, key.orgId, key.createdAt, 'ROTATED');
    try {
      insertApiKey(s, key);
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return undefined;
      throw error;
    }
    return replaced.length > 0 ? { replacedPublicKey: replaced[0]! } : {};
  },

  /** The deleted link key's public key, or undefined when the org had no link. */
  deleteLink(s: Statements, orgId: string, retiredAt: string): string | undefined {
    const [publicKey] = s.deleteLinkKey.all(orgId) as string[];
    if (publicKey === undefined) return undefined;
    s.retireLinkKey.run(publicKey, orgId, retiredAt, 'DELETED');
    return publicKey;
  },

  putAtlasInventory(s: Statements, orgId: string, apiKeyId: string, projects: AvailableProject[], receivedAt: string): boolean {
    return s.putAtlasInventory.run({ orgId, apiKeyId, projects: JSON.stringify(projects), receivedAt }).changes === 1;
  },

  deleteAtlasInventory(s: Statements, orgId: string, apiKeyId: string): boolean {
    return s.deleteAtlasInventory.run(orgId, apiKeyId).changes === 1;
  },

  createSourceProject(s: Statements, project: SourceProject): void {
    s.insertSourceProject.run(project.id, project.orgId, project.name, project.createdAt);
    s.bumpInventoryVersion.run(project.orgId);
  },

  saveSourceDeployment(s: Statements, projectId: string, deployment: SourceDeployment): boolean {
    return changeSourceProject(s, projectId, () => {
      const { name, ...details } = deployment;
      s.upsertSourceDeployment.run(projectId, name, JSON.stringify(details));
      return true;
    });
  },

  deleteSourceDeployment(s: Statements, projectId: string, name: string): boolean {
    return changeSourceProject(s, projectId, () => s.deleteSourceDeployment.run(projectId, name).changes === 1);
  },

  addSourceMigrationHost(s: Statements, projectId: string, hostname: string): boolean {
    return changeSourceProject(s, projectId, () => {
      s.insertSourceMigrationHost.run(projectId, hostname);
      return true;
    });
  },

  deleteSourceMigrationHost(s: Statements, projectId: string, hostname: string): boolean {
    return changeSourceProject(s, projectId, () => s.deleteSourceMigrationHost.run(projectId, hostname).changes === 1);
  },

  putSourceLink(s: Statements, link: SourceLinkRecord): SourceLinkWithdrawal | undefined {
    const replaced = s.getSourceLink.get(link.orgId) as SourceLinkRow | undefined;
    s.putSourceLink.run(...sourceLinkValues(link));
    s.cancelSourceLinkWithdrawals.run(link.atlasOrgId, link.publicKey);
    if (!replaced || (replaced.atlas_org_id === link.atlasOrgId && replaced.public_key === link.publicKey)) return undefined;
    return recordWithdrawal(s, replaced, link.createdAt);
  },

  deleteSourceLink(s: Statements, orgId: string, linkId: string, deletedAt: string): { withdrawal: SourceLinkWithdrawal | undefined } | undefined {
    const deleted = s.deleteSourceLink.get(orgId, linkId) as SourceLinkRow | undefined;
    return deleted && { withdrawal: recordWithdrawal(s, deleted, deletedAt) };
  },

  deleteSourceLinkWithdrawal(s: Statements, linkId: string): boolean {
    return s.deleteSourceLinkWithdrawal.run(linkId).changes === 1;
  },

  recordSourceLinkSync(s: Statements, orgId: string, linkId: string, sync: SourceLinkSync): boolean {
    return (
      s.recordSourceLinkSync.run(sync.status, sync.reason, sync.syncedVersion, sync.attemptedAt, sync.status, sync.attemptedAt, orgId, linkId)
        .changes === 1
    );
  },

  revokeAccessToken(s: Statements, jti: string, expiresAtMs: number): void {
    s.revokeAccessToken.run(jti, expiresAtMs);
  },

  useDigestNonce(s: Statements, nonce: string, nc: string, expiresAtMs: number): boolean {
    return s.useDigestNonce.run(nonce, nc, expiresAtMs).changes === 1;
  },

  takeRateLimitToken(s: Statements, bucket: string, policy: RateLimitPolicy, nowMs: number): RateLimitDecision {
    const row = s.getBucket.get(bucket) as { tokens: number; refilled_at: number } | undefined;
    const state: BucketState | undefined = row && { tokens: row.tokens, refilledAt: row.refilled_at };
    const { next, decision } = takeToken(state, policy, nowMs);
    s.putBucket.run(bucket, next.tokens, next.refilledAt);
    return decision;
  },

  getOrCreateSecret(s: Statements, name: string, value: Buffer): Buffer {
    s.insertSecretIfAbsent.run(name, value);
    return (s.getSecret.get(name) as { value: Buffer }).value;
  },

  // One chunk of pruning each (sqlite.ts runs them until a chunk comes back short): how many rows went.
  pruneNonceUses(s: Statements, nowMs: number, limit: number): number {
    return s.pruneNonceUses.run(nowMs, limit).changes;
  },

  pruneRevokedTokens(s: Statements, nowMs: number, limit: number): number {
    return s.pruneRevokedTokens.run(nowMs, limit).changes;
  },

  /** `retiredBefore`: an ISO instant, as retired_at is stored (ISO strings of one format sort as time). */
  pruneRetiredLinkKeys(s: Statements, retiredBefore: string, limit: number): number {
    return s.pruneRetiredLinkKeys.run({ before: retiredBefore, limit }).changes;
  },
};

export type SqliteWrites = typeof sqliteWrites;
export type WriteName = keyof SqliteWrites;
/** The arguments of a write, without the statements the writer thread supplies. */
export type WriteArgs<K extends WriteName> = SqliteWrites[K] extends (s: Statements, ...args: infer A) => unknown ? A : never;
export type WriteResult<K extends WriteName> = ReturnType<SqliteWrites[K]>;
