import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { CLI, PROJECT_ROOT, runCli } from '../helpers/process.js';
import { tempDir } from '../helpers/server.js';

// How the command is built and run (issue 16): the bin stays executable after `npm run build`,
// `prepare` never rebuilds a dist/ that exists and does not fail without TypeScript, and the
// command tells its version and the environment variables of serve.

const run = promisify(execFile);

describe('build, prepare and the bin', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('the bin is executable after the build', () => {
    assert.ok((fs.statSync(CLI).mode & 0o111) !== 0, `${CLI} lost its execute bit`);
  });

  it('pushlink --version prints package.json\'s version', async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
    const res = await runCli(['--version']);
    assert.deepEqual([res.code, res.stdout], [0, `${version}\n`]);
  });

  it('serve --help says every option has an environment variable', async () => {
    const res = await runCli(['serve', '--help']);
    assert.match(res.stdout, /PUSHLINK_ and the option name in capitals with _ for -/);
    assert.match(res.stdout, /--seed <file>.*\n?.*/);
  });

  it('prepare leaves an existing dist/ alone', async () => {
    const dir = tempDir();
    dirs.push(dir);
    fs.mkdirSync(path.join(dir, 'scripts'));
    fs.copyFileSync(path.join(PROJECT_ROOT, 'scripts/prepare.mjs'), path.join(dir, 'scripts/prepare.mjs'));
    fs.mkdirSync(path.join(dir, 'dist/src/cli'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'dist/src/cli/main.js'), '// built before\n');
    const { stdout, stderr } = await run(process.execPath, ['scripts/prepare.mjs'], { cwd: dir });
    assert.deepEqual([stdout, stderr], ['', '']);
    assert.equal(fs.readFileSync(path.join(dir, 'dist/src/cli/main.js'), 'utf8'), '// built before\n');
  });

  it('prepare without TypeScript (npm ci --omit=dev) succeeds and says how to build', async () => {
    const dir = tempDir();
    dirs.push(dir);
    fs.mkdirSync(path.join(dir, 'scripts'));
    fs.copyFileSync(path.join(PROJECT_ROOT, 'scripts/prepare.mjs'), path.join(dir, 'scripts/prepare.mjs'));
    const { stderr } = await run(process.execPath, ['scripts/prepare.mjs'], { cwd: dir });
    assert.match(stderr, /TypeScript is not installed \(--omit=dev\?\): nothing built/);
    assert.match(stderr, /npm ci && npm run build && npm prune --omit=dev/);
    assert.equal(fs.existsSync(path.join(dir, 'dist')), false);
  });
});
