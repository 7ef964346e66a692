import { OBJECT_ID_PATTERN } from './ids.js';

// Fault rules: what a user declares (a file, or pushlink's admin endpoint) so that pushlink
// misbehaves on demand the way Atlas sometimes does — an error answer, a slow answer, a migration
// that fails at a phase or whose lag never falls. Parsing and validation here name the field at
// fault; the decisions (which call a rule hits) are plain computations on a rule's own counters
// and seeded random numbers, so a run with the same rules and calls repeats exactly.

export class FaultRuleError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'FaultRuleError';
  }
}

/** Whose calls a rule hits: answers this server gives, or the source side's calls to Atlas. */
export type FaultTarget = 'atlas' | 'source';
/** Who is calling, as a rule may narrow it: an API key, a service account's token, the org's link key. */
export type FaultAuth = 'digest' | 'bearer' | 'linkKey';
export const MIGRATION_PHASES = ['WORKING', 'READY_FOR_CUTOVER', 'CUTOVER'] as const;
export type MigrationPhase = (typeof MIGRATION_PHASES)[number];

export interface FaultRuleSpec {
  /** `METHOD /path/{param}`, the Atlas path template; `*` for any method. */
  route?: string;
  target?: FaultTarget;
  orgId?: string;
  groupId?: string;
  auth?: FaultAuth;
  /** Let this many matching calls through first. */
  after?: number;
  /** Fault this many calls (after `after`); absent = every later one. */
  times?: number;
  /** Fault a matching call with this probability, drawn from `seed`. */
  probability?: number;
  seed?: number;
  status?: number;
  errorCode?: string;
  detail?: string;
  /** Seconds, sent as Retry-After. */
  retryAfter?: number;
  latencyMs?: number;
  /** A live migration's own faults, applied to its migration host's reports. */
  liveMigration?: { id?: string; failAt?: MigrationPhase; lagTimeSeconds?: number; errorMessage?: string };
}

export interface FaultRule extends FaultRuleSpec {
  id: string;
  target: FaultTarget;
  after: number;
}

/** What a call gets from the rule that hit it. */
export interface FaultAction {
  ruleId: string;
  /** The rule's route template (a bounded label, unlike the path). */
  route: string;
  latencyMs: number;
  error?: { status: number; errorCode: string; detail: string | undefined; retryAfter: number | undefined };
}

export interface FaultCall {
  target: FaultTarget;
  method: string;
  /** The concrete path, without the query. */
  path: string;
  auth?: FaultAuth | undefined;
  /** The caller's org, when the call is authenticated. */
  orgId?: string | undefined;
}

const SPEC_FIELDS = new Set(['route', 'target', 'orgId', 'groupId', 'auth', 'after', 'times', 'probability', 'seed', 'status', 'errorCode', 'detail', 'retryAfter', 'latencyMs', 'liveMigration']);
const MIGRATION_FIELDS = new Set(['id', 'failAt', 'lagTimeSeconds', 'errorMessage']);
const METHODS = new Set(['*', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
/** Defaults where a status has one obvious Atlas code. */
const DEFAULT_ERROR_CODES: Record<number, string> = { 429: 'RATE_LIMITED', 500: 'UNEXPECTED_ERROR', 503: 'SERVICE_UNAVAILABLE' };
export const MAX_FAULT_LATENCY_MS = 120_000;

function wholeNumber(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new FaultRuleError(field, `must be a whole number from ${min} to ${max}`);
  }
  return value;
}

function text(field: string, value: unknown, pattern?: RegExp, rule?: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 500) throw new FaultRuleError(field, 'must be a non-empty string');
  if (pattern && !pattern.test(value)) throw new FaultRuleError(field, `must be ${rule}`);
  return value;
}

function oneOf<T extends string>(field: string, value: unknown, values: readonly T[]): T {
  if (!values.includes(value as T)) throw new FaultRuleError(field, `must be one of ${values.join(', ')}`);
  return value as T;
}

