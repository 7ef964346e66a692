import type { RateLimitDecision, RateLimitPolicy } from './housekeeping.js';

// Atlas's token bucket: a bucket starts full; `refillAmount` tokens come back every
// `refillPeriodMs`, counted from the last refill (Atlas's own 429 says "retry after 55 seconds"
// for a 60-second period, i.e. refills are periodic, not continuous). Pure, so every back end
// applies the same arithmetic inside its own atomic read-modify-write.

export interface BucketState {
  tokens: number;
  refilledAt: number;
}

export function takeToken(
  state: BucketState | undefined,
  policy: RateLimitPolicy,
  nowMs: number,
): { next: BucketState; decision: RateLimitDecision } {
  let tokens = state ? state.tokens : policy.capacity;
  let refilledAt = state ? state.refilledAt : nowMs;
  if (nowMs > refilledAt) {
    const periods = Math.floor((nowMs - refilledAt) / policy.refillPeriodMs);
    if (periods > 0) {
      tokens = Math.min(policy.capacity, tokens + periods * policy.refillAmount);
      refilledAt += periods * policy.refillPeriodMs;
    }
  }
  if (tokens >= 1) {
    tokens -= 1;
    return {
      next: { tokens, refilledAt },
      decision: { allowed: true, remaining: Math.floor(tokens), retryAfterSeconds: 0 },
    };
  }
  const waitMs = Math.max(0, refilledAt + policy.refillPeriodMs - nowMs);
  return {
    next: { tokens, refilledAt },
    decision: { allowed: false, remaining: 0, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) },
  };
}
