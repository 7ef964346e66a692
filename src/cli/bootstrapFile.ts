import path from 'node:path';
import type { BootstrapCredentials } from '../domain/bootstrap.js';
import { writeFileAtomically } from '../files.js';

export const BOOTSTRAP_FILE_NAME = 'bootstrap.json';

/** Writes bootstrap.json readable by its owner only, atomically (temp file, fsync, rename). */
export async function writeBootstrapFile(dataDir: string, credentials: BootstrapCredentials): Promise<string> {
  const file = path.join(dataDir, BOOTSTRAP_FILE_NAME);
  await writeFileAtomically(file, JSON.stringify(credentials, null, 2) + '\n', 0o600);
  return file;
}
