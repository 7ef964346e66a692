import type { Server as TlsServer } from 'node:tls';
import Fastify, { LogController, type FastifyBodyParser, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { AppContext } from './atlasRequest.js';
import type { ServerConfig } from './config.js';
import { AccessTokens } from './auth/oauth.js';
import { Authenticator, AuthenticationFailed, type Principal } from './auth/principal.js';
import { DomainError } from './domain/errors.js';
import { drainBeforeClose } from './http/drain.js';
import { ApiError, apiErrorFromDomain, sendApiError, type FieldViolation } from './http/errors.js';
import { answerClientError, answerUnmetExpectations } from './http/nodeAnswers.js';
import { checkHost } from './http/publicOrigin.js';
import type { RenderOptions } from './http/render.js';
import { sendSecurityHeaders } from './http/securityHeaders.js';
import { REQUEST_JSON_CONTENT_TYPE } from './http/versioning.js';
import { requestIdFor } from './observability/logging.js';
import { Metrics } from './observability/metrics.js';
import { observeRequests } from './observability/requestHooks.js';
import { ControllableClock, wallClock, type Clock } from './domain/clock.js';
import { FaultInjector } from './domain/faultInjector.js';
import { injectFaults } from './http/faultInjection.js';
import { adminRoutes } from './routes/admin.js';
import { cloudMigrationRoutes } from './routes/cloudMigration.js';
import { clusterRoutes } from './routes/clusters.js';
import { eventRoutes } from './routes/events.js';
import { groupRoutes } from './routes/groups.js';
import { liveMigrationAgentRoutes } from './routes/liveMigrationAgent.js';
import { liveMigrationRoutes } from './routes/liveMigrations.js';
import type { GroupWithClusterCount } from './store/groups.js';
import { liveExportRoutes } from './routes/liveExport.js';
import { liveMigrationInventoryRoutes } from './routes/liveMigrationInventory.js';
import { metricsRoute } from './routes/metrics.js';
import { oauthRoutes } from './routes/oauth.js';
import { orgRoutes } from './routes/orgs.js';
import { probeRoutes } from './routes/probes.js';
import { StoreUnavailableError, type Store } from './store/store.js';
import type { FaultAction } from './domain/faults.js';
import { LinkSyncer } from './sync/linkSyncer.js';
import { MigrationAgent } from './sync/migrationAgent.js';
import { answerPlainHttpOnHttpsPort } from './tls/plainHttp.js';

// Builds the Fastify instance from config and store, without listening (tests and the CLI listen).
// One request path: the Atlas checks (atlasRequest.ts) → route (schema-validated body) → domain →
// store. Every refusal is an ApiError rendered by the one error handler. Beside the API:
// /healthz, /readyz and /metrics (routes/probes.ts, routes/metrics.ts).
//
// Roles: `atlas` serves the Atlas Administration API (and pushlink's private inventory endpoint)
// from `store`; `source` serves the Cloud Manager / Ops Manager link API from `store`; `both`
// serves both, the source side from `options.sourceStore`, each side with its own orgs and keys.

export interface BuildAppOptions {
  logger?: FastifyServerOptions['logger'];
  /** With role `both`: the source side's store. */
  sourceStore?: Store;
  /** Serve HTTPS with this certificate and key (PEM). */
  https?: { cert: string; key: string };
  /** The app's metrics; a fresh set when not given. */
  metrics?: Metrics;
  /** Serve GET /metrics on this app (false when a separate metrics listener serves it). */
  serveMetrics?: boolean;
  /** What "now" is for time-dependent rules; from config.clock when not given (the wall clock by default). */
  clock?: Clock;
  /** The fault rules; config.faults when not given. */
  faults?: FaultInjector;
  /** SHA-256 of the local admin token `serve` writes to admin.json; no local admin when not given. */
  adminTokenHash?: Buffer;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The source side's syncer (roles `source` and `both`). */
    linkSyncer: LinkSyncer | null;
    /** Where the source side finds Atlas; with role `both` and no --atlas-url, set once listening. */
    atlasBaseUrl: URL | undefined;
    /** The CA certificates the source side trusts for an https Atlas (--atlas-ca, or role both's own CA). */
    atlasCa: string[] | undefined;
    /** The clock every time-dependent rule of this app reads. */
    clock: Clock;
  }
}

type SharedContext = Pick<AppContext, 'config' | 'metrics' | 'clock' | 'faults' | 'controllableClock' | 'adminTokenHash'>;

