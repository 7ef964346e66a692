import fs from 'node:fs';
import { readAdminFile } from './adminFile.js';
import { plainCall } from '../sync/atlasClient.js';
import { CliError } from './errors.js';

// How `pushlink fault …` and `pushlink clock …` reach the server running on a data dir: the URL
// and admin token in its admin.json (never on the command line), over its own TLS when it has it,
// with the HTTP client the source side uses for Atlas (sync/atlasClient.ts).

export class AdminCallError extends CliError {}

export async function adminCall(dataDir: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const admin = readAdminFile(dataDir);
  const endpoint = { baseUrl: new URL(admin.url), timeoutMs: 10_000, ...(admin.caFile ? { ca: fs.readFileSync(admin.caFile) } : {}) };
  const answer = await plainCall(endpoint, {
    method,
    path,
    authorization: `Bearer ${admin.token}`,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  }).catch((error: NodeJS.ErrnoException) => {
    throw new AdminCallError(`the server at ${admin.url} does not answer (${error.code ?? error.message}); is it still running? (admin.json is from pid ${admin.pid})`);
  });
  let parsed: unknown;
  try {
    parsed = answer.body === '' ? undefined : JSON.parse(answer.body);
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
