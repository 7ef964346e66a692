import { spawn, execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BootstrapCredentials } from '../../src/domain/bootstrap.js';

// Runs the real `pushlink` binary (the compiled CLI) as a child process.

export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startProcess(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; command?: string[]; timeoutMs?: number } = {},
): Promise<ServerProcess> {
  const command = options.command ?? [process.execPath, CLI];
  // Its own process group, so stop() reaches grandchildren too (npm start runs the server as one).
  const child = spawn(command[0]!, [...command.slice(1), ...args], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: PROJECT_ROOT,
    detached: true,
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`server did not start in time:\n${output}`));
    }, options.timeoutMs ?? 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /pushlink listening on (\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({
          url: match[1]!,
          child,
          output: () => output,
          stop: async (signal = 'SIGTERM') => {
            if (child.exitCode === null) process.kill(-child.pid!, signal);
            return exited;
          },
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${output}`));
    });
  });
}

const execFileAsync = promisify(execFile);

/** Runs a pushlink admin command; resolves with stdout, stderr and exit code. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

export async function runCurl(args: string[]): Promise<{ status: number; headers: string; body: string }> {
  const { stdout } = await execFileAsync('curl', ['--silent', '--show-error', '--include', '--max-time', '10', ...args]);
  // With --digest curl prints the 401 exchange first; the last response is the answer.
  const responses = stdout.split(/(?=^HTTP\/1\.1 )/m);
  const last = responses[responses.length - 1]!;
  const [headers, ...body] = last.split('\r\n\r\n');
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(headers!)![1]), headers: headers!, body: body.join('\r\n\r\n') };
}

export async function hasCurl(): Promise<boolean> {
  try {
    await execFileAsync('curl', ['--version']);
    return true;
  } catch {
    return false;
  }
}

/** The credentials a server wrote to <dataDir>/bootstrap.json on its first start. */
/** The bootstrap file of an Atlas side (which always has a service account). */
export function readBootstrap(dataDir: string): Required<BootstrapCredentials> {
  return JSON.parse(fs.readFileSync(path.join(dataDir, "bootstrap.json"), "utf8")) as Required<BootstrapCredentials>;
}
