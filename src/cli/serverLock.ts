import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomically } from '../files.js';

// `<data-dir>/server.pid`: written by `pushlink serve` once it serves, removed when it stops, so
// `pushlink reset` can refuse to empty a data dir a server is using. A server killed with SIGKILL
// leaves it behind: the pid is then checked for a live process, and a dead one's file is stale.

export const SERVER_PID_FILE = 'server.pid';

export async function writeServerPid(dataDir: string): Promise<string> {
  await fs.promises.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, SERVER_PID_FILE);
  await writeFileAtomically(file, `${process.pid}\n`, 0o600);
  return file;
}

/** Removes the pid file if it is still this process's (a later server may have taken the dir). */
export function removeServerPid(dataDir: string): void {
  const file = path.join(dataDir, SERVER_PID_FILE);
  try {
    if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.rmSync(file, { force: true });
  } catch {
    // Already gone: nothing to release.
  }
}

/** The pid of a live server on this data dir, if one is running. */
export function runningServerPid(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(dataDir, SERVER_PID_FILE), 'utf8').trim());
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