async function makeContext(shared: SharedContext, store: Store): Promise<AppContext> {
  const { config, clock } = shared;
  const accessTokens = await AccessTokens.create(store, config.accessTokenTtlSeconds, clock);
  const authenticator = await Authenticator.create(store, accessTokens, { nonceTtlMs: config.nonceTtlMs, clock });
  return { ...shared, store, authenticator, accessTokens };
}

export async function buildApp(config: ServerConfig, store: Store, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const servesAtlas = config.role !== 'source';
  const sourceStore = config.role === 'source' ? store : config.role === 'both' ? options.sourceStore : undefined;
  if (config.role === 'both' && !sourceStore) throw new Error('role both needs a source store');
  const metrics = options.metrics ?? new Metrics();
  const clock = options.clock ?? (config.clock.controllable ? new ControllableClock(config.clock.rate) : wallClock);
  const faults = options.faults ?? new FaultInjector(config.faults);
  const shared: SharedContext = {
    config,
    metrics,
    clock,
    faults,
    controllableClock: clock instanceof ControllableClock ? clock : undefined,
    adminTokenHash: options.adminTokenHash,
  };

  // Fastify types an HTTPS instance apart from an HTTP one; everything here uses what both share.
  // requireHostHeader off: Node would answer a missing Host with an empty 400; checkHost answers it.
  const app = Fastify({
    ...(options.https ? { https: { ...options.https, requireHostHeader: false } } : { http: { requireHostHeader: false } }),
    logger: options.logger ?? false,
    // One log line per request, written by our onResponse hook, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestIdFor,
    bodyLimit: config.bodyLimitBytes,
    // Bodies are validated as sent: no coercion, no silently dropped fields (Atlas refuses unknown ones).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
    // Requests that arrive while closing get drain.ts's ApiError 503, not Fastify's own body.
    return503OnClosing: false,
    clientErrorHandler: answerClientError,
    // Errors Fastify raises before routing (an undecodable URL, a path segment over the router's
    // length limit) get an ApiError like everything else.
    frameworkErrors: (_error, request, reply) => {
      const path = request.raw.url?.split('?', 1)[0] ?? '';
      return sendApiError(reply, new ApiError('INVALID_PATH_PARAMETER', [path.slice(0, 200)]));
    },
    routerOptions: { maxParamLength: 500 },
  }) as unknown as FastifyInstance;
  if (options.https) answerPlainHttpOnHttpsPort(app.server as unknown as TlsServer, app.log);
  sendSecurityHeaders(app.server);
  answerUnmetExpectations(app.server);

  app.decorateRequest('principal', null as unknown as Principal);
  app.decorateRequest('render', null as unknown as RenderOptions);
  app.decorateRequest('resourceVersion', '');
  app.decorateRequest('group', null as unknown as GroupWithClusterCount);

  app.removeContentTypeParser(['text/plain', 'application/json']);
  const parseJson = app.getDefaultJsonParser('error', 'error');
  // An empty body with a JSON type is no body, as clients that send the header on every call
  // (DELETE too) mean it; an operation that needs one refuses it in validation. A path that does
  // not exist is a 404 whatever its body.
  const parseJsonBody: FastifyBodyParser<string> = (request, body, done) => {
    if (body === '' || request.is404) done(null, undefined);
    else parseJson(request, body, done);
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

  app.setErrorHandler((error, request, reply) => {
    const apiError = toApiError(error, config.bodyLimitBytes, request.headers['content-type']);
    metrics.observeRefusal(apiError, request.routeOptions.url);
    if (apiError.status === 503) request.log.warn({ err: error }, 'store unavailable');
    else if (apiError.status >= 500) request.log.error({ err: error }, 'unexpected error');
    else if (error instanceof AuthenticationFailed) request.log.debug({ refusal: error.refusal }, 'authentication refused');
    return sendApiError(reply, apiError, request.render?.pretty ?? false);
  });

  app.setNotFoundHandler((request, reply) =>
    sendApiError(reply, new ApiError('RESOURCE_NOT_FOUND', [request.url.split('?', 1)[0]])),
  );

  observeRequests(app, metrics);
  drainBeforeClose(app);
  app.decorate('publicUrl', config.publicUrl);
  app.addHook('onRequest', checkHost);
  for (const observed of sourceStore && sourceStore !== store ? [store, sourceStore] : [store]) {
    const stopObservingCommits = observed.observeCommits?.((batchSize, commitMs) => metrics.observeCommit(batchSize, commitMs));
    if (stopObservingCommits) app.addHook('onClose', async () => stopObservingCommits());
    // Once, when it happens: from then on every request answers 503 and /readyz says why.
    const stopObservingFailure = observed.observeFailure?.((failure) => app.log.error({ err: failure }, `the store failed: ${failure.message}`));
    if (stopObservingFailure) app.addHook('onClose', async () => stopObservingFailure());
  }

  injectFaults(app, faults, metrics);
  const context = await makeContext(shared, store);
  await app.register(adminRoutes(context), { prefix: '/api/private' });
  if (servesAtlas) {
    await app.register(orgRoutes(context), { prefix: '/api/atlas/v2' });
    await app.register(groupRoutes(context), { prefix: '/api/atlas/v2' });
    await app.register(clusterRoutes(context), { prefix: '/api/atlas/v2' });
    await app.register(liveMigrationRoutes(context), { prefix: '/api/atlas/v2' });
    await app.register(cloudMigrationRoutes(context), { prefix: '/api/atlas/v2' });
    await app.register(eventRoutes(context), { prefix: '/api/atlas/v2' });
    await app.register(liveMigrationInventoryRoutes(context), { prefix: '/api/private' });
    await app.register(liveMigrationAgentRoutes(context), { prefix: '/api/private' });
    await app.register(oauthRoutes(context), { prefix: '/api/oauth' });
  }

  app.decorate('clock', clock);
  app.decorate('atlasBaseUrl', config.atlasUrl);
  app.decorate('atlasCa', config.atlasCa);
  app.decorate('linkSyncer', null);
  if (sourceStore) {
    const sourceContext = sourceStore === store ? context : await makeContext(shared, sourceStore);
    const sourceFaults = {
      injector: faults,
      observe: (action: FaultAction, path: string) => {
        metrics.faultInjected('source', action.route, action.error ? 'error' : 'latency');
        app.log.warn({ faultRule: action.ruleId, path, latencyMs: action.latencyMs, status: action.error?.status }, 'injected fault into a call to Atlas');
      },
    };
    const atlasEndpoint = () => {
      if (!app.atlasBaseUrl) throw new Error('the Atlas URL is not known yet');
      return { baseUrl: app.atlasBaseUrl, timeoutMs: config.syncTimeoutMs, faults: sourceFaults, ...(app.atlasCa ? { ca: app.atlasCa } : {}) };
    };
    const syncer = new LinkSyncer(sourceStore, atlasEndpoint, app.log, config.syncIntervalMs);
    app.linkSyncer = syncer;
    const agent = new MigrationAgent(sourceStore, atlasEndpoint, app.log, config.migrationPollMs, { syncMs: config.migrationSyncMs, cutoverMs: config.migrationCutoverMs }, clock);
    app.addHook('onReady', async () => agent.start());
    app.addHook('onClose', async () => agent.stop());
    await app.register(liveExportRoutes(sourceContext, syncer), { prefix: '/api/public/v1.0' });
    app.addHook('onReady', async () => syncer.start());
    app.addHook('onClose', async () => syncer.stop());
  }
  await app.register(probeRoutes(sourceStore && sourceStore !== store ? [store, sourceStore] : [store]));
  if (options.serveMetrics ?? true) await app.register(metricsRoute(metrics));

  return app;
}

/** A plain-HTTP app serving only GET /metrics, for `--metrics-port`; its errors are ApiErrors too. */
export async function buildMetricsApp(metrics: Metrics): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, http: { requireHostHeader: false }, clientErrorHandler: answerClientError });
  sendSecurityHeaders(app.server);
  answerUnmetExpectations(app.server);
  app.addHook('onRequest', checkHost);
  app.setErrorHandler((error, _request, reply) => sendApiError(reply, toApiError(error, 0, undefined)));
  app.setNotFoundHandler((request, reply) => sendApiError(reply, new ApiError('RESOURCE_NOT_FOUND', [request.url.split('?', 1)[0]])));
  await app.register(metricsRoute(metrics));
  return app;
}

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  validation?: Array<{ keyword: string; instancePath: string; params: Record<string, unknown>; message?: string }>;
  validationContext?: string;
  message?: string;
}

function toApiError(error: unknown, bodyLimitBytes: number, contentType: string | undefined): ApiError {
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

function describeContentType(contentType: string | undefined): string {
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
