import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
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

function runPass(kind: TestStoreKind, files: string[]): boolean {
  const selected = files.filter((file) => (BACK_END_ONLY[path.relative(root, file)] ?? kind) === kind);
  console.log(`# pushlink test pass: ${kind} (${selected.length} files)`);
  const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...selected], {
    stdio: 'inherit',
    env: { ...process.env, PUSHLINK_TEST_STORE: kind },
  });
  const passed = result.status === 0;
  console.log(`# pushlink test pass: ${kind} ${passed ? 'passed' : `FAILED (exit ${result.status ?? result.signal})`}`);
  return passed;
}

const files = testFiles(root);
const go = await findGo();
if (go.version) console.log(`# Go compatibility suite: ${go.version} (${go.go})`);
else console.log(`# Go compatibility suite: ${GO_REQUIRED ? 'FAILS' : 'SKIPPED'}: ${go.reason}${GO_REQUIRED ? ' (PUSHLINK_TEST_REQUIRE_GO=1 or CI=true)' : ''}`);
const results: boolean[] = [runPass('sqlite', files)];
const unavailable = await postgresUnavailableReason();
if (unavailable === undefined) {
  results.push(runPass('postgres', files));
} else if (process.env.PUSHLINK_TEST_REQUIRE_POSTGRES === '1') {
  console.log(`# pushlink test pass: postgres FAILED: ${unavailable} (PUSHLINK_TEST_REQUIRE_POSTGRES=1)`);
  results.push(false);
} else {
  console.log(`# pushlink test pass: postgres SKIPPED: ${unavailable}`);
  console.log(`# to run it, start PostgreSQL at ${TEST_DATABASE_URL} or point PUSHLINK_TEST_DATABASE_URL at a server`);
}
process.exit(results.every(Boolean) ? 0 : 1);
