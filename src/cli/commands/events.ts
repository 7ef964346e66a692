import type { Command } from 'commander';
import { adminCall } from '../adminClient.js';
import { print, withStore } from '../admin.js';
import { CliError } from '../errors.js';
import { dataDirOption, databaseUrlOption, jsonOption, output, storeLocation as location, type JsonOptions, type StoreOptions } from '../options.js';
import type { EventRecord } from '../../store/events.js';

// `pushlink events`: the audit trail (Atlas's Events API) read from the store, also while the
// server runs: an org's events and its projects' (or one project's), newest first. "Now" is the
// running server's clock when its admin.json is there (a controllable clock may be ahead), so
// the command shows what the API shows.

interface EventsOptions extends StoreOptions, JsonOptions {
  org: string;
  project?: string;
  type?: string[];
  since?: string;
  limit: string;
}

async function serverNow(dataDir: string): Promise<string> {
  // No admin.json (no server), or a server that does not answer: the wall clock.
  const clock = (await adminCall(dataDir, 'GET', '/api/private/pushlink/clock').catch(() => undefined)) as { now?: string } | undefined;
  return clock?.now ?? new Date().toISOString();
}

function by(e: EventRecord): string {
  const a = e.actor;
  const who = a === null ? 'pushlink' : a.publicKey ?? a.clientId ?? (a.localAdmin ? 'local-admin' : '?');
  return e.remoteAddress ? `${who}@${e.remoteAddress}` : who;
}

const line = (e: EventRecord) =>
  `${e.created}  ${e.eventTypeName.padEnd(36)} ${e.groupId ?? '(org)'.padEnd(24)}  ${by(e)}${Object.keys(e.fields).length ? '  ' + Object.entries(e.fields).map(([k, v]) => `${k}=${String(v)}`).join(' ') : ''}`;

export function registerEventCommands(program: Command): void {
  program
    .command('events')
    .description("an organization's audit trail (as the Events API shows it), newest first")
    .requiredOption('--org <orgId>', 'organization id')
    .option('--project <groupId>', "only this project's events")
    .option('--type <eventTypeName...>', 'only these event types')
    .option('--since <instant>', 'only events at or after this ISO 8601 instant')
    .option('--limit <n>', 'at most this many', '100')
    .addOption(dataDirOption())
    .addOption(databaseUrlOption())
    .addOption(jsonOption())
    .action(async (o: EventsOptions) => {
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new CliError('--limit is a whole number from 1 to 10000');
      const since = o.since === undefined ? undefined : Date.parse(o.since);
      if (since !== undefined && !Number.isFinite(since)) throw new CliError(`--since takes an ISO 8601 instant, got "${o.since}"`);
      const where = location(o);
      const now = await serverNow(where.dataDir);
      const { results } = await withStore(where, (store) =>
        store.events.listEvents({
          orgId: o.org,
          ...(o.project !== undefined ? { groupId: o.project } : {}),
          ...(o.type ? { eventTypes: o.type } : {}),
          ...(since !== undefined ? { minDate: new Date(since).toISOString() } : {}),
          now,
          skip: 0,
          limit,
        }),
      );
      print(output(o), results, results.map(line).join('\n') || '(no events)');
    });
}
