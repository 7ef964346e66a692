import crypto from 'node:crypto';

// HTTP Digest (RFC 7616) exactly as Atlas speaks it, for both sides: MD5, qop="auth", realm
// "MMS Public API". The server (auth/digest.ts: nonces, checks) and the client (sync/atlasClient.ts)
// share the wire format and the formula here; the domain keeps a key's HA1 from here too. A leaf:
// it imports nothing of pushlink, so every layer may use it.

/** The realm Atlas's digest challenge names; part of every stored HA1. */
export const DIGEST_REALM = 'MMS Public API';
export const DIGEST_ALGORITHM = 'MD5';

// crypto.hash (Node ≥ 20.12): one call, no Hash object, for the short inputs hashed here.
function md5Hex(value: string): string {
  return crypto.hash('md5', value, 'hex');
}

/** RFC 7616 HA1 for MD5: H(username:realm:password). Stored instead of the private key. */
export function digestHa1(publicKey: string, privateKey: string, realm: string = DIGEST_REALM): string {
  return md5Hex(`${publicKey}:${realm}:${privateKey}`);
}

/** The directives of an `Authorization: Digest …` header. */
export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm?: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
  opaque?: string;
}

/** RFC 7616 §3.4.1 response for MD5 with qop=auth: KD(HA1, nonce:nc:cnonce:qop:H(method:uri)). */
export function digestResponse(ha1: string, method: string, credentials: Omit<DigestCredentials, 'response'> & { response?: string }): string {
  const ha2 = md5Hex(`${method}:${credentials.uri}`);
  return md5Hex(`${ha1}:${credentials.nonce}:${credentials.nc}:${credentials.cnonce}:${credentials.qop}:${ha2}`);
}

// One directive, `name=token` or `name="quoted \"string\""`, and the comma (or end) after it.
const PARAM = /\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s",]+))\s*(,|$)/y;

/**
 * The directives of a `Digest …` header in order (names lower-cased, quoted-pairs unescaped), and
 * whether they span the whole header; undefined when it is not a Digest header at all.
 */
function digestDirectives(header: string): { directives: Array<[string, string]>; complete: boolean } | undefined {
  if (!/^Digest\s/i.test(header)) return undefined;
  const directives: Array<[string, string]> = [];
  PARAM.lastIndex = header.indexOf(' ') + 1;
  while (PARAM.lastIndex < header.length) {
    const start = PARAM.lastIndex;
    const match = PARAM.exec(header);
    if (!match || PARAM.lastIndex === start) return { directives, complete: false };
    directives.push([match[1]!.toLowerCase(), match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3]!]);
    if (match[4] === '') break;
  }
  return { directives, complete: true };
}

const MAX_HEADER_LENGTH = 4096;

/** Server side: parses `Authorization: Digest …`; undefined for anything malformed or duplicated. */
export function parseDigestAuthorization(header: string): DigestCredentials | undefined {
  if (header.length > MAX_HEADER_LENGTH) return undefined;
  const parsed = digestDirectives(header);
  if (!parsed?.complete) return undefined;
  const params = new Map<string, string>();
  for (const [name, value] of parsed.directives) {
    if (params.has(name)) return undefined;
    params.set(name, value);
  }
  const username = params.get('username');
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  const uri = params.get('uri');
  const response = params.get('response');
  if (!username || realm === undefined || !nonce || !uri || !response) return undefined;
  const credentials: DigestCredentials = { username, realm, nonce, uri, response };
  for (const name of ['algorithm', 'qop', 'nc', 'cnonce', 'opaque'] as const) {
    const value = params.get(name);
    if (value !== undefined) credentials[name] = value;
  }
  return credentials;
}

/**
 * Server side: the challenge, byte for byte in Atlas's format. The Go SDK's digest transport splits
 * it on `", "` and rejects any directive besides realm/domain/nonce/opaque/stale/algorithm/qop.
 */
export function digestChallenge(nonce: string, stale: boolean): string {
  return `Digest realm="${DIGEST_REALM}", domain="", nonce="${nonce}", algorithm=${DIGEST_ALGORITHM}, qop="auth", stale=${stale}`;
}

/**
 * Client side: the directives of a `WWW-Authenticate: Digest …` challenge, as far as they parse
 * (a later duplicate wins); undefined when there is no Digest challenge.
 */
export function parseDigestChallenge(header: string | undefined): Record<string, string> | undefined {
  const parsed = header === undefined ? undefined : digestDirectives(header);
  if (!parsed) return undefined;
  return Object.fromEntries(parsed.directives);
}

/** Client side: the signed answer to a challenge's nonce, for one request (qop=auth, MD5). */
export function digestAuthorization(
  ha1: string,
  request: { method: string; uri: string },
  answer: { username: string; nonce: string; nc: string; cnonce: string; opaque?: string },
): string {
  const response = digestResponse(ha1, request.method, { ...answer, realm: DIGEST_REALM, uri: request.uri, qop: 'auth' });
  return (
    `Digest username="${answer.username}", realm="${DIGEST_REALM}", nonce="${answer.nonce}", uri="${request.uri}", ` +
    `response="${response}", algorithm=${DIGEST_ALGORITHM}, qop=auth, nc=${answer.nc}, cnonce="${answer.cnonce}"` +
    (answer.opaque !== undefined ? `, opaque="${answer.opaque}"` : '')
  );
}
