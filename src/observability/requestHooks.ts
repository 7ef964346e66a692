import type { FastifyInstance } from 'fastify';
import { REQUEST_ID_HEADER } from './logging.js';
import type { Metrics } from './metrics.js';

// Per-request observation: the request id goes back in X-Request-Id; when the response is sent,
// its route, method, status and latency feed the metrics and, when the level shows it, one log
// line. Callback hooks, one each way, to keep the hot path short.

declare module 'fastify' {
  interface FastifyRequest {
    /** Client id of a service account that authenticated at /api/oauth/* (bearer calls have `principal`). */
    oauthClientId: string;
  }
}

export function observeRequests(app: FastifyInstance, metrics: Metrics): void {
  app.decorateRequest('oauthClientId', '');
  // The level is fixed for the app's life; when it hides the line, the hook skips building it.
  const logRequests = ['info', 'debug', 'trace'].includes(app.log.level);

  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url;
    metrics.observeRequest(route, request.method, reply.statusCode, reply.elapsedTime / 1000);
    if (logRequests) {
      // The request id is on the line through request.log (Fastify's child logger).
      request.log.info(
        {
          method: request.method,
          route,
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 10) / 10,
          principal: request.principal?.id ?? (request.oauthClientId || undefined),
          remote: request.ip,
        },
        'request',
      );
    }
    done();
  });
}
