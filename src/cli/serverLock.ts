import fs from 'node:fs';
import path from 'node:path';
import { ADMIN_FILE_NAME, type AdminFile } from './adminFile.js';

// Whether a server runs on a data dir: `pushlink serve` writes admin.json (adminFile.ts, with its
// pid) once it listens and removes it when it stops. A server killed with SIGKILL leaves the file
// behind, so the pid is checked for a live process too: a dead one's file is stale.

/** The pid of a live server on this data dir, if one is running. */
export function runningServerPid(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = (JSON.parse(fs.readFileSync(path.join(dataDir, ADMIN_FILE_NAME), 'utf8')) as AdminFile).pid;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    // EPERM: alive, under another user. ESRCH: gone, the file is stale.
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}
