// `npm run build`: a clean dist/ from the TypeScript sources, with the bin executable again.
// Deleting dist/ drops the execute bit npm set on the bin at install time, and tsc writes files
// 0644, so without the chmod `npx pushlink` answers "Permission denied" after every rebuild.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';

const BIN = 'dist/src/cli/main.js';
fs.rmSync('dist', { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
fs.chmodSync(BIN, 0o755);
