import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { writeFileAtomically } from '../src/files.js';
import { tempDir } from './helpers/server.js';

describe('writeFileAtomically', () => {
  it('gives the file exactly its mode, whatever the umask', async (t) => {
    const previousUmask = process.umask(0o077);
    t.after(() => process.umask(previousUmask));
    const dir = tempDir();
    try {
      const file = path.join(dir, 'cert.pem');
      await writeFileAtomically(file, 'public', 0o644);
      assert.equal(fs.statSync(file).mode & 0o777, 0o644);
      assert.equal(fs.readFileSync(file, 'utf8'), 'public');
      assert.deepEqual(fs.readdirSync(dir), ['cert.pem'], 'no temp file left');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never writes a secret into a file others can read, even a temp file a crash left behind', async (t) => {
    const previousUmask = process.umask(0);
    t.after(() => process.umask(previousUmask));
    const dir = tempDir();
    try {
      const file = path.join(dir, 'key.pem');
      fs.writeFileSync(`${file}.${process.pid}.tmp`, 'half a key from before the crash', { mode: 0o666 });
      const probe = await fs.promises.open(process.execPath, 'r');
      const prototype = Object.getPrototypeOf(probe) as { writeFile(data: unknown): Promise<void>; fd: number };
      await probe.close();
      const realWriteFile = prototype.writeFile;
      const modesWhenWritten: number[] = [];
      t.mock.method(prototype, 'writeFile', function (this: { fd: number }, data: unknown) {
        modesWhenWritten.push(fs.fstatSync(this.fd).mode & 0o777);
        return realWriteFile.call(this, data);
      });
      await writeFileAtomically(file, 'secret', 0o600);
      assert.deepEqual(modesWhenWritten, [0o600]);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      assert.equal(fs.readFileSync(file, 'utf8'), 'secret');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
