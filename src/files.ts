import fs from 'node:fs';

/**
 * Writes a file atomically (temp file, fsync, rename) with the given mode from its first byte, so
 * a crash leaves either the old file or the whole new one and a secret is never briefly readable
 * by others.
 */
export async function writeFileAtomically(file: string, content: string, mode: number): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  const handle = await fs.promises.open(temp, 'w', mode);
  try {
    // Before the first byte: open()'s mode is filtered by the umask, and does not apply at all to
    // a temp file left behind by a crash (the same pid again), which keeps the mode it had.
    await handle.chmod(mode);
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.promises.rename(temp, file);
}
