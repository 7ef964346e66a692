import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BootstrapCredentials } from '../../src/domain/bootstrap.js';
import { selfSignedFiles } from '../../src/tls/selfSigned.js';
import { httpsAgentTrusting, readTrustedCa } from '../../src/tls/trust.js';
import { ATLAS_JSON, digestRequest, request, requestAccessToken } from '../helpers/http.js';
import { readBootstrap, runCli, startProcess, type ServerProcess } from '../helpers/process.js';
import { tempDir } from '../helpers/server.js';

// The real binary over HTTPS: --tls self-signed makes a local CA on first start and keeps it;
// Atlas calls (digest and OAuth) work trusting that CA and nothing else; plain HTTP to the port
// gets a clear 400; --tls-cert/--tls-key serve a given certificate.

const JSON_HEADERS = { accept: ATLAS_JSON, 'content-type': 'application/json' };

describe('pushlink serve --tls self-signed (real process)', () => {
  let dataDir: string;
  let server: ServerProcess;
  let boot: Required<BootstrapCredentials>;
  let ca: string[];
  before(async () => {
    dataDir = tempDir();
    server = await startProcess(['serve', '--port', '0', '--data-dir', dataDir, '--tls', 'self-signed']);
    boot = readBootstrap(dataDir);
    ca = readTrustedCa(selfSignedFiles(dataDir).caCert);
  });
  after(async () => {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves https, keeps the CA and keys in the data dir (keys 0600) and says how to trust the CA', () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const files = selfSignedFiles(dataDir);
    for (const key of [files.caKey, files.serverKey]) assert.equal(fs.statSync(key).mode & 0o777, 0o600, key);
    const output = server.output();
    assert.match(output, /created a local CA/);
    for (const hint of [`curl --cacert ${files.caCert}`, `NODE_EXTRA_CA_CERTS=${files.caCert}`, `SSL_CERT_FILE=${files.caCert}`]) {
      assert.ok(output.includes(hint), `prints: ${hint}`);
    }
    const caCert = new X509Certificate(fs.readFileSync(files.caCert));
    const serverCert = new X509Certificate(fs.readFileSync(files.serverCert));
    assert.equal(caCert.ca, true);
    assert.ok(serverCert.checkIssued(caCert) && serverCert.verify(caCert.publicKey));
    assert.equal(serverCert.checkHost('localhost'), 'localhost');
    assert.ok(serverCert.checkIP('127.0.0.1') && serverCert.checkIP('::1'));
  });

  it('creates a link-token with digest over HTTPS, trusting only the generated CA', async () => {
    const res = await digestRequest(`${server.url}/api/atlas/v2/orgs/${boot.orgId}/liveMigrations/linkTokens`, boot.apiKey, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: '{"accessListIps":["127.0.0.1"]}',
      ca,
    });
    assert.equal(res.status, 201, res.text);
    const token = JSON.parse(Buffer.from(res.json.linkToken, 'base64').toString());
    // The key in the token works over HTTPS too, and links name the scheme the client used.
    const orgs = await digestRequest(`${server.url}/api/atlas/v2/orgs`, { publicKey: token.publicApiKey, privateKey: token.privateApiKey }, {
      headers: { accept: ATLAS_JSON },
      ca,
    });
    assert.equal(orgs.status, 200);
    const port = new URL(server.url).port;
    assert.equal(orgs.json.results[0].links[0].href, `https://127.0.0.1:${port}/api/atlas/v2/orgs/${boot.orgId}`);
    assert.ok(orgs.json.links.every((link: { href: string }) => link.href.startsWith('https://')));
  });

  it('issues an OAuth token and creates a link-token with it over HTTPS', async () => {
    const tokenRes = await requestAccessToken(server.url, boot.serviceAccount, { ca });
    assert.equal(tokenRes.status, 200, tokenRes.text);
    const created = await request(`${server.url}/api/atlas/v2/orgs/${boot.orgId}/liveMigrations/linkTokens`, {
      method: 'POST',
      headers: { ...JSON_HEADERS, authorization: `Bearer ${tokenRes.json.access_token}` },
      body: '{}',
      ca,
    });
    assert.equal(created.status, 201, created.text);
  });

  it('works through the reusable trust helper (a keep-alive agent trusting the CA file)', async () => {
    const agent = httpsAgentTrusting(selfSignedFiles(dataDir).caCert);
    try {
      const res = await fetchWithAgent(`${server.url}/healthz`, agent);
      assert.equal(res.status, 200);
      assert.deepEqual(JSON.parse(res.body), { status: 'ok' });
    } finally {
      agent.destroy();
    }
  });

  it('fails the handshake for a client that does not trust the CA', async () => {
    await assert.rejects(request(`${server.url}/healthz`), (error: NodeJS.ErrnoException) => {
      assert.match(String(error.code), /SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/);
      return true;
    });
  });

  it('answers plain HTTP on the HTTPS port with a clear 400 and keeps serving', async () => {
    const plainUrl = server.url.replace(/^https:/, 'http:');
    for (let i = 0; i < 3; i++) {
      const res = await request(`${plainUrl}/api/atlas/v2/orgs`, { headers: { accept: ATLAS_JSON } });
      assert.equal(res.status, 400);
      assert.equal(res.headers['x-error-code'], 'INVALID_REQUEST');
      assert.match(res.json.detail, /use an https:\/\/ URL/);
    }
    const after = await request(`${server.url}/readyz`, { ca });
    assert.equal(after.status, 200);
    assert.equal(server.child.exitCode, null, 'still running');
  });
});

