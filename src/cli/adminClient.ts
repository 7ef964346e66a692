import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { readAdminFile } from './adminFile.js';
import { CliError } from './errors.js';

// How `pushlink fault …` and `pushlink clock …` reach the server running on a data dir: the URL
// and admin token in its admin.json (never on the command line), over its own TLS when it has it.

export class AdminCallError extends CliError {}

export async function adminCall(dataDir: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const admin = readAdminFile(dataDir);
  const url = new URL(path, admin.url);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const client = url.protocol === 'https:' ? https : http;
  const ca = admin.caFile && url.protocol === 'https:' ? fs.readFileSync(admin.caFile) : undefined;
  const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const request = client.request(
      url,
      {
        method,
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${admin.token}`,
          ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
        ...(ca ? { ca } : {}),
        signal: AbortSignal.timeout(10_000),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('error', (error: NodeJS.ErrnoException) =>
      reject(new AdminCallError(`the server at ${admin.url} does not answer (${error.code ?? error.message}); is it still running? (admin.json is from pid ${admin.pid})`)),
    );
    request.end(payload);
  });
  let parsed: unknown;
  try {
    parsed = answer.text === '' ? undefined : JSON.parse(answer.text);
  } catch {
    throw new AdminCallError(`the server answered ${answer.status} with a body that is not JSON`);
  }
  if (answer.status >= 400) {
    const error = parsed as { detail?: string; errorCode?: string; badRequestDetail?: { fields?: Array<{ description: string }> } } | undefined;
    const why = error?.badRequestDetail?.fields?.[0]?.description ?? error?.detail ?? `status ${answer.status}`;
    throw new AdminCallError(`${error?.errorCode ?? answer.status}: ${why}`);
  }
  return parsed;
}