/** A rule as declared, checked field by field; `at` names it in errors (e.g. `faults[2]`). */
export function parseFaultRule(input: unknown, id: string, at: string): FaultRule {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new FaultRuleError(at, 'must be an object');
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw)) if (!SPEC_FIELDS.has(key)) throw new FaultRuleError(`${at}.${key}`, 'is not a fault rule field');
  const f = (name: string) => `${at}.${name}`;
  const rule: FaultRule = { id, target: raw.target === undefined ? 'atlas' : oneOf(f('target'), raw.target, ['atlas', 'source'] as const), after: 0 };
  if (raw.route !== undefined) {
    rule.route = text(f('route'), raw.route, /^(\*|[A-Z]+) \/\S*$/, 'a method and a path template, e.g. "POST /api/atlas/v2/orgs/{orgId}/liveMigrations/linkTokens"');
    if (!METHODS.has(rule.route.split(' ', 1)[0]!)) throw new FaultRuleError(f('route'), `its method must be one of ${[...METHODS].join(', ')}`);
  }
  if (raw.orgId !== undefined) rule.orgId = text(f('orgId'), raw.orgId, OBJECT_ID_PATTERN, '24 hexadecimal digits');
  if (raw.groupId !== undefined) rule.groupId = text(f('groupId'), raw.groupId, OBJECT_ID_PATTERN, '24 hexadecimal digits');
  if (raw.auth !== undefined) rule.auth = oneOf(f('auth'), raw.auth, ['digest', 'bearer', 'linkKey'] as const);
  if (raw.after !== undefined) rule.after = wholeNumber(f('after'), raw.after, 0, 1_000_000_000);
  if (raw.times !== undefined) rule.times = wholeNumber(f('times'), raw.times, 1, 1_000_000_000);
  if (raw.probability !== undefined) {
    if (typeof raw.probability !== 'number' || !(raw.probability > 0 && raw.probability <= 1)) throw new FaultRuleError(f('probability'), 'must be a number above 0 and at most 1');
    rule.probability = raw.probability;
  }
  if (raw.seed !== undefined) rule.seed = wholeNumber(f('seed'), raw.seed, 0, 2 ** 32 - 1);
  if (raw.status !== undefined) rule.status = wholeNumber(f('status'), raw.status, 400, 599);
  if (raw.errorCode !== undefined) rule.errorCode = text(f('errorCode'), raw.errorCode, /^[A-Z][A-Z0-9_]{0,99}$/, "an Atlas errorCode in capitals, e.g. RATE_LIMITED");
  if (raw.detail !== undefined) rule.detail = text(f('detail'), raw.detail);
  if (raw.retryAfter !== undefined) rule.retryAfter = wholeNumber(f('retryAfter'), raw.retryAfter, 0, 86_400);
  if (raw.latencyMs !== undefined) rule.latencyMs = wholeNumber(f('latencyMs'), raw.latencyMs, 0, MAX_FAULT_LATENCY_MS);
  if (raw.liveMigration !== undefined) rule.liveMigration = parseMigrationFault(raw.liveMigration, f('liveMigration'));

  if (rule.liveMigration) {
    for (const name of ['route', 'status', 'latencyMs', 'auth', 'after', 'times', 'probability'] as const) {
      if (raw[name] !== undefined) throw new FaultRuleError(f(name), 'does not go with liveMigration (which shapes the migration host\'s reports)');
    }
    if (rule.target !== 'atlas') throw new FaultRuleError(f('target'), 'a liveMigration rule acts on the Atlas side');
    return rule;
  }
  if (rule.route === undefined) throw new FaultRuleError(f('route'), 'is required (or give liveMigration)');
  if (rule.status === undefined && rule.latencyMs === undefined) throw new FaultRuleError(at, 'needs status (an error answer), latencyMs (a slow answer) or both');
  if (rule.status === undefined && (rule.errorCode ?? rule.detail ?? rule.retryAfter) !== undefined) throw new FaultRuleError(f('status'), 'is required with errorCode, detail or retryAfter');
  if (rule.status !== undefined && rule.errorCode === undefined) {
    const fallback = DEFAULT_ERROR_CODES[rule.status];
    if (!fallback) throw new FaultRuleError(f('errorCode'), `is required with status ${rule.status}`);
    rule.errorCode = fallback;
  }
  if (rule.seed !== undefined && rule.probability === undefined) throw new FaultRuleError(f('seed'), 'goes with probability');
  if (rule.target === 'source' && rule.auth !== undefined) throw new FaultRuleError(f('auth'), 'the source side always calls with its link key');
  return rule;
}

