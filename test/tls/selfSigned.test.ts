import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/configError.js';
import { ensureSelfSignedTls, selfSignedFiles } from '../../src/tls/selfSigned.js';
import { tempDir } from '../helpers/server.js';

const DAY_MS = 86_400_000;

describe('ensureSelfSignedTls', () => {
  it('creates a CA and a server certificate for the loopback names, keys 0600, then reuses both', async () => {
    const dir = tempDir();
    try {
      const first = await ensureSelfSignedTls(dir);
      assert.equal(first.createdCa, true);
      assert.equal(first.issuedServerCertificate, true);
      const files = selfSignedFiles(dir);
      assert.equal(fs.statSync(files.dir).mode & 0o777, 0o700);
      for (const key of [files.caKey, files.serverKey]) assert.equal(fs.statSync(key).mode & 0o777, 0o600);
      const ca = new X509Certificate(fs.readFileSync(files.caCert));
      const server = new X509Certificate(first.cert);
      assert.equal(ca.ca, true);
      assert.equal(server.ca, false);
      assert.ok(server.checkIssued(ca) && server.verify(ca.publicKey));
      assert.equal(server.checkHost('localhost'), 'localhost');
      assert.equal(server.checkHost('example.com'), undefined);
      assert.ok(server.checkIP('127.0.0.1') && server.checkIP('::1'));
      assert.deepEqual(server.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'serverAuth only');

      const second = await ensureSelfSignedTls(dir);
      assert.equal(second.createdCa, false);
      assert.equal(second.issuedServerCertificate, false);
      assert.equal(second.cert, first.cert);
      assert.equal(second.key, first.key);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes the private keys 0600 into a data dir and tls dir that already existed world-readable, whatever the umask', async (t) => {
    const previousUmask = process.umask(0);
    t.after(() => process.umask(previousUmask));
    const dir = tempDir();
    try {
      fs.chmodSync(dir, 0o755);
      const files = selfSignedFiles(dir);
      fs.mkdirSync(files.dir, { mode: 0o755 });
      fs.chmodSync(files.dir, 0o755);
      await ensureSelfSignedTls(dir);
      for (const key of [files.caKey, files.serverKey]) assert.equal(fs.statSync(key).mode & 0o777, 0o600, key);
      for (const cert of [files.caCert, files.serverCert]) assert.equal(fs.statSync(cert).mode & 0o777, 0o644, cert);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('issues a new server certificate from the same CA when the old one nears its end or is missing', async () => {
    const dir = tempDir();
    try {
      const first = await ensureSelfSignedTls(dir);
      const files = selfSignedFiles(dir);
      const ca = fs.readFileSync(files.caCert, 'utf8');
      const later = await ensureSelfSignedTls(dir, new Date(Date.now() + 380 * DAY_MS));
      assert.equal(later.createdCa, false);
      assert.equal(later.issuedServerCertificate, true);
      assert.notEqual(later.cert, first.cert);
      assert.equal(fs.readFileSync(files.caCert, 'utf8'), ca, 'the CA stays');
      assert.ok(new X509Certificate(later.cert).checkIssued(new X509Certificate(ca)));

      fs.rmSync(files.serverKey);
      const again = await ensureSelfSignedTls(dir);
      assert.equal(again.issuedServerCertificate, true);
      assert.equal(fs.readFileSync(files.caCert, 'utf8'), ca);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a CA certificate whose key is gone rather than silently replacing a CA clients trust', async () => {
    const dir = tempDir();
    try {
      await ensureSelfSignedTls(dir);
      const files = selfSignedFiles(dir);
      fs.rmSync(files.caKey);
      await assert.rejects(ensureSelfSignedTls(dir), (error: Error) => error instanceof ConfigError && /ca-key\.pem is missing/.test(error.message));
      // A key of another pair is refused too.
      fs.copyFileSync(files.serverKey, files.caKey);
      await assert.rejects(ensureSelfSignedTls(dir), /does not match/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
