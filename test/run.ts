import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findGo, GO_REQUIRED } from './helpers/go.js';
import { postgresUnavailableReason, TEST_DATABASE_URL } from './helpers/postgres.js';
import type { TestStoreKind } from './helpers/store.js';

// `npm test` after the build: the whole suite once per back end (PUSHLINK_TEST_STORE), with
// Node's test runner. The PostgreSQL pass is skipped, saying why, when no server answers at
// PUSHLINK_TEST_DATABASE_URL, unless PUSHLINK_TEST_REQUIRE_POSTGRES=1 (CI), where that fails.
// Likewise the official-client suite (test/compat) skips without a Go toolchain, and fails
// without one when PUSHLINK_TEST_REQUIRE_GO=1 (.ci/run) or CI=true; this says which up front.

const root = path.dirname(fileURLToPath(import.meta.url));

/** Test files about one back end only; every other file runs in both passes. */
const BACK_END_ONLY: Record<string, TestStoreKind> = {
  'store/sqlite.test.js': 'sqlite',
  'store/postgres.test.js': 'postgres',
  'store/multiInstance.test.js': 'postgres',
  'store/liveMigrationsMultiInstance.test.js': 'postgres',
};

function testFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) return testFiles(file);
      return entry.name.endsWith('.test.js') ? [file] : [];
    })
    .sort();
}

/** What one pass counted, read off the runner's closing `# pass N` … lines. */
interface PassResult {
  kind: TestStoreKind;
  passed: boolean;
  counts: Record<'tests' | 'pass' | 'fail' | 'skipped' | 'todo' | 'cancelled', number>;
}
const COUNTERS = ['tests', 'pass', 'fail', 'skipped', 'todo', 'cancelled'] as const;

function runPass(kind: TestStoreKind, files: string[]): PassResult {
  const selected = files.filter((file) => (BACK_END_ONLY[path.relative(root, file)] ?? kind) === kind);
  console.log(`# pushlink test pass: ${kind} (${selected.length} files)`);
  // The runner's usual report on stdout (spec on a terminal, TAP otherwise, as Node picks), and a
  // TAP copy in a file, whose closing `# pass N` … lines give the totals.
  const counts = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as PassResult['counts'];
  const tapFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pushlink-run-')), `${kind}.tap`);
  const reporters = ['--test-reporter', process.stdout.isTTY ? 'spec' : 'tap', '--test-reporter-destination', 'stdout', '--test-reporter', 'tap', '--test-reporter-destination', tapFile];
  const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...reporters, ...selected], {
    stdio: 'inherit',
    env: { ...process.env, PUSHLINK_TEST_STORE: kind },
  });
  const tap = fs.existsSync(tapFile) ? fs.readFileSync(tapFile, 'utf8') : '';
  fs.rmSync(path.dirname(tapFile), { recursive: true, force: true });
  for (const counter of COUNTERS) {
    const matches = [...tap.matchAll(new RegExp(`^# ${counter} (\\d+)$`, 'gm'))];
    counts[counter] = Number(matches.at(-1)?.[1] ?? 0);
  }
  const passed = result.status === 0;
  console.log(`# pushlink test pass: ${kind} ${passed ? 'passed' : `FAILED (exit ${result.status ?? result.signal})`}`);
  return { kind, passed, counts };
}

/** One closing line: each pass's totals and the sum, so the end of a long log says it all. */
function summary(results: PassResult[], skippedPasses: string[]): string {
  const line = (c: PassResult['counts']) => `${c.pass} passed, ${c.fail} failed, ${c.skipped} skipped, ${c.cancelled} cancelled, ${c.todo} todo`;
  const total = Object.fromEntries(COUNTERS.map((k) => [k, results.reduce((sum, r) => sum + r.counts[k], 0)])) as PassResult['counts'];
  const passes = results.map((r) => `${r.kind}: ${line(r.counts)}${r.passed ? '' : ' (FAILED)'}`);
  return `# pushlink tests: ${[...passes, ...skippedPasses].join('; ')}; overall: ${line(total)} — ${results.every((r) => r.passed) ? 'PASSED' : 'FAILED'}`;
}

// PUSHLINK_TEST_ONLY=<text>: only the test files whose path (under dist/test) contains it, e.g.
// `PUSHLINK_TEST_ONLY=cli/ node dist/test/run.js`: both passes and the totals, for part of the suite.
const only = process.env.PUSHLINK_TEST_ONLY;
const files = testFiles(root).filter((file) => only === undefined || path.relative(root, file).includes(only));
const go = await findGo();
if (go.version) console.log(`# Go compatibility suite: ${go.version} (${go.go})`);
else console.log(`# Go compatibility suite: ${GO_REQUIRED ? 'FAILS' : 'SKIPPED'}: ${go.reason}${GO_REQUIRED ? ' (PUSHLINK_TEST_REQUIRE_GO=1 or CI=true)' : ''}`);
const results: PassResult[] = [runPass('sqlite', files)];
const skippedPasses: string[] = [];
let failed = false;
const unavailable = await postgresUnavailableReason();
if (unavailable === undefined) {
  results.push(runPass('postgres', files));
} else if (process.env.PUSHLINK_TEST_REQUIRE_POSTGRES === '1') {
  console.log(`# pushlink test pass: postgres FAILED: ${unavailable} (PUSHLINK_TEST_REQUIRE_POSTGRES=1)`);
  skippedPasses.push('postgres: FAILED, no server');
  failed = true;
} else {
  console.log(`# pushlink test pass: postgres SKIPPED: ${unavailable}`);
  console.log(`# to run it, start PostgreSQL at ${TEST_DATABASE_URL} or point PUSHLINK_TEST_DATABASE_URL at a server`);
  skippedPasses.push('postgres: pass skipped, no server');
}
failed ||= !results.every((r) => r.passed);
console.log(summary(results, skippedPasses).replace(/PASSED$/, failed ? 'FAILED' : 'PASSED'));
process.exit(failed ? 1 : 0);
