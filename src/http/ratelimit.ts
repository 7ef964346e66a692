import type { FastifyReply } from 'fastify';
import type { RateLimitPolicy } from '../store/housekeeping.js';
import type { Store } from '../store/store.js';
import { ApiError } from './errors.js';

// Atlas rate limits: a token bucket per endpoint set and scope. The Cloud Migration Service's
// org-scoped operations (linkTokens POST/DELETE, availableProjects GET) share one bucket per org:
// capacity 500, 250 tokens back every 60 s. Buckets live in the store, so several instances on one
// database share them.

export interface RateLimitConfig extends RateLimitPolicy {
  enabled: boolean;
}

export const ATLAS_ORG_RATE_LIMIT: RateLimitConfig = {
  enabled: true,
  capacity: 500,
  refillAmount: 250,
  refillPeriodMs: 60_000,
};

/**
 * Atlas's project (GROUP) scope, as documented for the Cloud Migration Service's group-scoped
 * operations: capacity 1200, 500 back every 60 s (../shared/reference/atlas-api.md §6). pushlink
 * spends it for every group-scoped operation; Atlas has more buckets per endpoint set (a recorded
 * cluster create says RateLimit-Limit: 10000) whose refill is not published.
 */
export const ATLAS_GROUP_RATE_LIMIT: RateLimitConfig = {
  enabled: true,
  capacity: 1200,
  refillAmount: 500,
  refillPeriodMs: 60_000,
};

export async function enforceRateLimit(
  store: Store,
  config: RateLimitConfig,
  reply: FastifyReply,
  scope: { bucket: string; resource: string },
  nowMs: number,
): Promise<void> {
  if (!config.enabled) return;
  const decision = await store.housekeeping.takeRateLimitToken(scope.bucket, config, nowMs);
  reply.header('ratelimit-limit', config.capacity);
  reply.header('ratelimit-remaining', decision.remaining);
  if (!decision.allowed) {
    const periodSeconds = Math.round(config.refillPeriodMs / 1000);
    throw new ApiError(
      'RATE_LIMITED_TOKEN_BUCKET',
      [scope.resource, decision.retryAfterSeconds, config.capacity, config.refillAmount, periodSeconds],
      { headers: { 'retry-after': String(decision.retryAfterSeconds) } },
    );
  }
}
