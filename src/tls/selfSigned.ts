import crypto, { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import forge from 'node-forge';
import { ConfigError } from '../configError.js';
import { writeFileAtomically } from '../files.js';

// `--tls self-signed`: a local certificate authority in <data-dir>/tls and a server certificate it
// signs for this machine's loopback names. The CA is made once and kept, so a client told to trust
// it (curl --cacert, NODE_EXTRA_CA_CERTS, SSL_CERT_FILE) keeps working across restarts; the server
// certificate is issued again from the same CA whenever it is missing, not the CA's, or near its end.
// node-forge builds and signs the certificates; Node's own X509Certificate checks them.

export const TLS_DIR_NAME = 'tls';
export const SELF_SIGNED_DNS_NAMES = ['localhost'];
export const SELF_SIGNED_IP_ADDRESSES = ['127.0.0.1', '::1'];

const CA_VALIDITY_DAYS = 3650;
/** The longest validity browsers accept for a server certificate. */
const SERVER_VALIDITY_DAYS = 397;
const RENEW_WITHIN_DAYS = 30;
const DAY_MS = 86_400_000;
/** Tolerates clocks of clients a little behind this one. */
const BACKDATE_MS = 5 * 60_000;

export interface SelfSignedFiles {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
}

export interface SelfSignedTls {
  files: SelfSignedFiles;
  /** PEM of the server certificate and its private key, for the HTTPS server. */
  cert: string;
  key: string;
  createdCa: boolean;
  issuedServerCertificate: boolean;
}

export function selfSignedFiles(dataDir: string): SelfSignedFiles {
  const dir = path.join(dataDir, TLS_DIR_NAME);
  return {
    dir,
    caCert: path.join(dir, 'ca.pem'),
    caKey: path.join(dir, 'ca-key.pem'),
    serverCert: path.join(dir, 'server.pem'),
    serverKey: path.join(dir, 'server-key.pem'),
  };
}

interface Pem {
  cert: string;
  key: string;
}

/** Creates what is missing or due, reuses the rest; private keys are written mode 0600. */
export async function ensureSelfSignedTls(dataDir: string, now: Date = new Date()): Promise<SelfSignedTls> {
  const files = selfSignedFiles(dataDir);
  await fs.promises.mkdir(files.dir, { recursive: true, mode: 0o700 });

  let ca = readCa(files);
  const createdCa = ca === undefined;
  if (ca === undefined) {
    ca = createCa(now);
    // Key first: a crash between the two leaves no CA certificate, so the next start makes a new pair.
    await writeFileAtomically(files.caKey, ca.key, 0o600);
    await writeFileAtomically(files.caCert, ca.cert, 0o644);
  }

  let server = readServer(files, ca, now);
  const issuedServerCertificate = server === undefined;
  if (server === undefined) {
    server = issueServerCertificate(ca, now);
    await writeFileAtomically(files.serverKey, server.key, 0o600);
    await writeFileAtomically(files.serverCert, server.cert, 0o644);
  }
  return { files, cert: server.cert, key: server.key, createdCa, issuedServerCertificate };
}

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The kept CA, or undefined when there is none yet. A CA certificate without its key is an error: clients may trust it. */
function readCa(files: SelfSignedFiles): Pem | undefined {
  const cert = readIfExists(files.caCert);
  if (cert === undefined) return undefined;
  const key = readIfExists(files.caKey);
  const problem = (why: string) =>
    new ConfigError(`the local CA in ${files.dir} cannot be used: ${why}; remove ${files.dir} to create a new CA (clients must then trust the new one)`);
  if (key === undefined) throw problem(`${path.basename(files.caKey)} is missing`);
  try {
    const x509 = new X509Certificate(cert);
    if (!x509.ca) throw problem(`${path.basename(files.caCert)} is not a CA certificate`);
    if (!x509.checkPrivateKey(crypto.createPrivateKey(key))) throw problem('its key does not match its certificate');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw problem((error as Error).message);
  }
  return { cert, key };
}

/** The kept server certificate when it is still good: the CA's, with its key, covering our names, not near its end. */
function readServer(files: SelfSignedFiles, ca: Pem, now: Date): Pem | undefined {
  const cert = readIfExists(files.serverCert);
  const key = readIfExists(files.serverKey);
  if (cert === undefined || key === undefined) return undefined;
  try {
    const x509 = new X509Certificate(cert);
    const caX509 = new X509Certificate(ca.cert);
    const good =
      x509.checkIssued(caX509) &&
      x509.verify(caX509.publicKey) &&
      x509.checkPrivateKey(crypto.createPrivateKey(key)) &&
      Date.parse(x509.validTo) - now.getTime() > RENEW_WITHIN_DAYS * DAY_MS &&
      SELF_SIGNED_DNS_NAMES.every((name) => x509.checkHost(name) !== undefined) &&
      SELF_SIGNED_IP_ADDRESSES.every((ip) => x509.checkIP(ip) !== undefined);
    return good ? { cert, key } : undefined;
  } catch {
    return undefined; // unreadable: issue a new one
  }
}

function serialNumber(): string {
  const bytes = crypto.randomBytes(16);
  bytes[0]! &= 0x7f; // a positive INTEGER
  return bytes.toString('hex');
}

function newCertificate(publicKey: forge.pki.PublicKey, now: Date, validityDays: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serialNumber();
  cert.validity.notBefore = new Date(now.getTime() - BACKDATE_MS);
  cert.validity.notAfter = new Date(now.getTime() + validityDays * DAY_MS);
  return cert;
}

function createCa(now: Date): Pem {
  // forge uses Node's native RSA key generation when it is there.
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001 });
  const cert = newCertificate(keys.publicKey, now, CA_VALIDITY_DAYS);
  const name = [
    { name: 'commonName', value: `pushlink local CA (${os.hostname()})` },
    { name: 'organizationName', value: 'pushlink' },
  ];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: forge.pki.privateKeyToPem(keys.privateKey) };
}

function issueServerCertificate(ca: Pem, now: Date): Pem {
  const caCert = forge.pki.certificateFromPem(ca.cert);
  const caKey = forge.pki.privateKeyFromPem(ca.key);
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001 });
  const cert = newCertificate(keys.publicKey, now, SERVER_VALIDITY_DAYS);
  cert.setSubject([
    { name: 'commonName', value: 'localhost' },
    { name: 'organizationName', value: 'pushlink' },
  ]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        ...SELF_SIGNED_DNS_NAMES.map((value) => ({ type: 2, value })),
        ...SELF_SIGNED_IP_ADDRESSES.map((ip) => ({ type: 7, ip })),
      ],
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: forge.pki.privateKeyToPem(keys.privateKey) };
}
