// The one source of "now" for domain rules that depend on time (cluster phases, and later the
// other timers): passed in, never read from Date directly, so tests and a controllable clock can
// set it.

export interface Clock {
  now(): Date;
}

export const wallClock: Clock = { now: () => new Date() };
