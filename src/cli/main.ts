#!/usr/bin/env node
import { Command } from 'commander';
import { registerControlCommands } from './commands/controls.js';
import { registerDestinationCommands } from './commands/destinations.js';
import { registerEventCommands } from './commands/events.js';
import { registerLinkCommands } from './commands/link.js';
import { registerMigrationCommands } from './commands/liveMigrations.js';
import { registerApiKeyCommands, registerOrgCommands, registerServiceAccountCommands } from './commands/orgs.js';
import { registerServeCommand } from './commands/serve.js';
import { registerSourceCommands } from './commands/source.js';
import { registerTokenCommands } from './commands/token.js';
import { cleanExitOf } from './errors.js';

// The `pushlink` command: the server and the admin commands that work on its store. This file
// only composes the command groups (cli/commands/, one file each; `--help` lists them in this
// order) and turns a clean-exit error into its message and exit code.

const program = new Command('pushlink')
  .description('An Atlas-compatible server for MongoDB live-migration links')
  .showHelpAfterError()
  .exitOverride((error) => {
    process.exit(error.exitCode);
  });

registerServeCommand(program);
registerOrgCommands(program);
registerApiKeyCommands(program);
registerServiceAccountCommands(program);
registerSourceCommands(program);
registerLinkCommands(program);
registerDestinationCommands(program);
registerMigrationCommands(program);
registerControlCommands(program);
registerEventCommands(program);
registerTokenCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const exit = cleanExitOf(error);
  if (!exit) throw error;
  process.stderr.write(`pushlink: ${exit.message}\n`);
  process.exit(exit.exitCode);
}
