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

/** With --json, a script reads JSON whatever happened: every error as one JSON object on stderr. */
const JSON_ERRORS = process.argv.includes('--json');
const jsonError = (message: string, exitCode: number) => JSON.stringify({ error: { message, exitCode } }) + '\n';

const program = new Command('pushlink')
  .description('An Atlas-compatible server for MongoDB live-migration links')
  .version(VERSION, '-V, --version', 'print the pushlink version')
  .showHelpAfterError()
  // Commander's own refusals (a missing or unknown option) too; the help it adds is left out then.
  .configureOutput(
    JSON_ERRORS
      ? { outputError: (text) => process.stderr.write(jsonError(text.trim().replace(/^error: /, ''), 1)), writeErr: () => undefined }
      : {},
  )
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
  if (JSON_ERRORS) process.stderr.write(jsonError(exit.message, exit.exitCode));
  else process.stderr.write(`pushlink: ${exit.message}\n`);
  process.exit(exit.exitCode);
}
