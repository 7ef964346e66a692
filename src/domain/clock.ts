// The one source of "now" for every rule that depends on time (cluster phases, validation and
// migration jobs, the cutover window, nonce and access-token lifetimes, rate-limit refills):
// passed in, never read from Date inside a rule, so tests and a controllable clock can set it.

export interface Clock {
  now(): Date;
}

export const wallClock: Clock = { now: () => new Date() };

/** The fastest a controllable clock may run: a day a second is 86 400; a year a minute still fits. */
export const MAX_CLOCK_RATE = 1_000_000;

export class ClockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClockError';
  }
}

export interface ClockState {
  now: string;
  /** How far it runs ahead of the wall clock, in milliseconds. */
  offsetMs: number;
  /** Clock seconds per wall-clock second. */
  rate: number;
}

/**
 * A clock tests can move on (`pushlink clock advance 121h`) or run faster (`--clock-rate`), so
 * that an expired token or a cutover window that ran out takes a second, not days. It only moves
 * forward: stored instants (a cluster's readyAt, a nonce's expiry) are never in its past twice.
 * Off by default; a server started without it uses `wallClock` only.
 */
export class ControllableClock implements Clock {
  private anchorWallMs: number;
  private anchorMs: number;

  constructor(
    readonly rate = 1,
    private readonly wallMs: () => number = Date.now,
  ) {
    if (!(rate > 0 && rate <= MAX_CLOCK_RATE)) throw new ClockError(`the clock rate must be above 0 and at most ${MAX_CLOCK_RATE}, got ${rate}`);
    this.anchorWallMs = wallMs();
    this.anchorMs = this.anchorWallMs;
  }

  now(): Date {
    return new Date(this.anchorMs + (this.wallMs() - this.anchorWallMs) * this.rate);
  }

  /** Moves the clock `ms` forward (never back) and says where it stands. */
  advance(ms: number): ClockState {
    if (!Number.isFinite(ms) || ms < 0) throw new ClockError('the clock only moves forward: give a positive duration');
    const now = this.now().getTime();
    this.anchorWallMs = this.wallMs();
    this.anchorMs = now + ms;
    return this.state();
  }

  state(): ClockState {
    const now = this.now();
    return { now: now.toISOString(), offsetMs: now.getTime() - this.wallMs(), rate: this.rate };
  }
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `121h`, `90m`, `1d12h`, `30s`, `500ms`: a duration as the clock commands take it, in ms. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (trimmed === '' || parts.map((p) => p[0]).join('') !== trimmed) {
    throw new ClockError(`a duration is a number with a unit (ms, s, m, h, d), e.g. 121h or 1d12h; got "${text}"`);
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * DURATION_UNITS_MS[p[2]!]!, 0);
}
