import type { LiveMigrationStore, ValidationRecord } from '../liveMigrations.js';
import { query } from '../postgresStatements.js';
import type { PostgresAccess } from './groups.js';

// Live-migration jobs on PostgreSQL.

interface ValidationRow {
  id: string;
  group_id: string;
  source_group_id: string;
  created_at: Date;
  settles_at: Date;
  outcome: ValidationRecord['outcome'];
  error_message: string | null;
}

const SQL = {
  insertValidation: {
    name: 'live-migration-validations-insert',
    text: `INSERT INTO live_migration_validations (id, group_id, source_group_id, created_at, settles_at, outcome, error_message)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
  },
  getValidation: { name: 'live-migration-validations-get', text: 'SELECT * FROM live_migration_validations WHERE id = $1 AND group_id = $2' },
} as const;

export class PostgresLiveMigrationStore implements LiveMigrationStore {
  constructor(private readonly db: PostgresAccess) {}

  async createValidation(v: ValidationRecord): Promise<void> {
    await this.db.transaction((client) =>
      query(client, SQL.insertValidation, [v.id, v.groupId, v.sourceGroupId, v.createdAt, v.settlesAt, v.outcome, v.errorMessage]),
    );
  }

  async getValidation(groupId: string, validationId: string): Promise<ValidationRecord | undefined> {
    const row = (await query<ValidationRow>(this.db.pool, SQL.getValidation, [validationId, groupId])).rows[0];
    return (
      row && {
        id: row.id,
        groupId: row.group_id,
        sourceGroupId: row.source_group_id,
        createdAt: row.created_at.toISOString(),
        settlesAt: row.settles_at.toISOString(),
        outcome: row.outcome,
        errorMessage: row.error_message,
      }
    );
  }
}
