import fs from 'node:fs';
import path from 'node:path';
import { SQLITE_FILE_NAME } from '../store/sqlite.js';
import { BOOTSTRAP_FILE_NAME } from './bootstrapFile.js';
import { ADMIN_FILE_NAME } from './adminFile.js';
import { print, type Output } from './admin.js';
import { CliError } from './errors.js';
import { runningServerPid } from './serverLock.js';

// `pushlink reset`: empties a data dir's state (the SQLite database, bootstrap.json, and the same
// in `source/` of a --role both dir), so the next start bootstraps or seeds afresh. It keeps
// `tls/`: clients were told to trust that CA, and a new one would break them for no gain.
// It refuses while a server runs on the dir (admin.json's pid, serverLock.ts): deleting a database
// under an open connection loses what the server writes next and confuses what it reads.

const STATE_FILES = [SQLITE_FILE_NAME, `${SQLITE_FILE_NAME}-wal`, `${SQLITE_FILE_NAME}-shm`, BOOTSTRAP_FILE_NAME];

function stateFiles(dataDir: string): string[] {
  const here = STATE_FILES.map((name) => path.join(dataDir, name)).filter((file) => fs.existsSync(file));
  const sourceDir = path.join(dataDir, 'source');
  return fs.existsSync(sourceDir) ? [...here, ...stateFiles(sourceDir)] : here;
}

export function reset(dataDir: string, options: { yes: boolean; databaseUrl?: string | undefined }, output: Output): void {
  if (options.databaseUrl !== undefined) {
    throw new CliError('reset empties a SQLite data dir only; for PostgreSQL drop and re-create the database (DROP DATABASE …; CREATE DATABASE …)');
  }
  if (!fs.existsSync(dataDir)) throw new CliError(`no data dir ${dataDir} (check --data-dir)`);
  const pid = runningServerPid(dataDir);
  if (pid !== undefined) throw new CliError(`a pushlink server (pid ${pid}) is running on ${dataDir}: stop it first (kill -TERM ${pid})`);
  const files = stateFiles(dataDir);
  if (!options.yes) {
    throw new CliError(
      files.length === 0
        ? `${dataDir} holds no pushlink state; nothing to reset`
        : `this deletes ${files.join(', ')} (every org, key, link and project in it); run again with --yes to do it`,
    );
  }
  for (const file of files) fs.rmSync(file, { force: true });
  // An admin.json left by a killed server is stale (checked above): it goes too.
  fs.rmSync(path.join(dataDir, ADMIN_FILE_NAME), { force: true });
  print(output, { reset: dataDir, deleted: files }, files.length === 0 ? `${dataDir} held no pushlink state` : `reset ${dataDir}: deleted ${files.join(', ')}`);
}
