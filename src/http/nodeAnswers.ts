import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { ApiError, apiErrorAsRawHttpResponse } from './errors.js';
import { SECURITY_HEADERS } from './securityHeaders.js';

// Node's HTTP server answers some requests itself, before Fastify sees them, with a bare status
// line and no body: bytes it cannot parse, headers over its limit, a request that arrives too
// slowly ('clientError'), an Expect it does not know ('checkExpectation'), and an HTTP/1.1
// request without Host (requireHostHeader, turned off in app.ts so that publicOrigin.ts refuses it
// as an ApiError). Each of these gets an ApiError here instead, with the headers of every error.

/** What Node would have answered, as an ApiError. */
function clientErrorAsApiError(code: string | undefined): ApiError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new ApiError('REQUEST_HEADER_FIELDS_TOO_LARGE');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new ApiError('REQUEST_TIMEOUT');
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new ApiError('INVALID_REQUEST', ['the chunk extensions are too large']);
    default:
      return new ApiError('INVALID_REQUEST', ['the request could not be parsed as HTTP/1.1']);
  }
}

/** Fastify's clientErrorHandler: errors Node's HTTP parser raises before a request exists. */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // A response already under way cannot be followed by another: the connection just ends.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || inFlight?.headersSent) {
    socket.destroy(error);
    return;
  }
  socket.end(apiErrorAsRawHttpResponse(clientErrorAsApiError(error.code)));
}

/** An `Expect` other than 100-continue: 417 as an ApiError (RFC 9110 §10.1.1). */
export function answerUnmetExpectations(server: Server): void {
  server.on('checkExpectation', (request, response) => {
    const error = new ApiError('EXPECTATION_FAILED', [JSON.stringify(String(request.headers.expect).slice(0, 100))]);
    const body = JSON.stringify(error.body());
    // The client may or may not send its body after a 417: closing keeps the stream in step.
    response.writeHead(error.status, {
      ...SECURITY_HEADERS,
      connection: 'close',
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'x-error-code': error.errorCode,
    });
    response.end(body);
  });
}
