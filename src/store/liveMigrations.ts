// The live-migration jobs of a project. So far its validations: a validation's outcome is decided
// when it is asked for (from pushlink's own state, domain/validations.ts) and shown once it
// settles, at `settlesAt`: PENDING before. As with clusters, a stored instant and the clock, no
// timer, so a restart changes nothing about what a job shows.

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

export interface LiveMigrationStore {
  createValidation(validation: ValidationRecord): Promise<void>;
  /** The validation with this id in this project; undefined for another project's. */
  getValidation(groupId: string, validationId: string): Promise<ValidationRecord | undefined>;
}
