import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ensureSelfSignedTls, selfSignedFiles } from '../../src/tls/selfSigned.js';
import { readTrustedCa, TrustedCaError } from '../../src/tls/trust.js';
import { tempDir } from '../helpers/server.js';

describe('readTrustedCa', () => {
  it('reads every certificate of a PEM bundle and refuses files without one', async () => {
    const dir = tempDir();
    try {
      await ensureSelfSignedTls(dir);
      const files = selfSignedFiles(dir);
      assert.equal(readTrustedCa(files.caCert).length, 1);
      const bundle = path.join(dir, 'bundle.pem');
      fs.writeFileSync(bundle, fs.readFileSync(files.caCert, 'utf8') + fs.readFileSync(files.serverCert, 'utf8'));
      assert.equal(readTrustedCa(bundle).length, 2);
      assert.throws(() => readTrustedCa(path.join(dir, 'none.pem')), (e: Error) => e instanceof TrustedCaError && /cannot read CA file/.test(e.message));
      assert.throws(() => readTrustedCa(files.caKey), /holds no PEM certificate/);
      const broken = path.join(dir, 'broken.pem');
      fs.writeFileSync(broken, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
      assert.throws(() => readTrustedCa(broken), /cannot be parsed/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
