import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { scratchDatabase } from './scratchDatabase.js';

// npm run soak -- --minutes N [--rate 200] [--orgs 10] [--database-url postgres://…]
// A steady mixed load on one pushlink process (loopback only): link-token creates and rotations,
// deletes, org lists by digest, OAuth token requests and availableProjects, at a fixed rate. Every
// 10 s it prints the rate achieved, errors and the server's RSS; at the end it fails (exit 1) on any
// error or when RSS grew by more than a quarter (+ 16 MiB) from the first sample after warm-up.
// With --database-url the server runs on PostgreSQL, in a scratch database made on that server for
// the run and dropped after it; without, on SQLite in a temporary data dir.

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(here, '../src/cli/main.js');
const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
};
const minutes = arg('minutes', 5);
const rate = arg('rate', 200);
const orgCount = arg('orgs', 10);
const databaseUrlIndex = args.indexOf('--database-url');
const databaseServerUrl = databaseUrlIndex >= 0 ? args[databaseUrlIndex + 1] : undefined;
if (databaseUrlIndex >= 0 && !databaseServerUrl) throw new Error('--database-url needs a postgres:// URL');
const SAMPLE_MS = 10_000;
const WARMUP_MS = Math.min(60_000, (minutes * 60_000) / 5);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const md5 = (s: string) => crypto.createHash('md5').update(s).digest('hex');

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function call(base: string, method: string, target: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(target, base), { method, headers, agent, timeout: 10_000 }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (data += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

async function digest(base: string, method: string, target: string, publicKey: string, privateKey: string): Promise<Reply> {
  const headers = { accept: 'application/vnd.atlas.2023-01-01+json' };
  const first = await call(base, method, target, headers);
  const nonce = /nonce="([^"]+)"/.exec(String(first.headers['www-authenticate']))?.[1];
  if (first.status !== 401 || !nonce) return first;
  const cnonce = crypto.randomBytes(8).toString('hex');
  const response = md5(`${md5(`${publicKey}:MMS Public API:${privateKey}`)}:${nonce}:00000001:${cnonce}:auth:${md5(`${method}:${target}`)}`);
  return call(base, method, target, {
    ...headers,
    authorization: `Digest username="${publicKey}", realm="MMS Public API", nonce="${nonce}", uri="${target}", response="${response}", algorithm="MD5", qop=auth, nc=00000001, cnonce="${cnonce}"`,
  });
}

function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

