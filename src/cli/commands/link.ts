import path from 'node:path';
import type { Command } from 'commander';
import { linkComplete } from '../linkComplete.js';
import { linkDelete, linkList, linkStatus } from '../links.js';
import { databaseUrlOption, jsonOption, output, sourceDataDirOption, storeLocation, wholeNumber, type JsonOptions, type StoreOptions } from '../options.js';
import { readTokenArgument } from '../tokenArgument.js';

// `pushlink link complete`: the source side of a live-migration link, driven over its API;
// `link list|status|delete`: the same links in the source side's store (links.ts).

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

interface LinkStoreOptions extends StoreOptions, JsonOptions {
  org: string;
}

export function registerLinkCommands(program: Command): void {
  const link = program.command('link').description('the source side of a live-migration link');
  const onSourceStore = (command: Command) => command.addOption(sourceDataDirOption()).addOption(databaseUrlOption()).addOption(jsonOption());
  onSourceStore(link.command('list').description("the source side's links, with their status")).action((o: StoreOptions & JsonOptions) =>
    linkList(storeLocation(o), output(o)),
  );
  onSourceStore(link.command('status').description("one source org's link: status, reason, last sync").requiredOption('--org <orgId>', 'source organization id')).action(
    (o: LinkStoreOptions) => linkStatus(storeLocation(o), o.org, output(o)),
  );
  onSourceStore(
    link.command('delete').description("delete a source org's link; the running source side withdraws its inventory from Atlas").requiredOption('--org <orgId>', 'source organization id'),
  ).action((o: LinkStoreOptions) => linkDelete(storeLocation(o), o.org, output(o)));
  link
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
