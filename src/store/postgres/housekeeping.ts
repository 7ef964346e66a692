import { PRUNE_CHUNK_ROWS, type HousekeepingStore, type RateLimitDecision, type RateLimitPolicy } from '../housekeeping.js';
import { RETIRED_LINK_KEY_RETENTION_MS } from '../links.js';
import { takeToken } from '../tokenBucket.js';
import { query, type PostgresAccess } from './access.js';

// Digest nonce uses, rate-limit buckets, server secrets and pruning on PostgreSQL, shared by every
// instance on the database: unique keys and row locks decide each race.

export const SQL = {
  useDigestNonce: {
    name: 'use-digest-nonce',
    text: 'INSERT INTO digest_nonce_uses (nonce, nc, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
  },
  lockBucket: { name: 'lock-bucket', text: 'SELECT tokens, refilled_at FROM rate_limit_buckets WHERE bucket = $1 FOR UPDATE' },
  insertBucket: {
    name: 'insert-bucket',
    text: 'INSERT INTO rate_limit_buckets (bucket, tokens, refilled_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
  },
  updateBucket: { name: 'update-bucket', text: 'UPDATE rate_limit_buckets SET tokens = $2, refilled_at = $3 WHERE bucket = $1' },
  getSecret: { name: 'get-secret', text: 'SELECT value FROM server_secrets WHERE name = $1' },
  insertSecret: { name: 'insert-secret', text: 'INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING' },
  // One chunk each: ($1 expired before, at most $2 rows), found through the expiry index. SKIP
  // LOCKED: instances pruning at once take different rows instead of waiting for each other.
  pruneNonceUses: {
    name: 'prune-nonce-uses',
    text: `DELETE FROM digest_nonce_uses WHERE (nonce, nc) IN
             (SELECT nonce, nc FROM digest_nonce_uses WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
  },
  pruneRevokedTokens: {
    name: 'prune-revoked-tokens',
    text: `DELETE FROM revoked_access_tokens WHERE jti IN
             (SELECT jti FROM revoked_access_tokens WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
  },
  pruneRetiredLinkKeys: {
    name: 'prune-retired-link-keys',
    // As SQLite's: the first $2 rows in seq order (retirement order), deleted up to the first one
    // retired at or after $1. Rows another instance is pruning are skipped, not waited for.
    text: `WITH head AS (SELECT seq, retired_at FROM retired_link_keys ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED)
           DELETE FROM retired_link_keys r USING head
            WHERE r.seq = head.seq
              AND head.seq < coalesce((SELECT min(seq) FROM head WHERE retired_at >= $1), 9223372036854775807)`,
  },
} as const;

export class PostgresHousekeepingStore implements HousekeepingStore {
  constructor(private readonly db: PostgresAccess) {}

  async useDigestNonce(nonce: string, nc: string, expiresAtMs: number): Promise<boolean> {
    return (await this.db.write(SQL.useDigestNonce, [nonce, nc, expiresAtMs])).rowCount === 1;
  }

  /** The bucket's row lock makes the read-modify-write atomic across every instance. */
  takeRateLimitToken(bucket: string, policy: RateLimitPolicy, nowMs: number): Promise<RateLimitDecision> {
    return this.db.transaction(async (client) => {
      type BucketRow = { tokens: number; refilled_at: string };
      let { rows } = await query<BucketRow>(client, SQL.lockBucket, [bucket]);
      if (!rows[0]) {
        // A new bucket starts full; of two instances creating it at once, one insert wins.
        await query(client, SQL.insertBucket, [bucket, policy.capacity, nowMs]);
        ({ rows } = await query<BucketRow>(client, SQL.lockBucket, [bucket]));
      }
      const row = rows[0]!;
      const { next, decision } = takeToken({ tokens: row.tokens, refilledAt: Number(row.refilled_at) }, policy, nowMs);
      await query(client, SQL.updateBucket, [bucket, next.tokens, next.refilledAt]);
      return decision;
    });
  }

  async getOrCreateSecret(name: string, create: () => Buffer): Promise<Buffer> {
    const existing = await query<{ value: Buffer }>(this.db.pool, SQL.getSecret, [name]);
    if (existing.rows[0]) return existing.rows[0].value;
    // Of instances racing here, the first insert wins and every one reads the winner back.
    await this.db.write(SQL.insertSecret, [name, create()]);
    return (await query<{ value: Buffer }>(this.db.pool, SQL.getSecret, [name])).rows[0]!.value;
  }

  /** Each chunk is one statement, so one transaction: no lock is held across chunks. */
  async pruneExpired(nowMs: number, options: { chunkRows?: number } = {}): Promise<void> {
    const chunkRows = options.chunkRows ?? PRUNE_CHUNK_ROWS;
    const chunks: Array<[{ name: string; text: string }, unknown]> = [
      [SQL.pruneNonceUses, nowMs],
      [SQL.pruneRevokedTokens, nowMs],
      [SQL.pruneRetiredLinkKeys, new Date(nowMs - RETIRED_LINK_KEY_RETENTION_MS)],
    ];
    for (const [statement, before] of chunks) {
      // A short chunk was the last (or another instance prunes the rest); closing stops quietly.
      while (!this.db.isClosed() && (await this.db.write(statement, [before, chunkRows])).rowCount === chunkRows);
    }
  }
}
