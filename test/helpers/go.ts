import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from './process.js';

// The Go toolchain for the compatibility suite (test/compat/go). Without one, those tests skip and
// say why, except where Go is required (PUSHLINK_TEST_REQUIRE_GO=1, which .ci/run sets, or CI=true):
// there a missing toolchain fails them, as PUSHLINK_TEST_REQUIRE_POSTGRES does for PostgreSQL.

const execFileAsync = promisify(execFile);

export const COMPAT_GO_DIR = path.join(PROJECT_ROOT, 'test/compat/go');

export const GO_REQUIRED = process.env.PUSHLINK_TEST_REQUIRE_GO === '1' || process.env.CI === 'true';

/** PUSHLINK_GO when set (only it), else `go` on PATH, then the usual /usr/local/go install. */
function candidates(): string[] {
  return process.env.PUSHLINK_GO ? [process.env.PUSHLINK_GO] : ['go', '/usr/local/go/bin/go'];
}

let found: Promise<{ go?: string; reason?: string }> | undefined;

/** The go command and its version, or why there is none. */
export function findGo(): Promise<{ go?: string; version?: string; reason?: string }> {
  found ??= (async () => {
    const tried: string[] = [];
    for (const go of candidates()) {
      try {
        const { stdout } = await execFileAsync(go, ['version'], { timeout: 30_000 });
        return { go, version: stdout.trim() };
      } catch (error) {
        tried.push(`${go}: ${(error as Error).message.split('\n')[0]}`);
      }
    }
    return { reason: `no Go toolchain (tried ${tried.join('; ')}); install Go 1.25+ or set PUSHLINK_GO` };
  })();
  return found;
}

/**
 * The `skip` option for a suite that needs Go: false when Go is here or required (a required but
 * missing Go then fails in the suite's own check), else the reason.
 */
export async function goSkip(): Promise<string | false> {
  const { reason } = await findGo();
  if (reason === undefined || GO_REQUIRED) return false;
  return reason;
}

/** Asserts Go is here; the message says that it is required and why it is missing. */
export async function requireGo(): Promise<string> {
  const { go, reason } = await findGo();
  if (!go) throw new Error(`${reason} (required: PUSHLINK_TEST_REQUIRE_GO=1 or CI=true)`);
  return go;
}

export interface GoRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs go asynchronously (the pushlink under test is often in this very process, so the event loop
 * must keep serving it), with env added to ours. Secrets go in env, never in args.
 */
export function runGo(go: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<GoRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(go, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The Go events of `go test -json`, and the outcome of each test by "package Test/sub". */
export function goTestResults(stdout: string): Map<string, 'pass' | 'fail' | 'skip'> {
  const results = new Map<string, 'pass' | 'fail' | 'skip'>();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const event = JSON.parse(line) as { Action: string; Package: string; Test?: string };
    if (event.Test && (event.Action === 'pass' || event.Action === 'fail' || event.Action === 'skip')) {
      results.set(`${path.basename(event.Package)} ${event.Test}`, event.Action);
    }
  }
  return results;
}

/** The human-readable output of `go test -json` (its "output" events), for failure messages. */
export function goTestOutput(stdout: string): string {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => (JSON.parse(line) as { Output?: string }).Output ?? '')
    .join('');
}
