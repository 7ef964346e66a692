import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// npm run fuzz -- --runs 100000 [--seconds 600]: the fuzz properties of fuzz.test.ts with a long budget.

const args = process.argv.slice(2);
const value = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const runs = value('runs', '100000');
const seconds = value('seconds', '3600');
if (!/^\d+$/.test(runs) || !/^\d+$/.test(seconds)) {
  process.stderr.write('usage: npm run fuzz -- --runs N [--seconds S]\n');
  process.exit(2);
}
const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fuzz.test.js');
const result = spawnSync(process.execPath, ['--test', file], {
  stdio: 'inherit',
  env: { ...process.env, PUSHLINK_FUZZ_RUNS: runs, PUSHLINK_FUZZ_SECONDS: seconds },
});
process.exit(result.status ?? 1);