describe('pushlink serve TLS restarts and given certificates (real process)', () => {
  it('reuses the same CA after a restart, so clients keep trusting the server', async () => {
    const dir = tempDir();
    try {
      let server = await startProcess(['serve', '--port', '0', '--data-dir', dir, '--tls', 'self-signed']);
      const files = selfSignedFiles(dir);
      const caBefore = fs.readFileSync(files.caCert, 'utf8');
      const caKeyBefore = fs.readFileSync(files.caKey, 'utf8');
      const serverCertBefore = fs.readFileSync(files.serverCert, 'utf8');
      assert.equal(await server.stop(), 0);

      server = await startProcess(['serve', '--port', '0', '--data-dir', dir, '--tls', 'self-signed']);
      try {
        assert.equal(fs.readFileSync(files.caCert, 'utf8'), caBefore, 'same CA certificate');
        assert.equal(fs.readFileSync(files.caKey, 'utf8'), caKeyBefore, 'same CA key');
        assert.equal(fs.readFileSync(files.serverCert, 'utf8'), serverCertBefore, 'a good server certificate is kept too');
        assert.doesNotMatch(server.output(), /created a local CA/);
        assert.match(server.output(), /curl --cacert/, 'the trust hints are printed on every start');
        // A client that trusted the CA before the restart still connects.
        const res = await request(`${server.url}/readyz`, { ca: caBefore });
        assert.equal(res.status, 200);
      } finally {
        await server.stop();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves a given certificate with --tls-cert/--tls-key (env too) and refuses unusable files', async () => {
    // Certificates made by one self-signed start serve as "the operator's own" files here.
    const source = tempDir();
    const dir = tempDir();
    try {
      const first = await startProcess(['serve', '--port', '0', '--data-dir', source, '--tls', 'self-signed']);
      await first.stop();
      const files = selfSignedFiles(source);
      const server = await startProcess(['serve', '--port', '0', '--data-dir', dir], {
        env: { PUSHLINK_TLS_CERT: files.serverCert, PUSHLINK_TLS_KEY: files.serverKey },
      });
      try {
        assert.match(server.url, /^https:/);
        assert.equal(fs.existsSync(path.join(dir, 'tls')), false, 'no local CA when certificates are given');
        const res = await request(`${server.url}/healthz`, { ca: fs.readFileSync(files.caCert, 'utf8') });
        assert.equal(res.status, 200);
      } finally {
        await server.stop();
      }

      const mismatched = await runCli(['serve', '--port', '0', '--data-dir', dir, '--tls-cert', files.serverCert, '--tls-key', files.caKey]);
      assert.equal(mismatched.code, 1);
      assert.match(mismatched.stderr, /^pushlink: --tls-cert .* with --tls-key .*: .*(mismatch|does not match)/i);
      const missing = await runCli(['serve', '--port', '0', '--data-dir', dir, '--tls-cert', path.join(dir, 'nope.pem'), '--tls-key', files.serverKey]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /^pushlink: --tls-cert .*nope\.pem: ENOENT/);
    } finally {
      fs.rmSync(source, { recursive: true, force: true });
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses inconsistent TLS flags with a message and exit code 1', async () => {
    const dir = tempDir();
    try {
      for (const args of [['--tls', 'yes-please'], ['--tls-cert', 'a.pem'], ['--tls-key', 'a.pem'], ['--tls', 'self-signed', '--tls-cert', 'a.pem', '--tls-key', 'b.pem']]) {
        const res = await runCli(['serve', ...args, '--data-dir', dir]);
        assert.equal(res.code, 1, args.join(' '));
        assert.match(res.stderr, /^pushlink: .*--tls/);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

function fetchWithAgent(url: string, agent: https.Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { agent }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}
