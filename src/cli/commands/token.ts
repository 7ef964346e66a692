import path from 'node:path';
import type { Command } from 'commander';
import { parseDatabaseUrl } from '../../configValues.js';
import { jsonOption, output, type JsonOptions } from '../options.js';
import { readTokenArgument } from '../tokenArgument.js';
import { tokenInspect } from '../tokenInspect.js';

// `pushlink token inspect`: a link-token decoded, and checked against a store when one is named.

interface TokenInspectOptions extends JsonOptions {
  /** No default: without --data-dir or --database-url the token is only decoded. */
  dataDir?: string;
  databaseUrl?: string;
}

export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('link-tokens');
  token
    .command('inspect')
    .description('decode a link-token (private key masked); with --data-dir or --database-url, say whether its key is current, superseded or deleted')
    .argument('<token>', 'the link-token, or - to read it from standard input')
    .option('--data-dir <dir>', "check the token's key against this server data dir")
    .option('--database-url <url>', "check the token's key against this PostgreSQL database")
    .addOption(jsonOption())
    .action(async (argument: string, o: TokenInspectOptions) => {
      const text = await readTokenArgument(argument);
      const store =
        o.dataDir === undefined && o.databaseUrl === undefined
          ? undefined
          : { dataDir: path.resolve(o.dataDir ?? '.'), databaseUrl: parseDatabaseUrl(o.databaseUrl) };
      await tokenInspect(text, { store }, output(o));
    });
}
