import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FaultInjector } from '../domain/faultInjector.js';
import type { FaultAction, FaultAuth } from '../domain/faults.js';
import type { Metrics } from '../observability/metrics.js';
import { ApiError } from './errors.js';

// Applies the server's fault rules to the answers it gives: after the Atlas checks of the route
// (so "the third link-token create" counts calls that would have been served, not digest
// challenges), before its handler. An injected answer is an ordinary Atlas ApiError; only the log
// line and pushlink_injected_faults_total tell it apart. pushlink's own admin endpoints are never
// faulted, so a rule cannot lock its author out.

export const ADMIN_PREFIX = '/api/private/pushlink';

/** The injected ApiError for `action`, with Retry-After when the rule gives one. */
export function injectedApiError(error: NonNullable<FaultAction['error']>, path: string): ApiError {
  const detail =
    error.detail ??
    (error.status === 429
      ? `Rate limit exceeded for ${path}. Please retry after ${error.retryAfter ?? 60} seconds.`
      : error.status >= 500
        ? 'Unexpected error.'
        : `The request to ${path} was refused.`);
  return new ApiError(
    // A user's own detail is sent as written (a %s in it is not a placeholder).
    { status: error.status, errorCode: error.errorCode, detail: detail.replace(/%s/g, '% s') },
    [],
    error.retryAfter === undefined ? {} : { headers: { 'retry-after': String(error.retryAfter) } },
  );
}

function authOf(request: FastifyRequest): FaultAuth | undefined {
  const principal = request.principal;
  if (!principal) return undefined;
  if (principal.isLinkKey) return 'linkKey';
  return principal.type === 'API_KEY' ? 'digest' : 'bearer';
}

export function injectFaults(app: FastifyInstance, faults: FaultInjector, metrics: Metrics): void {
  // A callback hook, not an async one: with no rule (the usual case) a request pays one check,
  // not a promise and a microtask.
  app.addHook('preHandler', (request, _reply, done) => {
    const route = request.routeOptions.url;
    if (faults.isEmpty() || route === undefined || route.startsWith(ADMIN_PREFIX)) return done();
    const path = request.url.split('?', 1)[0]!;
    const action = faults.forCall({ target: 'atlas', method: request.method, path, auth: authOf(request), orgId: request.principal?.orgId });
    if (!action) return done();
    metrics.faultInjected('atlas', route, action.error ? 'error' : 'latency');
    request.log.warn({ faultRule: action.ruleId, latencyMs: action.latencyMs, status: action.error?.status }, 'injected fault');
    const answer = () => done(action.error ? injectedApiError(action.error, path) : undefined);
    if (action.latencyMs > 0) setTimeout(answer, action.latencyMs);
    else answer();
  });
}
