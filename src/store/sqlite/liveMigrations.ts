import type { Database } from 'better-sqlite3';
import type { Audit } from '../events.js';
import type { GroupCommitter } from '../groupCommit.js';
import type { LiveMigrationRecord, LiveMigrationStore, ValidationRecord } from '../liveMigrations.js';

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
  private readonly insertMigration;
  private readonly selectMigration;
  private readonly selectOrgMigrations;
  private readonly selectGroupMigrations;
  private readonly updateMigration;

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
    this.insertMigration = db.prepare(
      'INSERT INTO live_migrations (id, group_id, org_id, record, created_at, revision) VALUES (@id, @groupId, @orgId, @record, @createdAt, @revision)',
    );
    this.selectMigration = db.prepare('SELECT record FROM live_migrations WHERE id = ? AND group_id = ?').pluck();
    this.selectGroupMigrations = db.prepare('SELECT record FROM live_migrations WHERE group_id = ?').pluck();
    this.selectOrgMigrations = db.prepare('SELECT record FROM live_migrations WHERE org_id = ? ORDER BY created_at, id').pluck();
    this.updateMigration = db.prepare('UPDATE live_migrations SET record = @record, revision = @revision WHERE id = @id AND revision = @expectedRevision');
  }

  createMigration(migration: LiveMigrationRecord, blocks: (other: LiveMigrationRecord) => boolean, audit?: Audit<boolean>): Promise<boolean> {
    return this.committer.transact(() => {
      const others = (this.selectGroupMigrations.all(migration.groupId) as string[]).map((r) => JSON.parse(r) as LiveMigrationRecord);
      if (others.some(blocks)) return false;
      this.insertMigration.run({ ...migration, record: JSON.stringify(migration) });
      return true;
    }, audit);
  }

  async getMigration(groupId: string, migrationId: string): Promise<LiveMigrationRecord | undefined> {
    this.guard();
    const record = this.selectMigration.get(migrationId, groupId) as string | undefined;
    return record === undefined ? undefined : (JSON.parse(record) as LiveMigrationRecord);
  }

  async listMigrations(orgId: string): Promise<LiveMigrationRecord[]> {
    this.guard();
    return (this.selectOrgMigrations.all(orgId) as string[]).map((record) => JSON.parse(record) as LiveMigrationRecord);
  }

  saveMigration(migration: LiveMigrationRecord, expectedRevision: number, audit?: Audit<boolean>): Promise<boolean> {
    return this.committer.transact(
      () => this.updateMigration.run({ id: migration.id, record: JSON.stringify(migration), revision: migration.revision, expectedRevision }).changes === 1,
      audit,
    );
  }

  async createValidation(validation: ValidationRecord, audit?: Audit<void>): Promise<void> {
    await this.committer.transact(() => {
      this.insertValidation.run(validation);
    }, audit);
  }

  async getValidation(groupId: string, validationId: string): Promise<ValidationRecord | undefined> {
    this.guard();
    const row = this.selectValidation.get(validationId, groupId) as ValidationRow | undefined;
    return row && toValidation(row);
  }
}
