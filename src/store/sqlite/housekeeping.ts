import type { Database, Statement } from 'better-sqlite3';
import type { GroupCommitter } from '../groupCommit.js';
import { PRUNE_CHUNK_ROWS, type HousekeepingStore, type RateLimitDecision, type RateLimitPolicy } from '../housekeeping.js';
import { RETIRED_LINK_KEY_RETENTION_MS } from '../links.js';
import { takeToken, type BucketState } from '../tokenBucket.js';

// Digest nonce uses, rate-limit buckets, server secrets and pruning on SQLite. Writes go through
// group commit; a bucket's read-modify-write runs inside one write of a serial batch, so it is atomic.

function prepare(db: Database) {
  const p = (sql: string): Statement => db.prepare(sql);
  return {
    useDigestNonce: p('INSERT OR IGNORE INTO digest_nonce_uses (nonce, nc, expires_at) VALUES (?, ?, ?)'),
    getBucket: p('SELECT tokens, refilled_at FROM rate_limit_buckets WHERE bucket = ?'),
    putBucket: p(
      'INSERT INTO rate_limit_buckets (bucket, tokens, refilled_at) VALUES (?, ?, ?) ON CONFLICT(bucket) DO UPDATE SET tokens = excluded.tokens, refilled_at = excluded.refilled_at',
    ),
    getSecret: p('SELECT value FROM server_secrets WHERE name = ?'),
    insertSecretIfAbsent: p('INSERT OR IGNORE INTO server_secrets (name, value) VALUES (?, ?)'),
    // One chunk each: (expired before, at most this many rows), found through the expiry index.
    pruneNonceUses: p(
      'DELETE FROM digest_nonce_uses WHERE (nonce, nc) IN (SELECT nonce, nc FROM digest_nonce_uses WHERE expires_at < ? LIMIT ?)',
    ),
    pruneRevokedTokens: p(
      'DELETE FROM revoked_access_tokens WHERE jti IN (SELECT jti FROM revoked_access_tokens WHERE expires_at < ? LIMIT ?)',
    ),
    // The chunk is the table's first @limit rows in rowid order (retirement order), deleted up to
    // the first one retired at or after @before: never more rows read than the chunk, whatever the
    // table holds, and no index to keep on the hot write. A record out of order (the clock was set
    // back) holds the ones behind it until it is old enough itself.
    pruneRetiredLinkKeys: p(
      `WITH head AS (SELECT rowid AS id, retired_at FROM retired_link_keys ORDER BY rowid LIMIT @limit)
       DELETE FROM retired_link_keys WHERE rowid IN (SELECT id FROM head)
         AND rowid < coalesce((SELECT min(id) FROM head WHERE retired_at >= @before), 9223372036854775807)`,
    ),
  };
}

export class SqliteHousekeepingStore implements HousekeepingStore {
  private readonly s: ReturnType<typeof prepare>;

  /** `guard` throws when the store stopped serving (a failed fsync); `closing` stops pruning quietly. */
  constructor(
    db: Database,
    private readonly committer: GroupCommitter,
    private readonly guard: () => void,
    private readonly closing: () => boolean,
  ) {
    this.s = prepare(db);
  }

  useDigestNonce(nonce: string, nc: string, expiresAtMs: number): Promise<boolean> {
    return this.committer.transact(() => this.s.useDigestNonce.run(nonce, nc, expiresAtMs).changes === 1);
  }

  takeRateLimitToken(bucket: string, policy: RateLimitPolicy, nowMs: number): Promise<RateLimitDecision> {
    return this.committer.transact(() => {
      const row = this.s.getBucket.get(bucket) as { tokens: number; refilled_at: number } | undefined;
      const state: BucketState | undefined = row && { tokens: row.tokens, refilledAt: row.refilled_at };
      const { next, decision } = takeToken(state, policy, nowMs);
      this.s.putBucket.run(bucket, next.tokens, next.refilledAt);
      return decision;
    });
  }

  async getOrCreateSecret(name: string, create: () => Buffer): Promise<Buffer> {
    this.guard();
    const existing = this.s.getSecret.get(name) as { value: Buffer } | undefined;
    if (existing) return existing.value;
    const value = create();
    const stored = await this.committer.transact(() => {
      this.s.insertSecretIfAbsent.run(name, value);
      return (this.s.getSecret.get(name) as { value: Buffer }).value;
    });
    return Buffer.from(stored);
  }

  /**
   * Each chunk is a write of its own: group commit runs it in a batch with the requests' writes,
   * and awaiting it gives the event loop back, so pruning never holds either for long.
   */
  async pruneExpired(nowMs: number, options: { chunkRows?: number } = {}): Promise<void> {
    const chunkRows = options.chunkRows ?? PRUNE_CHUNK_ROWS;
    // `retiredBefore`: an ISO instant, as retired_at is stored (ISO strings of one format sort as time).
    const retiredBefore = new Date(nowMs - RETIRED_LINK_KEY_RETENTION_MS).toISOString();
    const chunks = [
      () => this.committer.transact(() => this.s.pruneNonceUses.run(nowMs, chunkRows).changes),
      () => this.committer.transact(() => this.s.pruneRevokedTokens.run(nowMs, chunkRows).changes),
      () => this.committer.transact(() => this.s.pruneRetiredLinkKeys.run({ before: retiredBefore, limit: chunkRows }).changes),
    ];
    for (const chunk of chunks) {
      // A short chunk was the last; closing stops pruning quietly (the next run picks it up).
      while (!this.closing() && (await chunk()) === chunkRows);
    }
  }
}
