// `npm install` / `npm ci` run this (the `prepare` script). It builds dist/ only when there is
// none yet and TypeScript is installed, so that:
// - `npx pushlink` or a second `npm install` never deletes and rebuilds dist/ behind the user's back
//   (after changing the sources, `npm run build` rebuilds on purpose);
// - `npm ci --omit=dev` (no TypeScript) does not fail: it says how to get a build instead.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';

const BIN = 'dist/src/cli/main.js';
if (fs.existsSync(BIN)) process.exit(0);
try {
  createRequire(import.meta.url).resolve('typescript');
} catch {
  console.warn(`pushlink: ${BIN} is missing and TypeScript is not installed (--omit=dev?): nothing built.`);
  console.warn('pushlink: build with `npm ci && npm run build && npm prune --omit=dev` (README, Production install).');
  process.exit(0);
}
const npm = process.env.npm_execpath;
const result = npm
  ? spawnSync(process.execPath, [npm, 'run', 'build'], { stdio: 'inherit' })
  : spawnSync('npm', ['run', 'build'], { stdio: 'inherit', shell: process.platform === 'win32' });
process.exit(result.status ?? 1);
