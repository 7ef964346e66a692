import fs from 'node:fs';
import path from 'node:path';
import type { BootstrapCredentials } from '../domain/bootstrap.js';
import { writeFileAtomically } from '../files.js';

export const BOOTSTRAP_FILE_NAME = 'bootstrap.json';

/** Writes bootstrap.json readable by its owner only, atomically (temp file, fsync, rename). */
export async function writeBootstrapFile(dataDir: string, credentials: BootstrapCredentials): Promise<string> {
  // With PostgreSQL the data dir holds only this file and may not exist yet.
  await fs.promises.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, BOOTSTRAP_FILE_NAME);
  await writeFileAtomically(file, JSON.stringify(credentials, null, 2) + '\n', 0o600);
  return file;
}
