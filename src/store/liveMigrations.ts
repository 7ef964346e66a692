import type { Audit } from './events.js';

// The live-migration jobs of a project: validations and migrations. A validation's outcome is
// decided when it is asked for (from pushlink's own state, domain/validations.ts) and shown once it
// settles, at `settlesAt`: PENDING before. A migration's progress is what the source side's
// migration host last reported (sync/migrationAgent.ts); its cutover window runs from `readyAt`.
// As with clusters, stored instants and the clock, no timers, so a restart of either side changes
// nothing about what a job shows.

export interface ValidationRecord {
  id: string;
  groupId: string;
  sourceGroupId: string;
  createdAt: string;
  /** PENDING until then, `outcome` from then on. */
  settlesAt: string;
  outcome: 'SUCCESS' | 'FAILED';
  /** Why it failed, in words a user can act on; null on SUCCESS. */
  errorMessage: string | null;
}

/** The statuses a migration is stored with; EXPIRED is read off `readyAt` and the window. */
export type StoredMigrationStatus = 'NEW' | 'WORKING' | 'FAILED' | 'COMPLETE';

export interface LiveMigrationRecord {
  id: string;
  groupId: string;
  orgId: string;
  sourceGroupId: string;
  sourceClusterName: string;
  destinationClusterName: string;
  migrationHost: string;
  dropDestinationData: boolean;
  createdAt: string;
  status: StoredMigrationStatus;
  /** As last reported; null before the first report and after cutover. */
  lagTimeSeconds: number | null;
  /** When the migration host first reported it WORKING: its progress is measured from then. */
  workingAt: string | null;
  /** When the migration host first reported it ready for cutover: the cutover window starts. */
  readyAt: string | null;
  cutoverRequestedAt: string | null;
  /** When it reached COMPLETE or FAILED. */
  endedAt: string | null;
  /** Why it FAILED. */
  errorMessage: string | null;
  /** Grows with every saved change; saveMigration compares it. */
  revision: number;
}

export interface LiveMigrationStore {
  createValidation(validation: ValidationRecord, audit?: Audit<void>): Promise<void>;
  /** The validation with this id in this project; undefined for another project's. */
  getValidation(groupId: string, validationId: string): Promise<ValidationRecord | undefined>;

  /**
   * Inserts the migration unless one of its project's migrations `blocks` it (the domain's rule: an
   * active migration into the same cluster), checked in the same transaction as the insert, so two
   * creates cannot both pass. False, with nothing written, when one blocks.
   */
  createMigration(migration: LiveMigrationRecord, blocks: (other: LiveMigrationRecord) => boolean, audit?: Audit<boolean>): Promise<boolean>;
  /** The migration with this id in this project; undefined for another project's. */
  getMigration(groupId: string, migrationId: string): Promise<LiveMigrationRecord | undefined>;
  /** The org's migrations, oldest first. */
  listMigrations(orgId: string): Promise<LiveMigrationRecord[]>;
  /** Saves a changed migration if the stored one still has `expectedRevision`; false otherwise. */
  saveMigration(migration: LiveMigrationRecord, expectedRevision: number, audit?: Audit<boolean>): Promise<boolean>;
}
