import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomically } from '../files.js';
import { CliError } from './errors.js';

// admin.json: how the local administrator reaches a running server's own controls (faults, the
// clock): its URL and a token made fresh at each start. Readable by its owner only, like
// bootstrap.json; removed when the server stops, so a stale one means no server (or a crash).

export const ADMIN_FILE_NAME = 'admin.json';

export interface AdminFile {
  url: string;
  token: string;
  pid: number;
  /** With --tls self-signed: the CA to trust for `url`. */
  caFile?: string;
}

export async function writeAdminFile(dataDir: string, admin: AdminFile): Promise<string> {
  await fs.promises.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, ADMIN_FILE_NAME);
  await writeFileAtomically(file, JSON.stringify(admin, null, 2) + '\n', 0o600);
  return file;
}

export function removeAdminFile(dataDir: string, token: string): void {
  const file = path.join(dataDir, ADMIN_FILE_NAME);
  try {
    // Only our own: a second server on the same data dir may have written its own since.
    if ((JSON.parse(fs.readFileSync(file, 'utf8')) as AdminFile).token === token) fs.rmSync(file);
  } catch {
    // gone already, or not ours
  }
}

export class NoAdminFileError extends CliError {
  constructor(dataDir: string) {
    super(`no running pushlink server found for ${dataDir} (no ${ADMIN_FILE_NAME}); start one with pushlink serve --data-dir ${dataDir}`);
  }
}

export function readAdminFile(dataDir: string): AdminFile {
  try {
    return JSON.parse(fs.readFileSync(path.join(dataDir, ADMIN_FILE_NAME), 'utf8')) as AdminFile;
  } catch {
    throw new NoAdminFileError(dataDir);
  }
}
