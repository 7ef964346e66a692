import crypto from 'node:crypto';
import os from 'node:os';
import type autocannon from 'autocannon';
import { scratchDatabase } from './scratchDatabase.js';
import {
  RAW,
  connections,
  databaseUrl,
  duration,
  format,
  measure,
  median,
  medianCpuMicros,
  rounds,
  start,
  startTarget,
  stop,
  stopTarget,
  warmup,
  type Measured,
  type Started,
  type Target,
} from './harness.js';

// npm run bench [-- --duration 10 --connections 50 --rounds 5 --database-url postgres://…]
// Measures Create One Link-Token on pushlink (bearer and digest) beside a raw node:http POST
// baseline measured in the same run, each server in its own process, autocannon in this one.
// pushlink runs on SQLite and, with --database-url, also on PostgreSQL: the URL names a server
// where a scratch database is created for the run and dropped after it.
// Loopback only; every run is bounded by --duration.

const body = JSON.stringify({ accessListIps: ['10.0.0.1', '192.168.1.0/24'] });
const md5 = (s: string) => crypto.createHash('md5').update(s).digest('hex');

const headers = { accept: 'application/vnd.atlas.2023-01-01+json', 'content-type': 'application/vnd.atlas.2023-01-01+json' };

function measureBearer(target: Target): Promise<Measured> {
  const linkPath = `/api/atlas/v2/orgs/${target.boot.orgId}/liveMigrations/linkTokens`;
  return measure(`pushlink ${target.backEnd} bearer create`, target.server, {
    url: target.server.url + linkPath,
    method: 'POST',
    headers: { ...headers, authorization: `Bearer ${target.accessToken}` },
    body,
  });
}

/** Digest as the Go SDK does it: an unauthenticated request, the 401 challenge, the signed retry. */
function measureDigest(target: Target): Promise<Measured> {
  const linkPath = `/api/atlas/v2/orgs/${target.boot.orgId}/liveMigrations/linkTokens`;
  const { publicKey, privateKey } = target.boot.apiKey;
  const ha1 = md5(`${publicKey}:MMS Public API:${privateKey}`);
  const ha2 = md5(`POST:${linkPath}`);
  const requests: autocannon.Request[] = [
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
            authorization: `Digest username="${publicKey}", realm="MMS Public API", nonce="${nonce}", uri="${linkPath}", response="${response}", algorithm="MD5", qop=auth, nc=00000001, cnonce="${cnonce}"`,
          },
        };
      },
    },
  ];
  return measure(`pushlink ${target.backEnd} digest create`, target.server, { url: target.server.url, requests }, 2, ['401']);
}

function measureRaw(raw: Started): Promise<Measured> {
  return measure('raw node:http POST (baseline)', raw, {
    url: raw.url + '/',
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
}

async function main(): Promise<void> {
  console.log(
    `# Create One Link-Token: ${connections} connections, ${rounds} rounds of ${duration}s runs (+${warmup}s warm-up each), ` +
      `${os.cpus().length} CPUs, Node ${process.version}`,
  );
  console.log('# The raw baseline is measured before every round and once after the last: each pushlink run is compared');
  console.log('# with the mean of the two baseline runs around it, so the machine drifting during a round moves both.');
  console.log('# The ratio reported is the median over rounds. Server CPU per create (from /proc) hardly depends on');
  console.log('# how busy the host is; steal is the share of the machine the hypervisor gave to others meanwhile.');
  if (databaseUrl) console.log('# PostgreSQL runs on the same machine, sharing its CPUs with pushlink and autocannon.');

  const raw = await start([RAW]);
  const targets: Target[] = [];
  const database = databaseUrl ? await scratchDatabase(databaseUrl) : undefined;
  const rawRuns: Measured[] = [];
  const roundRuns: Measured[][] = [];
  try {
    targets.push(await startTarget('SQLite', []));
    if (database) targets.push(await startTarget('PostgreSQL', ['--database-url', database.url]));
    for (let round = 1; round <= rounds; round++) {
      rawRuns.push(await measureRaw(raw));
      const runs: Measured[] = [];
      for (const target of targets) runs.push(await measureBearer(target), await measureDigest(target));
      roundRuns.push(runs);
    }
    rawRuns.push(await measureRaw(raw));
  } finally {
    for (const target of targets) await stopTarget(target);
    await stop(raw);
    await database?.drop();
  }

  /** The baseline a round's runs are compared with: the mean of the raw runs before and after it. */
  const baseline = (round: number) => (rawRuns[round]!.perSecond + rawRuns[round + 1]!.perSecond) / 2;
  const rawCpu = medianCpuMicros(rawRuns);

  console.log('');
  console.log('| round | run | creates/s | % of raw | p99 ms | server CPU µs/create | steal | errors | unexpected non-2xx |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  const row = (round: string, r: Measured, ratio: string) =>
    console.log(
      `| ${round} | ${r.name} | ${r.perSecond.toFixed(0)} | ${ratio} | ${r.p99.toFixed(1)} | ${format(r.cpuMicros, 1)} | ${format(r.steal, 1, ' %')} | ${r.errors} | ${r.non2xx} |`,
    );
  rawRuns.forEach((rawRun, i) => {
    row(i < rounds ? `${i + 1}` : 'end', rawRun, '(baseline)');
    for (const r of roundRuns[i] ?? []) row(`${i + 1}`, r, `${((100 * r.perSecond) / baseline(i)).toFixed(1)} %`);
  });
  console.log('');
  console.log(
    `raw baseline: median ${median(rawRuns.map((r) => r.perSecond)).toFixed(0)} requests/s, server CPU ${format(rawCpu, 1)} µs/request`,
  );
  roundRuns[0]!.forEach((first, i) => {
    const runs = roundRuns.map((runs) => runs[i]!);
    const perSecond = median(runs.map((r) => r.perSecond));
    const ratio = median(runs.map((r, round) => (100 * r.perSecond) / baseline(round)));
    const p99 = median(runs.map((r) => r.p99));
    const cpu = medianCpuMicros(runs);
    const cpuNote = cpu === undefined || rawCpu === undefined ? '' : `; server CPU ${cpu.toFixed(1)} µs/create (${((100 * rawCpu) / cpu).toFixed(1)} % of raw's per request)`;
    console.log(`${first.name}: median ${perSecond.toFixed(0)} creates/s, ${ratio.toFixed(1)} % of the raw baseline, p99 ${p99.toFixed(1)} ms${cpuNote}`);
  });
  console.log('(targets: bearer create on SQLite >= 40 % of the raw baseline with p99 <= 20 ms; each digest create is two');
  console.log(' HTTP requests, the 401 challenge and the signed retry, and its p99 and CPU are per create)');
}

await main();
