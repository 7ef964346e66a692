import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { adminCall, AdminCallError } from '../adminClient.js';
import { print } from '../admin.js';
import { dataDirOption, jsonOption, output } from '../options.js';

// `pushlink fault add|list|clear` and `pushlink clock show|advance`: the running server's own
// controls for testing a client's error handling, through its admin endpoint (adminClient.ts).

interface FaultAddOptions {
  dataDir: string;
  json?: boolean;
  file?: string;
  route?: string;
  target?: string;
  org?: string;
  group?: string;
  auth?: string;
  after?: string;
  times?: string;
  probability?: string;
  seed?: string;
  status?: string;
  errorCode?: string;
  detail?: string;
  retryAfter?: string;
  latency?: string;
  migration?: string;
  failAt?: string;
  lag?: string;
}

const number = (text: string | undefined) => (text === undefined ? undefined : Number(text));

/** The rule a `fault add` gives: its --file (one rule, YAML or JSON), or its flags. */
function ruleOf(o: FaultAddOptions): Record<string, unknown> {
  if (o.file !== undefined) {
    try {
      return parseYaml(fs.readFileSync(path.resolve(o.file), 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new AdminCallError(`--file ${o.file}: ${(error as Error).message.split('\n', 1)[0]}`);
    }
  }
  const migration = o.migration ?? o.failAt ?? o.lag;
  const entries: Array<[string, unknown]> = [
    ['route', o.route],
    ['target', o.target],
    ['orgId', o.org],
    ['groupId', o.group],
    ['auth', o.auth],
    ['after', number(o.after)],
    ['times', number(o.times)],
    ['probability', number(o.probability)],
    ['seed', number(o.seed)],
    ['status', number(o.status)],
    ['errorCode', o.errorCode],
    ['detail', o.detail],
    ['retryAfter', number(o.retryAfter)],
    ['latencyMs', number(o.latency)],
    [
      'liveMigration',
      migration === undefined
        ? undefined
        : Object.fromEntries(Object.entries({ id: o.migration, failAt: o.failAt, lagTimeSeconds: number(o.lag) }).filter(([, v]) => v !== undefined)),
    ],
  ];
  return Object.fromEntries(entries.filter(([, value]) => value !== undefined));
}

type RuleView = Record<string, unknown> & { id: string; matched?: number; faulted?: number };

function describeRule(r: RuleView): string {
  const what = r.liveMigration
    ? `liveMigration ${JSON.stringify(r.liveMigration)}`
    : `${String(r.route)} →${r.status !== undefined ? ` ${String(r.status)} ${String(r.errorCode)}` : ''}${r.latencyMs !== undefined ? ` +${String(r.latencyMs)} ms` : ''}`;
  const counts = r.matched !== undefined ? ` (matched ${r.matched}, faulted ${r.faulted ?? 0})` : '';
  return `${r.id}  ${what}${counts}`;
}

export function registerControlCommands(program: Command): void {
  const fault = program.command('fault').description("a running server's fault rules (see the README: testing your client's error handling)");
  fault
    .command('add')
    .description('add a fault rule: from --file (YAML or JSON, one rule), or from the flags')
    .option('--file <file>', 'the rule, as one entry of a --faults file')
    .option('--route <route>', 'METHOD and Atlas path template, e.g. "POST /api/atlas/v2/orgs/{orgId}/liveMigrations/linkTokens"')
    .option('--target <atlas|source>', "atlas: this server's answers (default); source: the source side's calls to Atlas")
    .option('--org <orgId>', 'only calls of this org')
    .option('--group <groupId>', 'only calls of this project')
    .option('--auth <digest|bearer|linkKey>', 'only calls with this kind of credential')
    .option('--after <n>', 'let the first n matching calls through')
    .option('--times <n>', 'fault this many calls, then stop (default: every later one)')
    .option('--probability <p>', 'fault a matching call with probability p (0 < p <= 1)')
    .option('--seed <n>', 'seed of the random numbers for --probability (default 0), so a run repeats')
    .option('--status <code>', 'answer with this HTTP status')
    .option('--error-code <code>', "the answer's errorCode (default for 429, 500, 503: RATE_LIMITED, UNEXPECTED_ERROR, SERVICE_UNAVAILABLE)")
    .option('--detail <text>', "the answer's detail")
    .option('--retry-after <seconds>', 'send Retry-After')
    .option('--latency <ms>', 'answer this much later')
    .option('--migration <liveMigrationId>', 'a live-migration rule for this migration (default: every one)')
    .option('--fail-at <phase>', 'live migration: fail it at WORKING, READY_FOR_CUTOVER or CUTOVER')
    .option('--lag <seconds>', 'live migration: pin its lag (it never gets ready for cutover)')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (o: FaultAddOptions) => {
      const rule = (await adminCall(path.resolve(o.dataDir), 'POST', '/api/private/pushlink/faults', ruleOf(o))) as RuleView;
      print(output(o), rule, `added fault rule ${describeRule(rule)}`);
    });
  fault
    .command('list')
    .description('the rules, with how many calls each matched and faulted')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (o: { dataDir: string; json?: boolean }) => {
      const list = (await adminCall(path.resolve(o.dataDir), 'GET', '/api/private/pushlink/faults')) as { results: RuleView[] };
      print(output(o), list.results, list.results.length === 0 ? 'no fault rules' : list.results.map(describeRule).join('\n'));
    });
  fault
    .command('clear')
    .description('remove one rule (by id), or all')
    .argument('[ruleId]', 'the rule to remove (default: all)')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (ruleId: string | undefined, o: { dataDir: string; json?: boolean }) => {
      const answer = (await adminCall(path.resolve(o.dataDir), 'DELETE', `/api/private/pushlink/faults${ruleId ? `/${encodeURIComponent(ruleId)}` : ''}`)) as { removed: number };
      print(output(o), answer, `removed ${answer.removed} fault rule${answer.removed === 1 ? '' : 's'}`);
    });

  const clock = program.command('clock').description("a running server's clock (controllable with serve --clock controllable or --clock-rate)");
  const describeClock = (state: { now: string; offsetMs: number; rate: number; controllable: boolean }) =>
    `${state.now} (${state.controllable ? `controllable, ${Math.round(state.offsetMs / 1000)} s ahead of the wall clock, rate ${state.rate}` : 'the wall clock'})`;
  clock
    .command('show')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (o: { dataDir: string; json?: boolean }) => {
      const state = (await adminCall(path.resolve(o.dataDir), 'GET', '/api/private/pushlink/clock')) as Parameters<typeof describeClock>[0];
      print(output(o), state, describeClock(state));
    });
  clock
    .command('advance')
    .description('move the clock forward, e.g. 121h, 90m, 1d12h (every timer: tokens, nonces, clusters, jobs, the cutover window)')
    .argument('<duration>', 'how far')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (by: string, o: { dataDir: string; json?: boolean }) => {
      const state = (await adminCall(path.resolve(o.dataDir), 'POST', '/api/private/pushlink/clock/advance', { by })) as Parameters<typeof describeClock>[0];
      print(output(o), state, `clock now ${describeClock(state)}`);
    });
}
