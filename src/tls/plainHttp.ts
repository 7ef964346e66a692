import type { Socket } from 'node:net';
import type { Server } from 'node:tls';
import type { FastifyBaseLogger } from 'fastify';
import { ApiError, apiErrorAsRawHttpResponse } from '../http/errors.js';

// A client that speaks plain HTTP to the HTTPS port fails the TLS handshake. Instead of a bare
// closed connection ("empty reply"), it gets a 400 saying to use https, written in plain text on
// the raw socket before it closes, as nginx does. Every failed handshake is logged at debug level;
// the server goes on serving.

export function answerPlainHttpOnHttpsPort(server: Server, log: FastifyBaseLogger): void {
  server.on('tlsClientError', (error: Error & { code?: string }, tlsSocket) => {
    log.debug({ remote: tlsSocket.remoteAddress, code: error.code, reason: error.message.trim() }, 'TLS handshake failed');
    if (error.code !== 'ERR_SSL_HTTP_REQUEST') return;
    // The TCP socket under the TLS one. Node does not document it; where it is missing, the
    // connection simply closes as before.
    const raw = (tlsSocket as unknown as { _parent?: Socket })._parent;
    if (!raw?.writable) return;
    raw.end(apiErrorAsRawHttpResponse(new ApiError('INVALID_REQUEST', ['this port speaks HTTPS; use an https:// URL'])));
  });
}
