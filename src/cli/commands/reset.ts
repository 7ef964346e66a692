import path from 'node:path';
import type { Command } from 'commander';
import { dataDirOption, databaseUrlOption, jsonOption, output, type JsonOptions, type StoreOptions } from '../options.js';
import { reset } from '../reset.js';

// `pushlink reset`: empty a data dir (reset.ts says what goes and what stays).

interface ResetOptions extends StoreOptions, JsonOptions {
  yes: boolean;
}

export function registerResetCommand(program: Command): void {
  program
    .command('reset')
    .description("empty a data dir's state (database, bootstrap.json; tls/ is kept) so the next start begins afresh; refuses while a server runs on it")
    .option('--yes', 'really delete (without it, says what would be deleted)', false)
    .addOption(dataDirOption())
    .addOption(databaseUrlOption())
    .addOption(jsonOption())
    .action((o: ResetOptions) => reset(path.resolve(o.dataDir), { yes: o.yes, databaseUrl: o.databaseUrl ?? process.env.PUSHLINK_DATABASE_URL }, output(o)));
}
