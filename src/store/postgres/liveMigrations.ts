import type { LiveMigrationRecord, LiveMigrationStore, ValidationRecord } from '../liveMigrations.js';
import type { Audit } from '../events.js';
import { query, type PostgresAccess } from './access.js';

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
  insertMigration: {
    name: 'live-migrations-insert',
    text: 'INSERT INTO live_migrations (id, group_id, org_id, record, created_at, revision) VALUES ($1, $2, $3, $4, $5, $6)',
  },
  getMigration: { name: 'live-migrations-get', text: 'SELECT record FROM live_migrations WHERE id = $1 AND group_id = $2' },
  lockGroup: { name: 'live-migrations-lock-group', text: 'SELECT 1 FROM groups WHERE id = $1 FOR UPDATE' },
  groupMigrations: { name: 'live-migrations-of-group', text: 'SELECT record FROM live_migrations WHERE group_id = $1' },
  listMigrations: { name: 'live-migrations-list', text: 'SELECT record FROM live_migrations WHERE org_id = $1 ORDER BY created_at, id' },
  saveMigration: { name: 'live-migrations-save', text: 'UPDATE live_migrations SET record = $2, revision = $3 WHERE id = $1 AND revision = $4' },
} as const;

export class PostgresLiveMigrationStore implements LiveMigrationStore {
  constructor(private readonly db: PostgresAccess) {}

  async createValidation(v: ValidationRecord, audit?: Audit<void>): Promise<void> {
    await this.db.transaction(async (client) => {
      await query(client, SQL.insertValidation, [v.id, v.groupId, v.sourceGroupId, v.createdAt, v.settlesAt, v.outcome, v.errorMessage]);
    }, audit);
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

  /** The project's row is locked first: creates into one project run one at a time. */
  createMigration(m: LiveMigrationRecord, blocks: (other: LiveMigrationRecord) => boolean, audit?: Audit<boolean>): Promise<boolean> {
    return this.db.transaction(async (client) => {
      await query(client, SQL.lockGroup, [m.groupId]);
      const others = (await query<{ record: LiveMigrationRecord }>(client, SQL.groupMigrations, [m.groupId])).rows.map((row) => row.record);
      if (others.some(blocks)) return false;
      await query(client, SQL.insertMigration, [m.id, m.groupId, m.orgId, JSON.stringify(m), m.createdAt, m.revision]);
      return true;
    }, audit);
  }

  async getMigration(groupId: string, migrationId: string): Promise<LiveMigrationRecord | undefined> {
    return (await query<{ record: LiveMigrationRecord }>(this.db.pool, SQL.getMigration, [migrationId, groupId])).rows[0]?.record;
  }

  async listMigrations(orgId: string): Promise<LiveMigrationRecord[]> {
    return (await query<{ record: LiveMigrationRecord }>(this.db.pool, SQL.listMigrations, [orgId])).rows.map((row) => row.record);
  }

  saveMigration(m: LiveMigrationRecord, expectedRevision: number, audit?: Audit<boolean>): Promise<boolean> {
    return this.db.transaction(
      async (client) => (await query(client, SQL.saveMigration, [m.id, JSON.stringify(m), m.revision, expectedRevision])).rowCount === 1,
      audit,
    );
  }
}
