import fs from 'node:fs';
import type { TestContext } from 'node:test';

/**
 * Makes every fsync through a FileHandle fail with EIO while `failing()` says so (the WAL is
 * synced through one), as a disk that lost writes would; restored when the test ends.
 */
export async function injectFsyncFailure(t: TestContext, failing: () => boolean = () => true): Promise<void> {
  const probe = await fs.promises.open(process.execPath, 'r');
  const prototype = Object.getPrototypeOf(probe) as { sync(): Promise<void> };
  await probe.close();
  const realSync = prototype.sync;
  t.mock.method(prototype, 'sync', function (this: unknown) {
    if (!failing()) return realSync.call(this);
    return Promise.reject(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO', errno: -5, syscall: 'fsync' }));
  });
}
