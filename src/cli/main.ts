#!/usr/bin/env node
import fs from 'node:fs';
import { Command } from 'commander';
import { registerControlCommands } from './commands/controls.js';
import { registerDestinationCommands } from './commands/destinations.js';
import { registerEventCommands } from './commands/events.js';
import { registerLinkCommands } from './commands/link.js';
import { registerMigrationCommands } from './commands/liveMigrations.js';
import { registerApiKeyCommands, registerOrgCommands, registerServiceAccountCommands } from './commands/orgs.js';
import { registerServeCommand } from './commands/serve.js';
import { registerResetCommand } from './commands/reset.js';
import { registerSourceCommands } from './commands/source.js';
import { registerTokenCommands } from './commands/token.js';
import { cleanExitOf } from './errors.js';

// The `pushlink` command: the server and the admin commands that work on its store. This file
// only composes the command groups (cli/commands/, one file each; `--help` lists them in this
// order) and turns a clean-exit error into its message and exit code.

/** package.json's version, read next to dist/ (the bin is dist/src/cli/main.js) as after an install. */
const VERSION = (JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const program = new Command('pushlink')
  .description('An Atlas-compatible server for MongoDB live-migration links')
  .version(VERSION, '-V, --version', 'print the pushlink version')
  .showHelpAfterError()
  .exitOverride((error) => {
    process.exit(error.exitCode);
  });

registerServeCommand(program);
registerResetCommand(program);
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
  // With --json a script reads JSON whatever happened: the error as an object, still on stderr.
  if (process.argv.includes('--json')) process.stderr.write(JSON.stringify({ error: { message: exit.message, exitCode: exit.exitCode } }) + '\n');
  else process.stderr.write(`pushlink: ${exit.message}\n`);
  process.exit(exit.exitCode);
}
