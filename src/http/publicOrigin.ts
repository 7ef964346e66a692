import net from 'node:net';
import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import { parseStrictAddress } from '../domain/accessList.js';
import { ApiError } from './errors.js';

// The one place that decides the origin links in answers start with (`links[].href`):
// 1. `--public-url` when configured: behind a proxy, the Host pushlink sees is not the client's;
// 2. else the request's Host, which checkHost has already held to host[:port] / [IPv6][:port];
// 3. else (HTTP/1.0 may omit Host) the address the connection came in on: the listen address, or
//    with a wildcard --host the concrete local address.
// A Host that is not a valid authority never reaches a route: it would end up in links as given
// (`http://a b/…`), and RFC 9112 §3.2 requires a 400 for it, for a repeated Host and for an
// HTTP/1.1 request without one.

declare module 'fastify' {
  interface FastifyInstance {
    /** `--public-url` (config.publicUrl), decorated once by app.ts. */
    publicUrl: string | undefined;
  }
}

const HOST_NAME_LABELS = /^[A-Za-z0-9_-]{1,63}(\.[A-Za-z0-9_-]{1,63})*\.?$/;
/** A last label that every URL parser (WHATWG) reads as a number, making the name an IPv4 address. */
const NUMERIC_LABEL = /^(\d+|0x[0-9a-f]*)$/i;

function validPort(port: string | undefined): boolean {
  return port === undefined || (/^\d{1,5}$/.test(port) && Number(port) <= 65535);
}

/** host[:port] with a DNS name or IPv4 address, or [IPv6][:port]; addresses in the strict form. */
export function isValidAuthority(authority: string): boolean {
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']');
    if (end < 0) return false;
    const rest = authority.slice(end + 1);
    if (rest !== '' && !rest.startsWith(':')) return false;
    if (parseStrictAddress(authority.slice(1, end))?.kind() !== 'ipv6') return false;
    return validPort(rest === '' ? undefined : rest.slice(1));
  }
  const colon = authority.indexOf(':');
  if (colon !== authority.lastIndexOf(':')) return false;
  const name = colon < 0 ? authority : authority.slice(0, colon);
  if (name.length > 253 || !HOST_NAME_LABELS.test(name)) return false;
  // A name that ends in a number is an IPv4 address: then in the strict form only, so a link means
  // what it looks like (`0x7f.1` would be 127.0.0.1 to a browser).
  const last = name.replace(/\.$/, '').split('.').pop()!;
  if (NUMERIC_LABEL.test(last) && parseStrictAddress(name)?.kind() !== 'ipv4') return false;
  return validPort(colon < 0 ? undefined : authority.slice(colon + 1));
}

/** How many Host lines the request had (Node keeps the first of several in `headers`). */
function hostLines(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') count++;
  }
  return count;
}

/** onRequest hook for every request: a Host that is missing (HTTP/1.1), repeated or invalid is a 400. */
export const checkHost: onRequestHookHandler = (request, _reply, done) => {
  const host = request.headers.host;
  const valid =
    host === undefined ? request.raw.httpVersion === '1.0' : isValidAuthority(host) && hostLines(request.raw.rawHeaders) === 1;
  if (valid) done();
  else done(new ApiError('INVALID_HOST_HEADER', [host === undefined ? '(none)' : JSON.stringify(host.slice(0, 100))]));
};

/** The origin (scheme://authority, and --public-url's path) links in this request's answer start with. */
export function publicBaseUrl(request: FastifyRequest): string {
  const publicUrl = request.server.publicUrl;
  if (publicUrl !== undefined) return publicUrl;
  const host = request.headers.host;
  if (host !== undefined) return `${request.protocol}://${host}`;
  let address = request.socket.localAddress ?? '127.0.0.1';
  if (address.startsWith('::ffff:') && net.isIPv4(address.slice(7))) address = address.slice(7);
  return `${request.protocol}://${address.includes(':') ? `[${address}]` : address}:${request.socket.localPort}`;
}
