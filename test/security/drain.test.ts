import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { describe, it } from 'node:test';
import { ATLAS_JSON, requestAccessToken } from '../helpers/http.js';
import { readBootstrap, startProcess } from '../helpers/process.js';
import { tempDir } from '../helpers/server.js';
import { testStoreEnv } from '../helpers/store.js';

// Issue 18, case 4: SIGTERM while clients create link-tokens in a loop. Every request gets a 201
// (it was in flight, or arrived before the drain) or a 503 SERVICE_UNAVAILABLE ApiError with
// Connection: close (it arrived during the drain); a client stops at its 503, or when the port is
// closed (ECONNREFUSED: nothing was sent). No request may meet a reset. Bounded: 127.0.0.1 only,
// ROUNDS servers, at most MAX_PER_CLIENT requests per client and DEADLINE_MS per round.

const ROUNDS = 3;
const CLIENTS = 4;
const MAX_PER_CLIENT = 400;
const SIGTERM_AFTER_CREATES = 150;
const DEADLINE_MS = 30_000;

interface Outcome {
  status?: number;
  errorCode?: string | undefined;
  connection?: string | undefined;
  error?: string;
}

function post(url: string, token: string, agent: http.Agent | false): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { accept: ATLAS_JSON, 'content-type': 'application/json', authorization: `Bearer ${token}` } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let errorCode: string | undefined;
          try {
            errorCode = JSON.parse(Buffer.concat(chunks).toString()).errorCode;
          } catch {
            errorCode = undefined;
          }
          resolve({ status: res.statusCode!, errorCode, connection: res.headers.connection });
        });
        res.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end('{}');
  });
}

describe('SIGTERM while clients create link-tokens', () => {
  it('answers every request 201 or 503 (Connection: close), resets none, and exits 0', { timeout: ROUNDS * (DEADLINE_MS + 20_000) }, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const dir = tempDir();
      const backend = await testStoreEnv();
      const server = await startProcess(['serve', '--port', '0', '--data-dir', dir, '--rate-limit', 'off', '--log-level', 'warn'], { env: backend.env });
      try {
        const boot = readBootstrap(dir);
        const token = (await requestAccessToken(server.url, boot.serviceAccount)).json.access_token as string;
        const url = `${server.url}/api/atlas/v2/orgs/${boot.orgId}/liveMigrations/linkTokens`;
        const deadline = Date.now() + DEADLINE_MS;
        let created = 0;
        let stopped: Promise<number | null> | undefined;
        const unexpected: string[] = [];
        const unavailable: Outcome[] = [];
        // Half the clients keep their connection alive between requests, half open one per request.
        const client = async (agent: http.Agent | false) => {
          for (let i = 0; i < MAX_PER_CLIENT && Date.now() < deadline; i++) {
            const outcome = await post(url, token, agent);
            if (outcome.status === 201) {
              if (++created === SIGTERM_AFTER_CREATES) stopped = server.stop('SIGTERM');
              continue;
            }
            if (outcome.status === 503) unavailable.push(outcome);
            else if (outcome.error !== 'ECONNREFUSED' || !stopped) unexpected.push(JSON.stringify(outcome));
            return;
          }
        };
        const agents = Array.from({ length: CLIENTS }, (_, i) => (i % 2 === 0 ? new http.Agent({ keepAlive: true, maxSockets: 1 }) : false));
        await Promise.all(agents.map(client));
        for (const agent of agents) if (agent) agent.destroy();
        assert.ok(stopped, `round ${round}: only ${created} creates before the bounds`);
        assert.deepEqual(unexpected, [], `round ${round}: requests that got neither a 201 nor a 503`);
        assert.equal(await stopped, 0, `round ${round}: exit code\n${server.output()}`);
        for (const outcome of unavailable) {
          assert.deepEqual(outcome, { status: 503, errorCode: 'SERVICE_UNAVAILABLE', connection: 'close' });
        }
      } finally {
        await server.stop('SIGKILL');
        await backend.dispose();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});
