import fs from 'node:fs';
import tls from 'node:tls';
import { ConfigError } from '../configError.js';
import { ensureSelfSignedTls, type SelfSignedTls } from './selfSigned.js';

// The certificate and key the HTTPS server presents, from --tls-cert/--tls-key or --tls self-signed,
// checked before the server starts so a bad file is a clear startup error, not a failed handshake.

/** How the server gets its certificate: given files, or a local CA it keeps in the data dir. */
export type TlsSetting = { kind: 'files'; certFile: string; keyFile: string } | { kind: 'self-signed' };

export interface ServerTls {
  cert: string;
  key: string;
  /** Present with --tls self-signed: where the CA is, and what this start created. */
  selfSigned?: SelfSignedTls;
}

export async function loadServerTls(setting: TlsSetting, dataDir: string): Promise<ServerTls> {
  if (setting.kind === 'self-signed') {
    const selfSigned = await ensureSelfSignedTls(dataDir);
    return { cert: selfSigned.cert, key: selfSigned.key, selfSigned };
  }
  const read = (flag: string, file: string): string => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError(`${flag} ${file}: ${(error as Error).message}`);
    }
  };
  const cert = read('--tls-cert', setting.certFile);
  const key = read('--tls-key', setting.keyFile);
  try {
    // Parses both and checks that the key belongs to the certificate.
    tls.createSecureContext({ cert, key });
  } catch (error) {
    throw new ConfigError(`--tls-cert ${setting.certFile} with --tls-key ${setting.keyFile}: ${(error as Error).message}`);
  }
  return { cert, key };
}

/** What an operator needs to trust the local CA, one line each. */
export function trustInstructions(caFile: string): string[] {
  return [
    `pushlink TLS: certificates from the local CA ${caFile}; to trust it:`,
    `  curl --cacert ${caFile} https://…`,
    `  NODE_EXTRA_CA_CERTS=${caFile} node …`,
    `  SSL_CERT_FILE=${caFile} (OpenSSL-based clients: Go, Python, Ruby, …)`,
  ];
}
