import type { DomainError } from './errors.js';

// One rule for every record saved by compare-and-set on its revision (clusters, live migrations):
// read it, compute the change, save it only if nobody wrote it meanwhile; on a lost race read again
// and retry, so concurrent writers each see the other's result. A change of undefined saves nothing.

const ATTEMPTS = 5;

export async function saveByRevision<T extends { revision: number }>(
  read: () => Promise<T>,
  change: (current: T) => T | undefined,
  /** Saves `next` if the stored record is still `current` (its revision). */
  save: (next: T, current: T) => Promise<boolean>,
  exhausted: () => DomainError,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const current = await read();
    const next = change(current);
    if (next === undefined) return current;
    if (await save(next, current)) return next;
    if (attempt >= ATTEMPTS) throw exhausted();
  }
}
