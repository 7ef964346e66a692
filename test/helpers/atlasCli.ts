import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runGo } from './go.js';

// The atlas CLI, built from the Go module proxy at a pinned release into a cache outside the repo,
// keyed by version: built once, reused by every later run (and CI run on the same machine).

export const ATLAS_CLI_MODULE = 'github.com/mongodb/mongodb-atlas-cli/atlascli';
/**
 * The newest release known (2026-09-16). Not one release tried is served by this machine's module
 * proxy (see README "Compatibility with the official clients"), so the CLI tests skip with the
 * proxy's answer until one is; bump this when the proxy serves a newer release.
 */
export const ATLAS_CLI_VERSION = 'v1.58.3';

export const COMPAT_CACHE = process.env.PUSHLINK_COMPAT_CACHE ?? path.join(os.homedir(), '.cache', 'pushlink-compat');

export function atlasCliBinary(version = ATLAS_CLI_VERSION): string {
  return path.join(COMPAT_CACHE, 'atlas-cli', version, 'atlas');
}

export interface AtlasCliBuild {
  binary?: string;
  /** Why there is no binary: the module proxy's or the compiler's own words. */
  reason?: string;
  /** Seconds the download and build took; 0 when the cached binary was used. */
  seconds: number;
}

/**
 * The cached binary, or a fresh build of it. `go install pkg@version` is not used: the CLI's
 * go.mod has replace directives, which go install refuses; building inside the downloaded module
 * applies them, as the release build does.
 */
export async function buildAtlasCli(go: string, version = ATLAS_CLI_VERSION): Promise<AtlasCliBuild> {
  const binary = atlasCliBinary(version);
  if (fs.existsSync(binary)) return { binary, seconds: 0 };
  const started = Date.now();
  const seconds = () => (Date.now() - started) / 1000;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'pushlink-atlas-cli-'));
  try {
    const download = await runGo(go, ['mod', 'download', '-json', `${ATLAS_CLI_MODULE}@${version}`], {
      cwd: scratch,
      env: { GOFLAGS: '-mod=mod' },
      timeoutMs: 600_000,
    });
    let info: { Dir?: string; Error?: string } = {};
    try {
      info = JSON.parse(download.stdout) as typeof info;
    } catch {
      info = { Error: `go mod download: ${download.stderr.trim() || `exit ${download.code}`}` };
    }
    if (info.Error || !info.Dir) {
      return { reason: (info.Error ?? `${ATLAS_CLI_MODULE}@${version}: no module directory`).replace(/\s+/g, ' '), seconds: seconds() };
    }
    fs.mkdirSync(path.dirname(binary), { recursive: true });
    const partial = `${binary}.partial`;
    const build = await runGo(go, ['build', '-trimpath', '-o', partial, './cmd/atlas'], {
      cwd: info.Dir,
      env: { GOFLAGS: '-mod=mod', CGO_ENABLED: '0' },
      timeoutMs: 1_200_000,
    });
    if (build.code !== 0) return { reason: `go build ./cmd/atlas in ${info.Dir}: ${build.stderr.trim()}`, seconds: seconds() };
    fs.renameSync(partial, binary);
    return { binary, seconds: seconds() };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
