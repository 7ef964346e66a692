import { takeToken, type BucketState } from './tokenBucket.js';
import { toOrg, type OrgRow, type Statements } from './sqliteStatements.js';
import type { ApiKeyRecord, LinkRecord, Org, RateLimitDecision, RateLimitPolicy, ServiceAccountRecord } from './store.js';

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

export const sqliteWrites = {
  createOrg(s: Statements, org: Org): void {
    s.insertOrg.run(org.id, org.name, org.createdAt);
  },

  insertBootstrap(s: Statements, org: Org, key: ApiKeyRecord, account: ServiceAccountRecord): void {
    s.insertOrg.run(org.id, org.name, org.createdAt);
    insertApiKey(s, key);
    insertServiceAccount(s, account);
  },

  insertApiKey,

  deleteApiKey(s: Statements, orgId: string, publicKey: string): boolean {
    const row = s.findApiKeyInOrg.get(orgId, publicKey) as { id: string } | undefined;
    if (!row) return false;
    s.deleteLinkByKey.run(row.id);
    s.deleteApiKeyById.run(row.id);
    return true;
  },

  insertServiceAccount,

  deleteServiceAccount(s: Statements, orgId: string, clientId: string): boolean {
    return s.deleteServiceAccount.run(orgId, clientId).changes > 0;
  },

  // The hot write (every create): four statements. The new key goes in first and the link moves to
  // it before the old key is deleted, so the foreign keys hold at every step.
  replaceLink(s: Statements, link: LinkRecord, key: ApiKeyRecord): { org: Org; replacedPublicKey?: string } | undefined {
    const row = s.getOrgWithLinkKey.get(link.orgId) as (OrgRow & { link_key_id: string | null; link_public_key: string | null }) | undefined;
    if (!row) return undefined;
    insertApiKey(s, key);
    s.upsertLink.run(link.orgId, link.apiKeyId, JSON.stringify(link.accessListIps), link.createdAt);
    const org = toOrg(row);
    if (row.link_key_id === null) return { org };
    s.deleteApiKeyById.run(row.link_key_id);
    return { org, replacedPublicKey: row.link_public_key! };
  },

  /** The deleted link key's public key, or undefined when the org had no link. */
  deleteLink(s: Statements, orgId: string): string | undefined {
    const previous = s.getLinkKey.get(orgId) as { id: string; public_key: string } | undefined;
    if (!previous) return undefined;
    s.deleteLink.run(orgId);
    s.deleteApiKeyById.run(previous.id);
    return previous.public_key;
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

  pruneExpired(s: Statements, nowMs: number): void {
    s.pruneNonceUses.run(nowMs);
    s.pruneRevokedTokens.run(nowMs);
  },
};

export type SqliteWrites = typeof sqliteWrites;
export type WriteName = keyof SqliteWrites;
/** The arguments of a write, without the statements the writer thread supplies. */
export type WriteArgs<K extends WriteName> = SqliteWrites[K] extends (s: Statements, ...args: infer A) => unknown ? A : never;
export type WriteResult<K extends WriteName> = ReturnType<SqliteWrites[K]>;