function parseMigrationFault(input: unknown, at: string): NonNullable<FaultRuleSpec['liveMigration']> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new FaultRuleError(at, 'must be an object');
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw)) if (!MIGRATION_FIELDS.has(key)) throw new FaultRuleError(`${at}.${key}`, 'is not a liveMigration fault field');
  const out: NonNullable<FaultRuleSpec['liveMigration']> = {};
  if (raw.id !== undefined) out.id = text(`${at}.id`, raw.id, OBJECT_ID_PATTERN, '24 hexadecimal digits');
  if (raw.failAt !== undefined) out.failAt = oneOf(`${at}.failAt`, raw.failAt, MIGRATION_PHASES);
  if (raw.lagTimeSeconds !== undefined) out.lagTimeSeconds = wholeNumber(`${at}.lagTimeSeconds`, raw.lagTimeSeconds, 0, 31_536_000);
  if (raw.errorMessage !== undefined) out.errorMessage = text(`${at}.errorMessage`, raw.errorMessage);
  if (out.failAt === undefined && out.lagTimeSeconds === undefined) throw new FaultRuleError(at, 'needs failAt or lagTimeSeconds');
  if (out.failAt !== undefined && out.lagTimeSeconds !== undefined) throw new FaultRuleError(at, 'takes failAt or lagTimeSeconds, not both (use two rules)');
  return out;
}

/** The fields of a fault file: `faults:` and a list of rules. */
export function parseFaultFile(document: unknown, newId: () => string): FaultRule[] {
  if (document === null || document === undefined) return [];
  if (typeof document !== 'object' || Array.isArray(document)) throw new FaultRuleError('(file)', 'must be an object with a faults list');
  for (const key of Object.keys(document)) if (key !== 'faults') throw new FaultRuleError(key, 'is not a fault file field (only faults)');
  const list = (document as { faults?: unknown }).faults ?? [];
  if (!Array.isArray(list)) throw new FaultRuleError('faults', 'must be a list');
  return list.map((entry, index) => parseFaultRule(entry, newId(), `faults[${index}]`));
}

