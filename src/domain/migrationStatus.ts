import type { LiveMigrationRecord, StoredMigrationStatus } from '../store/liveMigrations.js';

// A migration's status as a user sees it: what was stored, except that a migration ready for
// cutover whose window ran out without one is EXPIRED (read off `readyAt`, no timer).

export type MigrationStatus = StoredMigrationStatus | 'EXPIRED';

export function migrationStatus(m: LiveMigrationRecord, now: Date, cutoverWindowMs: number): MigrationStatus {
  if (m.status === 'WORKING' && m.readyAt !== null && m.cutoverRequestedAt === null && now.getTime() >= Date.parse(m.readyAt) + cutoverWindowMs) {
    return 'EXPIRED';
  }
  return m.status;
}

export function isActive(m: LiveMigrationRecord, now: Date, cutoverWindowMs: number): boolean {
  const status = migrationStatus(m, now, cutoverWindowMs);
  return status === 'NEW' || status === 'WORKING';
}

