import type { FastifyPluginAsync } from 'fastify';
import { METRICS_CONTENT_TYPE, type Metrics } from '../observability/metrics.js';

// GET /metrics in the Prometheus text format, on the API port or on its own (--metrics-port).

export function metricsRoute(metrics: Metrics): FastifyPluginAsync {
  return async (app) => {
    app.get('/metrics', async (_request, reply) =>
      reply.header('content-type', METRICS_CONTENT_TYPE).header('cache-control', 'no-store').send(await metrics.render()),
    );
  };
}
