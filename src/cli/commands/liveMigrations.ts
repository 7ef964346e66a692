import type { Command } from 'commander';
import { DEFAULT_CONFIG } from '../../config.js';
import { migrationView, requireMigration } from '../../domain/liveMigrations.js';
import type { LiveMigrationRecord } from '../../store/liveMigrations.js';
import { print, withStore } from '../admin.js';
import { dataDirOption, databaseUrlOption, jsonOption, output, storeLocation as location, type JsonOptions, type StoreOptions } from '../options.js';

// `pushlink migration list|describe`: the live migrations an Atlas side keeps, read from its
// store, also while it runs. EXPIRED depends on the server's cutover window: the command reads
// PUSHLINK_CUTOVER_WINDOW (seconds) as the server does, else Atlas's 120 hours.

interface MigrationListOptions extends StoreOptions, JsonOptions {
  org: string;
}

interface MigrationDescribeOptions extends StoreOptions, JsonOptions {
  project: string;
  id: string;
}

function cutoverWindowMs(): number {
  const text = process.env.PUSHLINK_CUTOVER_WINDOW;
  return text && /^\d+$/.test(text) ? Number(text) * 1000 : DEFAULT_CONFIG.cutoverWindowMs;
}

function describe(m: LiveMigrationRecord, now: Date) {
  return {
    ...migrationView(m, now, cutoverWindowMs()),
    groupId: m.groupId,
    destinationClusterName: m.destinationClusterName,
    sourceGroupId: m.sourceGroupId,
    sourceClusterName: m.sourceClusterName,
    createdAt: m.createdAt,
    readyAt: m.readyAt,
    cutoverRequestedAt: m.cutoverRequestedAt,
    endedAt: m.endedAt,
    errorMessage: m.errorMessage,
  };
}

const line = (d: ReturnType<typeof describe>) =>
  `${d._id}  ${d.status}${d.readyForCutover ? ' (ready for cutover)' : ''}  lag ${d.lagTimeSeconds ?? '-'}  ${d.sourceGroupId}/${d.sourceClusterName} -> ${d.groupId}/${d.destinationClusterName}${d.errorMessage ? `  ${d.errorMessage}` : ''}`;

export function registerMigrationCommands(program: Command): void {
  const migration = program.command('migration').description("the live migrations of an Atlas side's organizations");
  migration
    .command('list')
    .description("an organization's live migrations, oldest first")
    .requiredOption('--org <orgId>', 'organization id')
    .addOption(dataDirOption())
    .addOption(databaseUrlOption())
    .addOption(jsonOption())
    .action(async (o: MigrationListOptions) => {
      const now = new Date();
      const rows = (await withStore(location(o), (store) => store.liveMigrations.listMigrations(o.org))).map((m) => describe(m, now));
      print(output(o), rows, rows.map(line).join('\n') || '(no live migrations)');
    });
  migration
    .command('describe')
    .description('one live migration')
    .requiredOption('--project <projectId>', 'destination project id')
    .requiredOption('--id <liveMigrationId>', 'live migration id')
    .addOption(dataDirOption())
    .addOption(databaseUrlOption())
    .addOption(jsonOption())
    .action(async (o: MigrationDescribeOptions) => {
      const found = describe(await withStore(location(o), (store) => requireMigration(store, o.project, o.id)), new Date());
      print(output(o), found, line(found));
    });
}
