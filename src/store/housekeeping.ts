// What the server keeps for itself, shared by every instance on one database: the replay records
// of digest nonces, the rate-limit buckets, the server's secrets, and the pruning of what expires.

/**
 * Rows one pruning statement deletes at most. On SQLite (3M replay records, 300,000 expired),
 * deleting them in one statement held the event loop for 270-760 ms; a chunk of this size holds
 * it about 10 ms (25 ms when the expired rows lie scattered across the table), and the requests'
 * writes run between chunks.
 */
export const PRUNE_CHUNK_ROWS = 1000;

export interface RateLimitPolicy {
  capacity: number;
  refillAmount: number;
  refillPeriodMs: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  remaining: number;
  /** Seconds until the next refill adds tokens (meaningful when refused). */
  retryAfterSeconds: number;
}

export interface HousekeepingStore {
  /** Records one use of a digest (nonce, nc) pair. False when that pair was used before. */
  useDigestNonce(nonce: string, nc: string, expiresAtMs: number): Promise<boolean>;

  /** Atomically takes one token from the named bucket (creating it full). */
  takeRateLimitToken(bucket: string, policy: RateLimitPolicy, nowMs: number): Promise<RateLimitDecision>;

  /**
   * A named server secret (JWT signing key, nonce MAC key). Created once with `create` and shared
   * by every instance on the same database.
   */
  getOrCreateSecret(name: string, create: () => Buffer): Promise<Buffer>;

  /**
   * Drops replay records and revocations that can no longer matter, and the records of link keys
   * retired more than RETIRED_LINK_KEY_RETENTION_DAYS ago. In chunks of at most `chunkRows` rows
   * (PRUNE_CHUNK_ROWS unless told), each its own statement and transaction: however much has
   * expired, no step holds the database, or with SQLite the event loop, for long, and other writes
   * run between the chunks. Expired replay records and revocations are found through an index on
   * their expiry. Retired link keys are kept in retirement order and pruned from the oldest, up to
   * the first record not yet old enough: a record retired out of order (the clock was set back)
   * keeps the ones after it until it is old enough itself, so a record is kept at least the
   * retention, never less.
   */
  pruneExpired(nowMs: number, options?: { chunkRows?: number }): Promise<void>;
}
