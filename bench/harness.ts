import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { hostTimes, processCpuSeconds, stealPercent } from './processCpu.js';

// What every pushlink benchmark shares: its arguments, starting and stopping a server process,
// one measured autocannon run with the server's CPU time and the host's steal, and the summaries.
// Loopback only; every run is bounded by --duration.

const here = path.dirname(fileURLToPath(import.meta.url));
export const CLI = path.resolve(here, '../src/cli/main.js');
export const RAW = path.resolve(here, 'rawServer.js');

export function arg(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 && process.argv[index + 1] ? process.argv[index + 1]! : fallback;
}

export const duration = Number(arg('duration', '10'));
export const connections = Number(arg('connections', '50'));
export const warmup = Number(arg('warmup', '2'));
// Five rounds by default: on a shared host single rounds of the same code range from 35 % to 51 %
// of the baseline (2026-11-30 and 12-01), and with three rounds one bad round moves the median.
export const rounds = Number(arg('rounds', '5'));
export const databaseUrl = arg('database-url', '');

export interface Started {
  url: string;
  child: ChildProcess;
}

export function start(command: string[], env: NodeJS.ProcessEnv = {}): Promise<Started> {
  const child = spawn(process.execPath, command, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (\S+)/.exec(out);
      if (match) resolve({ url: match[1]!, child });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
}

export async function stop(started: Started): Promise<void> {
  await new Promise<void>((resolve) => {
    started.child.once('exit', () => resolve());
    started.child.kill('SIGTERM');
  });
}

export interface Measured {
  name: string;
  creates: number;
  perSecond: number;
  p99: number;
  /** Server CPU (user + system) per create, in µs; undefined without /proc. */
  cpuMicros: number | undefined;
  /** Share of the machine's time the hypervisor took during the run; undefined without /proc. */
  steal: number | undefined;
  errors: number;
  non2xx: number;
}

/**
 * One run against `server`: a warm-up, then the measured run, with the server's CPU time and the
 * host's stolen time read around it. `expectedStatuses`: besides 2xx, the statuses a run produces
 * by design (digest's 401 challenges).
 */
export async function measure(
  name: string,
  server: Started,
  options: autocannon.Options,
  requestsPerCreate = 1,
  expectedStatuses: string[] = [],
): Promise<Measured> {
  await autocannon({ ...options, duration: warmup });
  const cpuBefore = processCpuSeconds(server.child.pid!);
  const hostBefore = hostTimes();
  const result = await autocannon({ ...options, connections, duration });
  const cpuAfter = processCpuSeconds(server.child.pid!);
  const steal = stealPercent(hostBefore, hostTimes());
  const creates = result['2xx'];
  const stats = (result as unknown as { statusCodeStats: Record<string, { count: number }> }).statusCodeStats ?? {};
  const expected = expectedStatuses.reduce((sum, status) => sum + (stats[status]?.count ?? 0), 0);
  const cpuMicros = cpuBefore !== undefined && cpuAfter !== undefined && creates > 0 ? (1e6 * (cpuAfter - cpuBefore)) / creates : undefined;
  return {
    name,
    creates,
    perSecond: creates / duration,
    p99: result.latency.p99 * requestsPerCreate,
    cpuMicros,
    steal,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx - expected,
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A pushlink process under test and what a create needs: its bearer token and digest key. */
export interface Target {
  backEnd: 'SQLite' | 'PostgreSQL';
  server: Started;
  dataDir: string;
  accessToken: string;
  boot: { orgId: string; apiKey: { publicKey: string; privateKey: string } };
}

export async function startTarget(backEnd: Target['backEnd'], storeArgs: string[]): Promise<Target> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pushlink-bench-'));
  const server = await start([CLI, 'serve', '--port', '0', '--data-dir', dataDir, ...storeArgs, '--rate-limit', 'off', '--log-level', 'warn']);
  const boot = JSON.parse(fs.readFileSync(path.join(dataDir, 'bootstrap.json'), 'utf8'));
  const tokenResponse = await fetch(`${server.url}/api/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${boot.serviceAccount.clientId}:${boot.serviceAccount.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  const accessToken = ((await tokenResponse.json()) as { access_token: string }).access_token;
  return { backEnd, server, dataDir, accessToken, boot };
}

export async function stopTarget(target: Target): Promise<void> {
  await stop(target.server);
  fs.rmSync(target.dataDir, { recursive: true, force: true });
}

/** The median server CPU per create of the runs that could read it (undefined without /proc). */
export function medianCpuMicros(runs: Measured[]): number | undefined {
  const known = runs.flatMap((r) => (r.cpuMicros === undefined ? [] : [r.cpuMicros]));
  return known.length > 0 ? median(known) : undefined;
}

export const format = (value: number | undefined, digits: number, unit = '') => (value === undefined ? 'n/a' : `${value.toFixed(digits)}${unit}`);

