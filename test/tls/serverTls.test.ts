import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/configError.js';
import { loadServerTls, trustInstructions } from '../../src/tls/serverTls.js';
import { selfSignedFiles } from '../../src/tls/selfSigned.js';
import { tempDir } from '../helpers/server.js';

describe('loadServerTls', () => {
  it('loads given files, and refuses missing or mismatched ones with the flag names', async () => {
    const dir = tempDir();
    try {
      const made = await loadServerTls({ kind: 'self-signed' }, dir);
      assert.ok(made.selfSigned);
      const files = selfSignedFiles(dir);
      const given = await loadServerTls({ kind: 'files', certFile: files.serverCert, keyFile: files.serverKey }, dir);
      assert.equal(given.cert, made.cert);
      assert.equal(given.selfSigned, undefined);
      await assert.rejects(
        loadServerTls({ kind: 'files', certFile: path.join(dir, 'missing.pem'), keyFile: files.serverKey }, dir),
        (error: Error) => error instanceof ConfigError && error.message.startsWith('--tls-cert '),
      );
      await assert.rejects(loadServerTls({ kind: 'files', certFile: files.serverCert, keyFile: files.caKey }, dir), ConfigError);
      fs.writeFileSync(path.join(dir, 'garbage.pem'), 'not a certificate');
      await assert.rejects(loadServerTls({ kind: 'files', certFile: path.join(dir, 'garbage.pem'), keyFile: files.serverKey }, dir), ConfigError);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tells how to trust the CA with curl, Node and OpenSSL-based clients, one line each', () => {
    const lines = trustInstructions('/d/tls/ca.pem');
    assert.ok(lines.some((l) => l.includes('curl --cacert /d/tls/ca.pem')));
    assert.ok(lines.some((l) => l.includes('NODE_EXTRA_CA_CERTS=/d/tls/ca.pem')));
    assert.ok(lines.some((l) => l.includes('SSL_CERT_FILE=/d/tls/ca.pem')));
  });
});
