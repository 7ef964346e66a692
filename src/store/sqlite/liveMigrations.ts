import type { Database } from 'better-sqlite3';
import type { GroupCommitter } from '../groupCommit.js';
import type { LiveMigrationStore, ValidationRecord } from '../liveMigrations.js';

// Live-migration jobs on SQLite: reads at once, writes through group commit.

interface ValidationRow {
  id: string;
  group_id: string;
  source_group_id: string;
  created_at: string;
  settles_at: string;
  outcome: ValidationRecord['outcome'];
  error_message: string | null;
}

const toValidation = (row: ValidationRow): ValidationRecord => ({
  id: row.id,
  groupId: row.group_id,
  sourceGroupId: row.source_group_id,
  createdAt: row.created_at,
  settlesAt: row.settles_at,
  outcome: row.outcome,
  errorMessage: row.error_message,
});

export class SqliteLiveMigrationStore implements LiveMigrationStore {
  private readonly insertValidation;
  private readonly selectValidation;

  constructor(
    db: Database,
    private readonly committer: GroupCommitter,
    private readonly guard: () => void,
  ) {
    this.insertValidation = db.prepare(
      `INSERT INTO live_migration_validations (id, group_id, source_group_id, created_at, settles_at, outcome, error_message)
       VALUES (@id, @groupId, @sourceGroupId, @createdAt, @settlesAt, @outcome, @errorMessage)`,
    );
    this.selectValidation = db.prepare('SELECT * FROM live_migration_validations WHERE id = ? AND group_id = ?');
  }

  async createValidation(validation: ValidationRecord): Promise<void> {
    await this.committer.transact(() => this.insertValidation.run(validation));
  }

  async getValidation(groupId: string, validationId: string): Promise<ValidationRecord | undefined> {
    this.guard();
    const row = this.selectValidation.get(validationId, groupId) as ValidationRow | undefined;
    return row && toValidation(row);
  }
}
