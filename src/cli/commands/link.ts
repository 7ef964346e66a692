import path from 'node:path';
import type { Command } from 'commander';
import { linkComplete } from '../linkComplete.js';
import { jsonOption, output, sourceDataDirOption, wholeNumber, type JsonOptions } from '../options.js';
import { readTokenArgument } from '../tokenArgument.js';

// `pushlink link complete`: the source side of a live-migration link, driven over its API.

interface LinkCompleteCommandOptions extends JsonOptions {
  token: string;
  sourceUrl: string;
  ca?: string;
  org?: string;
  publicKey?: string;
  privateKey?: string;
  dataDir: string;
  /** Seconds. */
  timeout: number;
}

export function registerLinkCommands(program: Command): void {
  program
    .command('link')
    .description('the source side of a live-migration link')
    .command('complete')
    .description(
      'paste a link-token into a source side (as a Cloud Manager user would) and print the status; exit code 0 when SYNCED, 2 when NOT_SYNCED, 1 on error',
    )
    .requiredOption('--token <linkToken>', 'the link-token from Create One Link-Token, or - to read it from standard input')
    .option('--source-url <url>', 'the source side', 'http://127.0.0.1:8081')
    .option('--ca <file>', 'trust this CA (PEM) for an https --source-url')
    .option('--org <orgId>', 'source organization id (default: from the bootstrap file)')
    .option('--public-key <key>', 'source API key (default: from the bootstrap file)')
    .option('--private-key <key>', 'source API private key (default: from the bootstrap file)')
    .addOption(sourceDataDirOption())
    .option('--timeout <seconds>', 'give up after this long', wholeNumber('--timeout'), 30)
    .addOption(jsonOption())
    .action(async (o: LinkCompleteCommandOptions) => {
      const linked = await linkComplete(
        {
          token: await readTokenArgument(o.token),
          sourceUrl: o.sourceUrl,
          orgId: o.org,
          publicKey: o.publicKey,
          privateKey: o.privateKey,
          dataDir: path.resolve(o.dataDir),
          timeoutMs: o.timeout * 1000,
          ca: o.ca,
        },
        output(o),
      );
      // Linked, but the source side has not reached Atlas: a script can tell this from an error (1).
      if (linked.status === 'NOT_SYNCED') process.exitCode = 2;
    });
}
