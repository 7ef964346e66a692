import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { PROJECT_ROOT } from '../helpers/process.js';
import { tempDir } from '../helpers/server.js';
import { TEST_STORE } from '../helpers/store.js';

// README.md, pasted: every ```sh block runs as written, in order, in one bash from a fresh copy
// of the repository root (this checkout's dist/ and node_modules, linked; empty data dirs), as a
// new user pastes them into one terminal. Blocks that cannot run here say so in their fence,
// ```sh skip-test <why>, and the test lists them with the reason. The README's fixed ports
// become free ones, so the run never meets another server; nothing else is changed.

const run = promisify(execFile);
const README = path.join(PROJECT_ROOT, 'README.md');
const RUN_TIMEOUT_MS = 150_000;

export interface ReadmeBlock {
  line: number;
  code: string;
  /** Why the block is not run; undefined for a block the test runs. */
  skip?: string;
}

/** The README's shell blocks (```sh, ```bash, ```shell), with their skip markers. */
export function shellBlocks(markdown: string): ReadmeBlock[] {
  const blocks: ReadmeBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(sh|bash|shell)(?:\s+(.*))?$/.exec(lines[i]!);
    if (!fence) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]!);
    const info = fence[2]?.trim() ?? '';
    const skip = /^skip-test(?:\s+(.*))?$/.exec(info);
    if (info !== '' && !skip) throw new Error(`README.md:${start + 1}: unknown fence info "${info}" (only skip-test <why>)`);
    blocks.push({ line: start + 1, code: body.join('\n'), ...(skip ? { skip: skip[1]?.trim() ?? '' } : {}) });
  }
  return blocks;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function missingTools(): Promise<string | undefined> {
  if (TEST_STORE === 'postgres') return 'the README runs on SQLite, as a new user does; the SQLite pass runs its blocks';
  for (const tool of ['curl', 'jq', 'bash', 'npm']) {
    try {
      await run(tool, ['--version']);
    } catch {
      return `${tool} is not installed (the README uses curl, jq, bash and npm)`;
    }
  }
  return undefined;
}

describe('README.md shell blocks', { skip: await missingTools() }, () => {
  const blocks = shellBlocks(fs.readFileSync(README, 'utf8'));
  let dir: string;
  let output = '';
  let exitCode: number | null = null;

  before(async () => {
    dir = tempDir('pushlink-readme-');
    for (const linked of ['dist', 'node_modules', 'docs', 'scripts']) fs.symlinkSync(path.join(PROJECT_ROOT, linked), path.join(dir, linked));
    fs.copyFileSync(path.join(PROJECT_ROOT, 'package.json'), path.join(dir, 'package.json'));
    // Every fixed port the blocks name (127.0.0.1:N, --port N) becomes a free one, 8080 included.
    const runnable = blocks.filter((b) => b.skip === undefined);
    const FIXED_PORT = /(127\.0\.0\.1:|--port )(\d{4,5})\b/g;
    const ports = new Map<string, number>([['8080', await freePort()]]);
    for (const b of runnable) for (const m of b.code.matchAll(FIXED_PORT)) if (!ports.has(m[2]!)) ports.set(m[2]!, await freePort());
    const port = (text: string) => text.replace(FIXED_PORT, (_m, before: string, fixed: string) => `${before}${ports.get(fixed)}`);
    // One script, as pasted: each block announced first, so a failure names its block.
    const script = ['set -eo pipefail']
      .concat(runnable.map((b) => `echo "### README.md:${b.line}"\n${port(b.code)}`))
      .concat(['echo "### README done"'])
      .join('\n');
    // A new user's environment: no PUSHLINK_* setting of the developer's (a database URL, a data
    // dir), but for `npm start`, which serves on the default port: PUSHLINK_PORT is that block's 8080.
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PUSHLINK_')));
    const shell = spawn('bash', ['-c', script], {
      cwd: dir,
      env: { ...env, PUSHLINK_PORT: String(ports.get('8080')) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    shell.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    shell.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => process.kill(-shell.pid!, 'SIGKILL'), RUN_TIMEOUT_MS);
    exitCode = await new Promise<number | null>((resolve) => shell.once('exit', (code) => resolve(code)));
    clearTimeout(timer);
    // The servers the README left running (npm start &) are in the shell's process group.
    try {
      process.kill(-shell.pid!, 'SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      process.kill(-shell.pid!, 'SIGKILL');
    } catch {
      // the group is gone: every server stopped
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('marks every block it does not run, with the reason', () => {
    const skipped = blocks.filter((b) => b.skip !== undefined);
    for (const b of skipped) assert.ok(b.skip!.length > 0, `README.md:${b.line}: skip-test needs a reason`);
    const ran = blocks.length - skipped.length;
    console.log(`# README.md: ${blocks.length} shell blocks, ${ran} run, ${skipped.length} skipped:`);
    for (const b of skipped) console.log(`#   README.md:${b.line}: ${b.skip}`);
    assert.ok(ran >= 10, `only ${ran} blocks run`);
  });

  it('runs every other block as written, in order, to the end', () => {
    assert.equal(exitCode, 0, `the README stopped at the last block announced:\n${output}`);
    assert.match(output, /### README done/);
  });

  it('does what the README says they do', () => {
    assert.match(output, /^HTTP\/1\.1 201 Created/m, 'the quick start creates a link-token');
    assert.match(output, /^0\.1\.0$|^\d+\.\d+\.\d+$/m, '--version prints the version');
    assert.match(output, /^Organization link successfully created\. Status: SYNCED$/m);
    assert.match(output, /\{"status":"SYNCED"\}/, 'the source answers the link status');
    assert.match(output, /^[a-f0-9]{24} +→ Atlas org [a-f0-9]{24} "pushlink" +SYNCED$/m, 'link status reads the same from the store');
    assert.match(output, /^[a-f0-9]{24} SYNCED$/m, 'link list --json');
    assert.match(output, /^[a-f0-9]{24} +Payments +\(1 deployments, 1 migration hosts\)$/m, 'source project list');
    assert.match(output, /"name" : "Payments"/, 'availableProjects lists the source project');
    assert.deepEqual(output.match(/^204$/gm), ['204', '204'], 'both deletes answer 204');
    assert.match(output, /^link-token created$/m, 'the seeded CI server takes the seed file\'s key');
    assert.match(output, /^project destination$/m, 'and serves its project');
    assert.match(output, /^reset .*data-ci: deleted /m);
  });
});
