import type { Server as TlsServer } from 'node:tls';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { ServerConfig } from './config.js';
import { AccessTokens } from './auth/oauth.js';
import { Authenticator } from './auth/principal.js';
import { drainBeforeClose } from './http/drain.js';
import { parseBodiesLikeAtlas } from './http/bodyParsers.js';
import { answerErrorsLikeAtlas, answerFrameworkError, answerNotFound, toApiError } from './http/errorHandler.js';
import { sendApiError } from './http/errors.js';
import { answerClientError, answerUnmetExpectations } from './http/nodeAnswers.js';
import { checkHost } from './http/publicOrigin.js';
import { sendSecurityHeaders } from './http/securityHeaders.js';
import { requestIdFor } from './observability/logging.js';
import { Metrics } from './observability/metrics.js';
import { observeRequests } from './observability/requestHooks.js';
import { observeStores } from './observability/storeHooks.js';
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
import { liveExportRoutes } from './routes/liveExport.js';
import { liveMigrationInventoryRoutes } from './routes/liveMigrationInventory.js';
import { metricsRoute } from './routes/metrics.js';
import { oauthRoutes } from './routes/oauth.js';
import { orgRoutes } from './routes/orgs.js';
import { probeRoutes } from './routes/probes.js';
import { decorateAtlasRequests, type AppContext } from './routes/atlasRequest.js';
import type { Store } from './store/store.js';
import type { FaultAction } from './domain/faults.js';
import { LinkSyncer } from './sync/linkSyncer.js';
import { MigrationAgent } from './sync/migrationAgent.js';
import { answerPlainHttpOnHttpsPort } from './tls/plainHttp.js';

// Builds the Fastify instance from config and store, without listening (tests and the CLI listen):
// composition only. One request path: the Atlas checks (routes/atlasRequest.ts) → route
// (schema-validated body) → domain → store. Every refusal is an ApiError rendered by the one error
// handler (http/errorHandler.ts). Beside the API: /healthz, /readyz and /metrics
// (routes/probes.ts, routes/metrics.ts).
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
    frameworkErrors: answerFrameworkError,
    routerOptions: { maxParamLength: 500 },
  }) as unknown as FastifyInstance;
  if (options.https) answerPlainHttpOnHttpsPort(app.server as unknown as TlsServer, app.log);
  sendSecurityHeaders(app.server);
  answerUnmetExpectations(app.server);

  decorateAtlasRequests(app);
  parseBodiesLikeAtlas(app);
  answerErrorsLikeAtlas(app, config.bodyLimitBytes, metrics);

  observeRequests(app, metrics);
  drainBeforeClose(app);
  app.decorate('publicUrl', config.publicUrl);
  app.addHook('onRequest', checkHost);
  observeStores(app, sourceStore && sourceStore !== store ? [store, sourceStore] : [store], metrics);

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
  app.setNotFoundHandler(answerNotFound);
  await app.register(metricsRoute(metrics));
  return app;
}
