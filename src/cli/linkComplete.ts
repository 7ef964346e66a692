import fs from 'node:fs';
import path from 'node:path';
import { decodeLinkToken } from '../domain/links.js';
import { digestHa1 } from '../httpDigest.js';
import { digestCall, describeAtlasAnswer, type AtlasEndpoint } from '../sync/atlasClient.js';
import { readTrustedCa, TrustedCaError } from '../tls/trust.js';
import { BOOTSTRAP_FILE_NAME } from './bootstrapFile.js';
import { CliError } from './errors.js';
import { print, type Output } from './admin.js';

// `pushlink link complete`: pastes a link-token into a source side over its API, as a Cloud Manager
// user would in the UI, and prints the link status. The status is the command's result, so the
// caller (commands/link.ts) turns NOT_SYNCED into exit code 2: a script can tell "linked but Atlas not
// reached" (2) from "not linked at all" (1).

export interface LinkCompleteOptions {
  token: string;
  sourceUrl: string;
  orgId?: string;
  publicKey?: string;
  privateKey?: string;
  dataDir: string;
  timeoutMs: number;
  /** A CA file (PEM) to trust for an https source URL, instead of the system's CAs. */
  ca?: string;
}

export interface LinkStatus {
  status: 'SYNCED' | 'NOT_SYNCED';
  reason?: string;
}

export class LinkCommandError extends CliError {}

/** The source side's bootstrap.json: the owner key `link complete` uses when none is given. */
function readSourceBootstrap(file: string): { orgId: string; apiKey: { publicKey: string; privateKey: string } } {
  let boot: unknown;
  try {
    boot = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new LinkCommandError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const b = boot as { orgId?: unknown; apiKey?: { publicKey?: unknown; privateKey?: unknown } } | null;
  if (typeof b?.orgId !== 'string' || typeof b.apiKey?.publicKey !== 'string' || typeof b.apiKey.privateKey !== 'string') {
    throw new LinkCommandError(`${file} lacks orgId and apiKey.publicKey/privateKey; give --org, --public-key and --private-key`);
  }
  return { orgId: b.orgId, apiKey: { publicKey: b.apiKey.publicKey, privateKey: b.apiKey.privateKey } };
}

function parseLinkStatus(body: string): LinkStatus | undefined {
  try {
    const status = JSON.parse(body) as Partial<LinkStatus> | null;
    return status?.status === 'SYNCED' || status?.status === 'NOT_SYNCED' ? (status as LinkStatus) : undefined;
  } catch {
    return undefined;
  }
}

export async function linkComplete(options: LinkCompleteOptions, output: Output): Promise<LinkStatus> {
  decodeLinkToken(options.token); // a clear local error before anything is sent
  let { orgId, publicKey, privateKey } = options;
  let credentialsFrom: string | undefined;
  if (!orgId || !publicKey || !privateKey) {
    const file = path.join(options.dataDir, BOOTSTRAP_FILE_NAME);
    credentialsFrom = file;
    if (!fs.existsSync(file)) {
      throw new LinkCommandError(`give --org, --public-key and --private-key, or a --data-dir with ${BOOTSTRAP_FILE_NAME} (looked in ${file})`);
    }
    const boot = readSourceBootstrap(file);
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
  const endpoint: AtlasEndpoint = { baseUrl, timeoutMs: options.timeoutMs, caOption: '--ca' };
  if (options.ca !== undefined) {
    if (baseUrl.protocol !== 'https:') throw new LinkCommandError('--ca goes with an https:// --source-url');
    try {
      endpoint.ca = readTrustedCa(options.ca);
    } catch (error) {
      if (error instanceof TrustedCaError) throw new LinkCommandError(`--ca: ${error.message}`);
      throw error;
    }
  }
  const answer = await digestCall(
    endpoint,
    { publicKey, ha1: digestHa1(publicKey, privateKey) },
    { method: 'POST', path: `/api/public/v1.0/orgs/${orgId}/liveExport/migrationLink`, body: JSON.stringify({ linkToken: options.token }) },
  );
  if (answer.status !== 200) {
    const refused = describeAtlasAnswer(answer).replace(/^Atlas/, 'the source side');
    // A 401 with credentials from a bootstrap file mostly means the wrong file: say which was used.
    const hint =
      answer.status === 401 && credentialsFrom !== undefined
        ? ` (signed in as the org and key of ${credentialsFrom}: is that the source side's data dir? With --role both it is <data-dir>/source; give --data-dir, or --org, --public-key and --private-key)`
        : '';
    throw new LinkCommandError(refused + hint);
  }
  const status = parseLinkStatus(answer.body);
  if (!status) throw new LinkCommandError(`${options.sourceUrl} answered 200 without a link status: is it a pushlink source side?`);
  print(output, status, `Organization link successfully created. Status: ${status.status}${status.reason ? ` (${status.reason})` : ''}`);
  return status;
}