async function heapUsedMiB(base: string): Promise<number> {
  const reply = await call(base, 'GET', '/metrics', {});
  const match = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(reply.body);
  return match ? Number(match[1]) / 1024 / 1024 : NaN;
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pushlink-soak-'));
  const database = databaseServerUrl === undefined ? undefined : await scratchDatabase(databaseServerUrl);
  const storeArgs = ['--data-dir', dataDir, ...(database ? ['--database-url', database.url] : [])];
  const run = (cliArgs: string[]) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...cliArgs, ...storeArgs, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (c) => (out += c));
      child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`pushlink ${cliArgs.join(' ')} exited ${code}`))));
    });
  const orgs: Array<{ id: string; key: { publicKey: string; privateKey: string }; sa: { clientId: string; clientSecret: string }; token?: string }> = [];
  for (let i = 0; i < orgCount; i++) {
    const org = JSON.parse(await run(['org', 'create', '--name', `Soak ${i}`]));
    const key = JSON.parse(await run(['apikey', 'create', '--org', org.id, '--role', 'ORG_OWNER']));
    const sa = JSON.parse(await run(['service-account', 'create', '--org', org.id, '--role', 'ORG_OWNER']));
    orgs.push({ id: org.id, key, sa });
  }
  const server = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...storeArgs, '--rate-limit', 'off', '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const base = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (c) => {
      out += c;
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    server.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  const cleanUp = async () => {
    agent.destroy();
    await database?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  const counts = { ops: 0, errors: 0 };
  let started = Date.now();
  let stopping = false;
  // A server that dies mid-run is the soak's finding, said in one line rather than as a stack trace.
  let serverRunning = true;
  server.once('exit', (code, signal) => {
    serverRunning = false;
    if (stopping) return;
    console.log(`\nsoak: FAILED: the server exited (${signal ?? `code ${code}`}) after ${Math.round((Date.now() - started) / 1000)} s, ${counts.ops} operations, ${counts.errors} errors`);
    void cleanUp().finally(() => process.exit(1));
  });

  const errorsByKind = new Map<string, number>();
  const fail = (kind: string) => {
    counts.errors++;
    errorsByKind.set(kind, (errorsByKind.get(kind) ?? 0) + 1);
  };
  const expect = (kind: string, statuses: number[]) => (reply: Reply) => {
    if (!statuses.includes(reply.status)) fail(`${kind} → ${reply.status}`);
  };
  const token = async (org: (typeof orgs)[number]) => {
    const reply = await call(base, 'POST', '/api/oauth/token', {
      authorization: `Basic ${Buffer.from(`${org.sa.clientId}:${org.sa.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    }, 'grant_type=client_credentials');
    expect('token', [200])(reply);
    if (reply.status === 200) org.token = JSON.parse(reply.body).access_token;
  };
  for (const org of orgs) await token(org);

  const operations: Array<[string, number, (org: (typeof orgs)[number]) => Promise<void>]> = [
    ['create', 35, async (org) => {
      const reply = await call(base, 'POST', `/api/atlas/v2/orgs/${org.id}/liveMigrations/linkTokens`, {
        authorization: `Bearer ${org.token}`, accept: 'application/vnd.atlas.2023-01-01+json', 'content-type': 'application/json',
      }, '{"accessListIps":["127.0.0.1","10.0.0.0/8"]}');
      expect('create', [201])(reply);
    }],
    ['delete', 10, async (org) => {
      const reply = await call(base, 'DELETE', `/api/atlas/v2/orgs/${org.id}/liveMigrations/linkTokens`, {
        authorization: `Bearer ${org.token}`, accept: 'application/vnd.atlas.2023-01-01+json',
      });
      expect('delete', [204, 404])(reply);
    }],
    ['list orgs (digest)', 25, async (org) => expect('list', [200])(await digest(base, 'GET', '/api/atlas/v2/orgs', org.key.publicKey, org.key.privateKey))],
    ['availableProjects', 20, async (org) => {
      expect('availableProjects', [200])(await call(base, 'GET', `/api/atlas/v2/orgs/${org.id}/liveMigrations/availableProjects`, {
        authorization: `Bearer ${org.token}`, accept: 'application/vnd.atlas.2023-01-01+json',
      }));
    }],
    ['token', 10, token],
  ];
  const weights = operations.reduce((n, [, w]) => n + w, 0);
  const pick = () => {
    let r = Math.random() * weights;
    for (const op of operations) if ((r -= op[1]) < 0) return op;
    return operations[0]!;
  };

  console.log(`# soak: ${minutes} min at ${rate} ops/s over ${orgCount} orgs on ${database ? 'PostgreSQL' : 'SQLite'}, server pid ${server.pid}, ${base}`);
  console.log('| t (s) | ops/s | errors | RSS MiB | JS heap used MiB |');
  console.log('|---:|---:|---:|---:|---:|');
  started = Date.now();
  const endAt = started + minutes * 60_000;
  let inFlight = 0;
  let lastOps = 0;
  let baseline: number | undefined;
  const samples: number[] = [];
  const ticker = setInterval(() => {
    for (let i = 0; i < rate / 20; i++) {
      if (inFlight >= 256) {
        fail('backlog (server too slow for the rate)');
        continue;
      }
      const [, , op] = pick();
      const org = orgs[Math.floor(Math.random() * orgs.length)]!;
      inFlight++;
      op(org)
        .catch((error: Error) => fail(`transport: ${error.message}`))
        .finally(() => {
          inFlight--;
          counts.ops++;
        });
    }
  }, 50);
  await new Promise<void>((resolve) => {
    const sampler = setInterval(async () => {
      const rss = rssMiB(server.pid!);
      samples.push(rss);
      const elapsed = Date.now() - started;
      if (baseline === undefined && elapsed >= WARMUP_MS) baseline = rss;
      // The server's own view of its JS heap (from /metrics): RSS moves with GC and the allocator,
      // a leak shows here first.
      const heap = await heapUsedMiB(base).catch(() => NaN);
      console.log(`| ${Math.round(elapsed / 1000)} | ${((counts.ops - lastOps) / (SAMPLE_MS / 1000)).toFixed(0)} | ${counts.errors} | ${rss.toFixed(1)} | ${heap.toFixed(1)} |`);
      lastOps = counts.ops;
      if (Date.now() >= endAt) {
        clearInterval(sampler);
        resolve();
      }
    }, SAMPLE_MS);
  });
  clearInterval(ticker);
  while (inFlight > 0) await new Promise((r) => setTimeout(r, 50));
  stopping = true;
  if (serverRunning) {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
  await cleanUp();

  const end = samples[samples.length - 1]!;
  const start = baseline ?? samples[0]!;
  const flat = end <= start * 1.25 + 16;
  console.log('');
  console.log(`soak: ${minutes} min, ${counts.ops} operations, ${counts.errors} errors; RSS after warm-up ${start.toFixed(1)} MiB, at the end ${end.toFixed(1)} MiB, max ${Math.max(...samples).toFixed(1)} MiB: ${flat ? 'flat' : 'GREW'}`);
  for (const [kind, n] of errorsByKind) console.log(`  error ${kind}: ${n}`);
  process.exit(counts.errors === 0 && flat ? 0 : 1);
}

await main();
