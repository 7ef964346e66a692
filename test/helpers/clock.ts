import type { Clock } from '../../src/domain/clock.js';

/** A clock a test moves by hand, so a cluster's phases pass without waiting. */
export class ManualClock implements Clock {
  constructor(private current = Date.now()) {}

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): void {
    this.current += ms;
  }
}
