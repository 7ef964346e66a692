import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';

// Trusting one CA for outgoing HTTPS calls (e.g. an Atlas side served with --tls self-signed):
// read the CA file once, check it holds certificates, and hand it to Node's TLS as the only
// trust anchors, the way `curl --cacert` does.

export class TrustedCaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrustedCaError';
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The PEM certificates in `file`; throws TrustedCaError when it cannot be read or holds none. */
export function readTrustedCa(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new TrustedCaError(`cannot read CA file ${file}: ${(error as Error).message}`);
  }
  const certificates = text.match(PEM_CERTIFICATE) ?? [];
  if (certificates.length === 0) throw new TrustedCaError(`CA file ${file} holds no PEM certificate`);
  for (const pem of certificates) {
    try {
      new X509Certificate(pem);
    } catch (error) {
      throw new TrustedCaError(`CA file ${file} holds a certificate that cannot be parsed: ${(error as Error).message}`);
    }
  }
  return certificates;
}

/** An HTTPS agent (keep-alive) that trusts exactly the certificates of `caFile`. */
export function httpsAgentTrusting(caFile: string, options: https.AgentOptions = {}): https.Agent {
  return new https.Agent({ keepAlive: true, ...options, ca: readTrustedCa(caFile) });
}
