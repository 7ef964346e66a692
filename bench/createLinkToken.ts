import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

// npm run bench [-- --duration 10 --connections 50 --rounds 3]
// Measures Create One Link-Token on pushlink (bearer and digest) beside a raw node:http POST
// baseline measured in the same run, each server in its own process, autocannon in this one.
// Loopback only; every run is bounded by --duration.

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(here, '../src/cli/main.js');
const RAW = path.resolve(here, 'rawServer.js');

function arg(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 && process.argv[index + 1] ? process.argv[index + 1]! : fallback;
}

const duration = Number(arg('duration', '10'));
const connections = Number(arg('connections', '50'));
const warmup = Number(arg('warmup', '2'));
const rounds = Number(arg('rounds', '3'));

interface Started {
  url: string;
  child: ChildProcess;
}

function start(command: string[], env: NodeJS.ProcessEnv = {}): Promise<Started> {
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

async function stop(started: Started): Promise<void> {
  await new Promise<void>((resolve) => {
    started.child.once('exit', () => resolve());
    started.child.kill('SIGTERM');
  });
}

interface Measured {
  name: string;
  creates: number;
  perSecond: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** `expectedStatuses`: besides 2xx, the statuses a run produces by design (digest's 401 challenges). */
async function measure(name: string, options: autocannon.Options, requestsPerCreate = 1, expectedStatuses: string[] = []): Promise<Measured> {
  await autocannon({ ...options, duration: warmup });
  const result = await autocannon({ ...options, connections, duration });
  const creates = result['2xx'];
  const stats = (result as unknown as { statusCodeStats: Record<string, { count: number }> }).statusCodeStats ?? {};
  const expected = expectedStatuses.reduce((sum, status) => sum + (stats[status]?.count ?? 0), 0);
  return {
    name,
    creates,
    perSecond: creates / duration,
    p99: result.latency.p99 * requestsPerCreate,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx - expected,
  };
}

const body = JSON.stringify({ accessListIps: ['10.0.0.1', '192.168.1.0/24'] });
const md5 = (s: string) => crypto.createHash('md5').update(s).digest('hex');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  console.log(
    `# Create One Link-Token: ${connections} connections, ${rounds} rounds of ${duration}s runs (+${warmup}s warm-up each), ` +
      `${os.cpus().length} CPUs, Node ${process.version}`,
  );
  console.log('# Each round measures the raw baseline and pushlink back to back, so a slower or faster machine moment');
  console.log('# affects both; the ratio reported is the median over rounds.');

  const raw = await start([RAW]);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pushlink-bench-'));
  const pushlink = await start([CLI, 'serve', '--port', '0', '--data-dir', dataDir, '--rate-limit', 'off', '--log-level', 'warn']);
  const rows: Array<{ round: number; raw: Measured; bearer: Measured; digest: Measured }> = [];
  try {
    const boot = JSON.parse(fs.readFileSync(path.join(dataDir, 'bootstrap.json'), 'utf8'));
    const tokenResponse = await fetch(`${pushlink.url}/api/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${boot.serviceAccount.clientId}:${boot.serviceAccount.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    const accessToken = ((await tokenResponse.json()) as { access_token: string }).access_token;
    const linkPath = `/api/atlas/v2/orgs/${boot.orgId}/liveMigrations/linkTokens`;
    const headers = { accept: 'application/vnd.atlas.2023-01-01+json', 'content-type': 'application/vnd.atlas.2023-01-01+json' };
    // Digest as the Go SDK does it: an unauthenticated request, the 401 challenge, the signed retry.
    const ha1 = md5(`${boot.apiKey.publicKey}:MMS Public API:${boot.apiKey.privateKey}`);
    const ha2 = md5(`POST:${linkPath}`);
    const digestRequests: autocannon.Request[] = [
      {
        method: 'POST',
        path: linkPath,
        headers,
        body,
        onResponse: (_status, _body, context, responseHeaders) => {
          const challenge = (responseHeaders as Record<string, string>)['www-authenticate'] ?? '';
          (context as Record<string, unknown>).nonce = /nonce="([^"]+)"/.exec(challenge)?.[1];
        },
      },
      {
        method: 'POST',
        path: linkPath,
        body,
        setupRequest: (request, context) => {
          const cnonce = crypto.randomBytes(8).toString('hex');
          const nonce = (context as Record<string, unknown>).nonce as string;
          const response = md5(`${ha1}:${nonce}:00000001:${cnonce}:auth:${ha2}`);
          return {
            ...request,
            headers: {
              ...headers,
              authorization: `Digest username="${boot.apiKey.publicKey}", realm="MMS Public API", nonce="${nonce}", uri="${linkPath}", response="${response}", algorithm="MD5", qop=auth, nc=00000001, cnonce="${cnonce}"`,
            },
          };
        },
      },
    ];

    for (let round = 1; round <= rounds; round++) {
      const rawRun = await measure('raw node:http POST (baseline)', {
        url: raw.url + '/',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      const bearer = await measure('pushlink bearer create', {
        url: pushlink.url + linkPath,
        method: 'POST',
        headers: { ...headers, authorization: `Bearer ${accessToken}` },
        body,
      });
      const digest = await measure('pushlink digest create', { url: pushlink.url, requests: digestRequests }, 2, ['401']);
      rows.push({ round, raw: rawRun, bearer, digest });
    }
  } finally {
    await stop(pushlink);
    await stop(raw);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }

  console.log('');
  console.log('| round | run | creates/s | % of raw | p99 ms | errors | unexpected non-2xx |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    for (const r of [row.raw, row.bearer, row.digest]) {
      console.log(
        `| ${row.round} | ${r.name} | ${r.perSecond.toFixed(0)} | ${((100 * r.perSecond) / row.raw.perSecond).toFixed(1)} % | ${r.p99.toFixed(1)} | ${r.errors} | ${r.non2xx} |`,
      );
    }
  }
  const bearerRatio = median(rows.map((r) => (100 * r.bearer.perSecond) / r.raw.perSecond));
  const digestRatio = median(rows.map((r) => (100 * r.digest.perSecond) / r.raw.perSecond));
  const bearerP99 = median(rows.map((r) => r.bearer.p99));
  console.log('');
  console.log(
    `bearer create: median ${bearerRatio.toFixed(1)} % of the raw baseline (target >= 40 %), ` +
      `median p99 ${bearerP99.toFixed(1)} ms (target <= 20 ms)`,
  );
  console.log(
    `digest create: median ${digestRatio.toFixed(1)} % of the raw baseline in creates/s ` +
      '(each create is two HTTP requests: the 401 challenge and the signed retry; p99 is per create)',
  );
}

await main();
