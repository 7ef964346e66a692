import fs from 'node:fs';

/**
 * The WAL file, kept open for fsync. SQLite only deletes or replaces the WAL when the last
 * connection closes, and this store's connection stays open until close(), so the descriptor
 * always names the live WAL.
 */
export class WalFile {
  private handle: Promise<fs.promises.FileHandle> | null = null;

  constructor(private readonly file: string) {}

  async sync(): Promise<void> {
    this.handle ??= fs.promises.open(this.file, 'r');
    await (await this.handle).sync();
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    if (handle) await (await handle).close();
  }
}
