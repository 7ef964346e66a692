import crypto from 'node:crypto';
import os from 'node:os';
import type autocannon from 'autocannon';
import { scratchDatabase } from './scratchDatabase.js';
import { RAW, connections, databaseUrl, duration, measure, median, medianCpuMicros, rounds, start, startTarget, stop, stopTarget, warmup, type Measured, type Started, type Target } from './harness.js';

// npm run bench:cluster [-- --duration 10 --connections 50 --rounds 5 --database-url postgres://…]
// Measures Return One Cluster (GET /groups/{groupId}/clusters/{clusterName}, version 2024-08-05:
// the call every watcher polls, `atlas clusters create -w` and Terraform alike) on pushlink, by
// bearer and by digest, beside a raw node:http GET of a cluster-sized JSON body measured in the
// same run. Rate limiting is off, as in the create bench, so the numbers are the server's own.

const md5 = (s: string) => crypto.createHash('md5').update(s).digest('hex');
const ACCEPT = 'application/vnd.atlas.2024-08-05+json';

/** A project with one IDLE M10, made through the API as a user would. */
async function makeCluster(target: Target): Promise<string> {
  const call = async (path: string, accept: string, body: unknown) => {
    const res = await fetch(target.server.url + path, {
      method: 'POST',
      headers: { accept, 'content-type': accept, authorization: `Bearer ${target.accessToken}` },
      body: JSON.stringify(body),
    });
    if (res.status !== 201) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { id: string };
  };
  const project = await call('/api/atlas/v2/groups', 'application/vnd.atlas.2023-01-01+json', { name: 'bench', orgId: target.boot.orgId });
  const regionConfigs = [{ priority: 7, providerName: 'AWS', regionName: 'US_EAST_1', electableSpecs: { instanceSize: 'M10', nodeCount: 3 } }];
  await call(`/api/atlas/v2/groups/${project.id}/clusters`, 'application/vnd.atlas.2024-10-23+json', { name: 'bench', replicationSpecs: [{ regionConfigs }] });
  return `/api/atlas/v2/groups/${project.id}/clusters/bench`;
}

function measureBearer(target: Target, path: string): Promise<Measured> {
  return measure(`pushlink ${target.backEnd} bearer GET cluster`, target.server, {
    url: target.server.url + path,
    headers: { accept: ACCEPT, authorization: `Bearer ${target.accessToken}` },
  });
}

/** Digest as the Go SDK does it: the unauthenticated GET, its 401 challenge, the signed retry. */
function measureDigest(target: Target, path: string): Promise<Measured> {
  const { publicKey, privateKey } = target.boot.apiKey;
  const ha1 = md5(`${publicKey}:MMS Public API:${privateKey}`);
  const ha2 = md5(`GET:${path}`);
  const requests: autocannon.Request[] = [
    {
      method: 'GET',
      path,
      headers: { accept: ACCEPT },
      onResponse: (_status, _body, context, responseHeaders) => {
        const challenge = (responseHeaders as Record<string, string>)['www-authenticate'] ?? '';
        (context as Record<string, unknown>).nonce = /nonce="([^"]+)"/.exec(challenge)?.[1];
      },
    },
    {
      method: 'GET',
      path,
      setupRequest: (request, context) => {
        const cnonce = crypto.randomBytes(8).toString('hex');
        const nonce = (context as Record<string, unknown>).nonce as string;
        const response = md5(`${ha1}:${nonce}:00000001:${cnonce}:auth:${ha2}`);
        const authorization = `Digest username="${publicKey}", realm="MMS Public API", nonce="${nonce}", uri="${path}", response="${response}", algorithm="MD5", qop=auth, nc=00000001, cnonce="${cnonce}"`;
        return { ...request, headers: { accept: ACCEPT, authorization } };
      },
    },
  ];
  return measure(`pushlink ${target.backEnd} digest GET cluster`, target.server, { url: target.server.url, requests }, 2, ['401']);
}

function measureRaw(raw: Started): Promise<Measured> {
  return measure('raw node:http GET (baseline)', raw, { url: `${raw.url}/` });
}

async function main(): Promise<void> {
  console.log(`# Return One Cluster (2024-08-05): ${connections} connections, ${rounds} rounds of ${duration}s runs (+${warmup}s warm-up each), ${os.cpus().length} CPUs, Node ${process.version}`);
  console.log('# Each pushlink run is compared with the mean of the raw baseline runs before and after its round.');
  const raw = await start([RAW]);
  const database = databaseUrl ? await scratchDatabase(databaseUrl) : undefined;
  const targets: Array<{ target: Target; path: string }> = [];
  const rawRuns: Measured[] = [];
  const roundRuns: Measured[][] = [];
  try {
    for (const [backEnd, args] of [['SQLite', []], ...(database ? [['PostgreSQL', ['--database-url', database.url]]] : [])] as Array<[Target['backEnd'], string[]]>) {
      const target = await startTarget(backEnd, [...args, '--cluster-provisioning', '0']);
      targets.push({ target, path: await makeCluster(target) });
    }
    for (let round = 1; round <= rounds; round++) {
      rawRuns.push(await measureRaw(raw));
      const runs: Measured[] = [];
      for (const { target, path } of targets) runs.push(await measureBearer(target, path), await measureDigest(target, path));
      roundRuns.push(runs);
    }
    rawRuns.push(await measureRaw(raw));
  } finally {
    for (const { target } of targets) await stopTarget(target);
    await stop(raw);
    await database?.drop();
  }
  const baseline = (round: number) => (rawRuns[round]!.perSecond + rawRuns[round + 1]!.perSecond) / 2;
  const rawCpu = medianCpuMicros(rawRuns);
  console.log(`raw baseline: median ${median(rawRuns.map((r) => r.perSecond)).toFixed(0)} requests/s, server CPU ${rawCpu?.toFixed(1) ?? 'n/a'} µs/request`);
  roundRuns[0]!.forEach((first, i) => {
    const runs = roundRuns.map((r) => r[i]!);
    const ratio = median(runs.map((r, round) => (100 * r.perSecond) / baseline(round)));
    const cpu = medianCpuMicros(runs);
    const bad = runs.reduce((sum, r) => sum + r.errors + r.non2xx, 0);
    console.log(
      `${first.name}: median ${median(runs.map((r) => r.perSecond)).toFixed(0)} calls/s, ${ratio.toFixed(1)} % of the raw baseline, ` +
        `p99 ${median(runs.map((r) => r.p99)).toFixed(1)} ms, server CPU ${cpu?.toFixed(1) ?? 'n/a'} µs/call, errors and unexpected statuses ${bad}`,
    );
  });
}

await main();
