import type { Server } from 'node:http';
import type { FastifyReply } from 'fastify';

// Headers for every answer, set in one place. Every recorded real Atlas response carries these four
// (../shared/reference/atlas-api.md §1.1): they keep a browser from sniffing a JSON answer into a
// page, framing it, or sending its URL on. The 'request' listener runs before Fastify's own, so
// every answer that goes through Fastify has them (routes, errors, 404s, framework errors,
// probes, metrics); the answers pushlink writes on a raw socket copy SECURITY_HEADERS.
//
// Strict-Transport-Security is left out on purpose: pushlink mostly serves plain HTTP, where
// browsers ignore it, or HTTPS on localhost with a local CA, where it would pin every localhost
// port of the browser to HTTPS for a year. A deployment behind a TLS proxy sets it there.

export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'x-permitted-cross-domain-policies': 'none',
});

const ENTRIES = Object.entries(SECURITY_HEADERS);

/** Puts SECURITY_HEADERS on every response of `server`. */
export function sendSecurityHeaders(server: Server): void {
  server.prependListener('request', (_request, response) => {
    for (const [name, value] of ENTRIES) response.setHeader(name, value);
  });
}

/**
 * An answer that carries a secret (a link-token with its private key, an access token): no cache
 * may keep it (RFC 9111 §5.2.2.5), nor an HTTP/1.0 one (Pragma, as RFC 6749 §5.1 asks for tokens).
 */
export function markSecret(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
}
