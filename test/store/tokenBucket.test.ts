import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { takeToken, type BucketState } from '../../src/store/tokenBucket.js';

const policy = { capacity: 3, refillAmount: 2, refillPeriodMs: 60_000 };

describe('takeToken', () => {
  it('starts full and refuses when empty, saying when the next refill comes', () => {
    let state: BucketState | undefined;
    const t0 = 1_000_000;
    const remaining: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = takeToken(state, policy, t0 + i);
      assert.ok(r.decision.allowed);
      remaining.push(r.decision.remaining);
      state = r.next;
    }
    assert.deepEqual(remaining, [2, 1, 0]);
    const refused = takeToken(state, policy, t0 + 5_000);
    assert.equal(refused.decision.allowed, false);
    assert.equal(refused.decision.retryAfterSeconds, 55);
  });

  it('refills refillAmount per whole period, never above capacity', () => {
    const empty: BucketState = { tokens: 0, refilledAt: 0 };
    assert.equal(takeToken(empty, policy, 59_999).decision.allowed, false);
    const one = takeToken(empty, policy, 60_000);
    assert.ok(one.decision.allowed);
    assert.equal(one.decision.remaining, 1);
    assert.equal(one.next.refilledAt, 60_000);
    const many = takeToken(empty, policy, 10 * 60_000 + 5);
    assert.equal(many.decision.remaining, 2);
    assert.equal(many.next.refilledAt, 10 * 60_000);
  });
});
