import type { FastifyPluginAsync } from 'fastify';
import type { Store } from '../store/store.js';

// Liveness and readiness for orchestrators and load balancers, outside the Atlas namespaces: no
// auth, no rate limit, small JSON bodies. /healthz says the process answers; /readyz says it can
// serve Atlas calls now: the store answers and its schema has every step this code needs.

/** A store that has not answered in this long is not ready (a probe must not hang). */
export const READINESS_TIMEOUT_MS = 2000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the store did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** `stores`: every store the process serves from (both sides' with --role both); all must answer. */
export function probeRoutes(stores: readonly Store[]): FastifyPluginAsync {
  return async (app) => {
    app.get('/healthz', async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }));

    app.get('/readyz', async (request, reply) => {
      reply.header('cache-control', 'no-store');
      try {
        await withTimeout(Promise.all(stores.map((store) => store.ping())), READINESS_TIMEOUT_MS);
        return reply.send({ status: 'ready' });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        request.log.warn({ reason }, 'not ready');
        return reply.code(503).send({ status: 'unavailable', reason });
      }
    });
  };
}
