import fs from 'node:fs';
import path from 'node:path';
import { decodeLinkToken } from '../domain/links.js';
import { digestHa1 } from '../domain/secrets.js';
import { digestCall, describeAtlasAnswer } from '../sync/atlasClient.js';
import { BOOTSTRAP_FILE_NAME } from './bootstrapFile.js';
import { print, type Output } from './admin.js';

// `pushlink link complete`: pastes a link-token into a source side over its API, as a Cloud Manager
// user would in the UI, and prints the link status.

export interface LinkCompleteOptions {
  token: string;
  sourceUrl: string;
  orgId?: string;
  publicKey?: string;
  privateKey?: string;
  dataDir: string;
  timeoutMs: number;
}

export class LinkCommandError extends Error {}

export async function linkComplete(options: LinkCompleteOptions, output: Output): Promise<void> {
  decodeLinkToken(options.token); // a clear local error before anything is sent
  let { orgId, publicKey, privateKey } = options;
  if (!orgId || !publicKey || !privateKey) {
    const file = path.join(options.dataDir, BOOTSTRAP_FILE_NAME);
    if (!fs.existsSync(file)) {
      throw new LinkCommandError(`give --org, --public-key and --private-key, or a --data-dir with ${BOOTSTRAP_FILE_NAME} (looked in ${file})`);
    }
    const boot = JSON.parse(fs.readFileSync(file, 'utf8')) as { orgId: string; apiKey: { publicKey: string; privateKey: string } };
    orgId ??= boot.orgId;
    publicKey ??= boot.apiKey.publicKey;
    privateKey ??= boot.apiKey.privateKey;
  }
  let baseUrl: URL;
  try {
    baseUrl = new URL(options.sourceUrl);
  } catch {
    throw new LinkCommandError(`--source-url must be a URL, got "${options.sourceUrl}"`);
  }
  const answer = await digestCall(
    { baseUrl, timeoutMs: options.timeoutMs },
    { publicKey, ha1: digestHa1(publicKey, privateKey) },
    { method: 'POST', path: `/api/public/v1.0/orgs/${orgId}/liveExport/migrationLink`, body: JSON.stringify({ linkToken: options.token }) },
  );
  if (answer.status !== 200) throw new LinkCommandError(describeAtlasAnswer(answer).replace(/^Atlas/, 'the source side'));
  const status = JSON.parse(answer.body) as { status: string; reason?: string };
  print(output, status, `Organization link successfully created. Status: ${status.status}${status.reason ? ` (${status.reason})` : ''}`);
}
