import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors.js';
import type { Metrics } from '../observability/metrics.js';
import { StoreUnavailableError } from '../store/store.js';
import { apiErrorFromDomain } from './domainErrors.js';
import { ApiError, sendApiError, type FieldViolation } from './errors.js';

// The one handler every error thrown while answering goes through: ApiErrors as they are, domain
// errors through the catalogue's exhaustive map, a failed store as 503, Fastify's own errors (body
// parsing, schema validation) as the Atlas error Atlas answers with, and anything else as a logged
// 500 UNEXPECTED_ERROR with no internals in the body.

/** The API app's error and not-found handlers: refusals counted in `metrics`, failures logged. */
export function answerErrorsLikeAtlas(app: FastifyInstance, bodyLimitBytes: number, metrics: Metrics): void {
  app.setErrorHandler((error, request, reply) => {
    const apiError = toApiError(error, bodyLimitBytes, request.headers['content-type']);
    metrics.observeRefusal(apiError, request.routeOptions.url);
    if (apiError.status === 503) request.log.warn({ err: error }, 'store unavailable');
    else if (apiError.status >= 500) request.log.error({ err: error }, 'unexpected error');
    // AuthenticationFailed (auth/, a layer above this one) says why in `refusal`: kept for the log.
    else if (error instanceof ApiError && 'refusal' in error) request.log.debug({ refusal: error.refusal }, 'authentication refused');
    return sendApiError(reply, apiError, request.render?.pretty ?? false);
  });
  app.setNotFoundHandler(answerNotFound);
}

export function answerNotFound(request: FastifyRequest, reply: FastifyReply) {
  return sendApiError(reply, new ApiError('RESOURCE_NOT_FOUND', [request.url.split('?', 1)[0]]));
}

/**
 * Fastify's `frameworkErrors`: errors it raises before routing (an undecodable URL, a path segment
 * over the router's length limit) get an ApiError like everything else.
 */
export function answerFrameworkError(_error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const path = request.raw.url?.split('?', 1)[0] ?? '';
  return sendApiError(reply, new ApiError('INVALID_PATH_PARAMETER', [path.slice(0, 200)]));
}

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  validation?: Array<{ keyword: string; instancePath: string; params: Record<string, unknown>; message?: string }>;
  validationContext?: string;
  message?: string;
}

export function toApiError(error: unknown, bodyLimitBytes: number, contentType: string | undefined): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof DomainError) return apiErrorFromDomain(error);
  if (error instanceof StoreUnavailableError) return new ApiError('SERVICE_UNAVAILABLE');
  const e = (error ?? {}) as FastifyLikeError;
  if (e.validation && e.validation.length > 0) return fromValidation(e.validation);
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError('MALFORMED_JSON');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('INVALID_JSON');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('REQUEST_TOO_LARGE', [bodyLimitBytes]);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('UNSUPPORTED_MEDIA_TYPE', [describeContentType(contentType)]);
  }
  if (error instanceof SyntaxError) return new ApiError('MALFORMED_JSON');
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new ApiError('INVALID_REQUEST', [e.message ?? 'bad request']);
  }
  return new ApiError('UNEXPECTED_ERROR');
}

/** A Content-Type as a refusal names it: quoted and bounded, or "(none)". */
export function describeContentType(contentType: string | undefined): string {
  return contentType ? JSON.stringify(contentType.slice(0, 100)) : '(none)';
}

function fromValidation(
  errors: NonNullable<FastifyLikeError['validation']>,
): ApiError {
  const first = errors[0]!;
  const attribute = first.instancePath.split('/')[1];
  const fields: FieldViolation[] = errors.map((err) => ({
    field: err.instancePath.split('/').filter(Boolean).join('.') || String(err.params.additionalProperty ?? err.params.missingProperty ?? ''),
    description: err.message ?? err.keyword,
  }));
  if (first.keyword === 'additionalProperties') {
    const name = String(first.params.additionalProperty);
    return new ApiError('INVALID_ATTRIBUTE', [name], { fields: [{ field: name, description: 'unknown attribute' }] });
  }
  if (first.keyword === 'required') {
    const name = String(first.params.missingProperty);
    return new ApiError('MISSING_ATTRIBUTE', [name], { fields: [{ field: name, description: 'required attribute' }] });
  }
  if (!attribute) return new ApiError('INVALID_JSON');
  return new ApiError('INVALID_JSON_ATTRIBUTE', [attribute], { fields });
}
