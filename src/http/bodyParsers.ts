import type { FastifyBodyParser, FastifyInstance } from 'fastify';
import { ApiError } from './errors.js';
import { describeContentType } from './errorHandler.js';
import { REQUEST_JSON_CONTENT_TYPE } from './versioning.js';

// Which request bodies an Atlas operation takes: JSON (plain or Atlas's versioned type), or none.

export function parseBodiesLikeAtlas(app: FastifyInstance): void {
  app.removeContentTypeParser(['text/plain', 'application/json']);
  const parseJson = app.getDefaultJsonParser('error', 'error');
  // An empty body with a JSON type is no body, as clients that send the header on every call
  // (DELETE too) mean it; an operation that needs one refuses it in validation. A path that does
  // not exist is a 404 whatever its body.
  const parseJsonBody: FastifyBodyParser<string> = (request, body, done) => {
    if (body === '' || request.is404) done(null, undefined);
    // Fastify's default parser answers through `done`.
    else void parseJson(request, body, done);
  };
  for (const type of ['application/json', REQUEST_JSON_CONTENT_TYPE]) {
    app.addContentTypeParser(type, { parseAs: 'string' }, parseJsonBody);
  }
  // Any other body: refused with 415, except on a path that does not exist, which is a 404 first.
  // An empty body of any type (or none) is no body: the Go SDK's digest transport sends cutover's
  // empty PUT chunked, with no Content-Type. A non-empty one of another type is refused.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body: Buffer, done) => {
    if (request.is404 || body.length === 0) done(null, undefined);
    else done(new ApiError('UNSUPPORTED_MEDIA_TYPE', [describeContentType(request.headers['content-type'])]), undefined);
  });
}