/** A path template as a pattern: `{name}` is one segment, captured by name. */
function templatePattern(template: string): RegExp {
  const source = template
    .split(/(\{[A-Za-z][A-Za-z0-9]*\})/)
    .map((part) => (/^\{[A-Za-z][A-Za-z0-9]*\}$/.test(part) ? `(?<${part.slice(1, -1)}>[^/]+)` : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}/?$`);
}

/** mulberry32: small, fast, and the same numbers from the same seed on every machine. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A rule with what it has seen: the calls it matched, the ones it faulted, its random numbers. */
export class ActiveFaultRule {
  matched = 0;
  faulted = 0;
  private readonly method: string;
  private readonly pattern: RegExp | undefined;
  private readonly random: (() => number) | undefined;

  constructor(readonly rule: FaultRule) {
    const [method, template] = rule.route ? (rule.route.split(' ', 2) as [string, string]) : ['*', undefined];
    this.method = method;
    this.pattern = template === undefined ? undefined : templatePattern(template);
    this.random = rule.probability === undefined ? undefined : seededRandom(rule.seed ?? 0);
  }

  /** Whether `call` is one this rule is about (counted or not). */
  matches(call: FaultCall): boolean {
    if (this.rule.liveMigration || !this.pattern) return false;
    if (call.target !== this.rule.target) return false;
    if (this.method !== '*' && this.method !== call.method) return false;
    const match = this.pattern.exec(call.path);
    if (!match) return false;
    const params = match.groups ?? {};
    // The call's org: its caller's (authenticated), else the one its path names. A rule held to an
    // org never hits a call whose org is not known to be that one (a token request, a probe).
    if (this.rule.orgId !== undefined && (call.orgId ?? params.orgId) !== this.rule.orgId) return false;
    if (this.rule.groupId !== undefined && params.groupId !== this.rule.groupId) return false;
    if (this.rule.auth !== undefined && call.auth !== this.rule.auth) return false;
    return true;
  }

  /** Counts a matching call and says whether this one is faulted. */
  decide(): boolean {
    this.matched += 1;
    if (this.matched <= this.rule.after) return false;
    if (this.rule.times !== undefined && this.faulted >= this.rule.times) return false;
    if (this.random && this.random() >= this.rule.probability!) return false;
    this.faulted += 1;
    return true;
  }

  action(): FaultAction {
    const { status, errorCode, detail, retryAfter } = this.rule;
    return {
      ruleId: this.rule.id,
      route: this.rule.route ?? '',
      latencyMs: this.rule.latencyMs ?? 0,
      ...(status !== undefined ? { error: { status, errorCode: errorCode!, detail, retryAfter } } : {}),
    };
  }

  view() {
    return { ...this.rule, matched: this.matched, faulted: this.faulted };
  }
}

/** What a migration host reported, as a liveMigration rule may reshape it. */
export interface ReportShape {
  status: 'WORKING' | 'FAILED' | 'COMPLETE';
  lagTimeSeconds: number | null;
  readyForCutover: boolean;
  errorMessage?: string;
}

/** The job a report is about, as far as the rules look at it. */
export interface ReportedJob {
  id: string;
  orgId: string;
  groupId: string;
  status: string;
  readyAt: string | null;
  cutoverRequestedAt: string | null;
}

/**
 * A report as the liveMigration rules make it: FAILED where the job would enter the phase a rule
 * fails it at, or still lagging where a rule pins its lag (so it never gets ready for cutover).
 */
export function shapeReport(rules: readonly FaultRule[], job: ReportedJob, report: ReportShape): { report: ReportShape; ruleId?: string } {
  for (const rule of rules) {
    const m = rule.liveMigration;
    if (!m) continue;
    if (m.id !== undefined && m.id !== job.id) continue;
    if (rule.orgId !== undefined && rule.orgId !== job.orgId) continue;
    if (rule.groupId !== undefined && rule.groupId !== job.groupId) continue;
    if (report.status === 'FAILED') return { report };
    const failed = (phase: string): ReportShape => ({
      status: 'FAILED',
      lagTimeSeconds: null,
      readyForCutover: false,
      errorMessage: m.errorMessage ?? `The migration failed during ${phase}.`,
    });
    if (m.failAt === 'WORKING' && job.status === 'NEW') return { report: failed('its initial sync'), ruleId: rule.id };
    if (m.failAt === 'READY_FOR_CUTOVER' && job.readyAt === null && report.readyForCutover) return { report: failed('its catch-up to the source'), ruleId: rule.id };
    if (m.failAt === 'CUTOVER' && job.cutoverRequestedAt !== null) return { report: failed('cutover'), ruleId: rule.id };
    if (m.lagTimeSeconds !== undefined && job.cutoverRequestedAt === null && report.status === 'WORKING') {
      return { report: { status: 'WORKING', lagTimeSeconds: m.lagTimeSeconds, readyForCutover: job.readyAt !== null }, ruleId: rule.id };
    }
  }
  return { report };
}
