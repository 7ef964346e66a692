import fs from 'node:fs';
import path from 'node:path';
import type { BootstrapCredentials } from '../domain/bootstrap.js';

export const BOOTSTRAP_FILE_NAME = 'bootstrap.json';

/** Writes bootstrap.json readable by its owner only, atomically (temp file, fsync, rename). */
export async function writeBootstrapFile(dataDir: string, credentials: BootstrapCredentials): Promise<string> {
  // With PostgreSQL the data dir holds only this file and may not exist yet.
  await fs.promises.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, BOOTSTRAP_FILE_NAME);
  const temp = `${file}.${process.pid}.tmp`;
  const handle = await fs.promises.open(temp, 'w', 0o600);
  try {
    await handle.writeFile(JSON.stringify(credentials, null, 2) + '\n');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.promises.chmod(temp, 0o600);
  await fs.promises.rename(temp, file);
  return file;
}
