import type { FastifyInstance } from 'fastify';
import { ApiError } from './errors.js';

// Stopping without resets. Node's server.close() (which Fastify's close calls) destroys at once
// every connection with no request in progress, among them one just accepted whose request is
// still unread in the socket buffer: its client gets a reset for a request it cannot know was not
// taken. A drain instead keeps listening and answers every request that starts from then on
// 503 SERVICE_UNAVAILABLE with Connection: close; requests in flight finish, and their answers
// close the connection too. It ends once no request is in flight and none has arrived for
// DRAIN_QUIET_MS (after at most DRAIN_MAX_MS), so a client or load balancer that stops after its
// 503 never meets a closed socket; then Fastify's close stops listening, with no idle connection
// left to destroy. A close without a drain (tests, `app.close()`) answers 503 the same way while
// it runs.

/** How long nothing must arrive before the listener closes. */
export const DRAIN_QUIET_MS = 250;
/** The longest a drain keeps accepting (requests in flight are then still waited for by close). */
export const DRAIN_MAX_MS = 10_000;

declare module 'fastify' {
  interface FastifyInstance {
    /** Answers new requests 503 until the server is quiet; call before close(). */
    drain(): Promise<void>;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function drainBeforeClose(app: FastifyInstance): void {
  let draining = false;
  let inFlight = 0;
  let lastArrival = 0;
  const server = app.server;
  server.on('connection', () => {
    lastArrival = Date.now();
  });
  server.prependListener('request', (_request, response) => {
    inFlight++;
    lastArrival = Date.now();
    response.once('close', () => inFlight--);
  });

  app.addHook('onRequest', (_request, _reply, done) => {
    if (draining) done(new ApiError('SERVICE_UNAVAILABLE', [], { headers: { connection: 'close' } }));
    else done();
  });
  // An answer finished during the drain closes its connection: the client's next request then
  // opens a new one, which the drain answers, instead of racing the close of an idle one.
  app.addHook('onSend', (_request, reply, _payload, done) => {
    if (draining) reply.header('connection', 'close');
    done();
  });
  app.addHook('preClose', (done) => {
    draining = true;
    done();
  });

  app.decorate('drain', async () => {
    draining = true;
    const started = Date.now();
    lastArrival = Math.max(lastArrival, started);
    while (Date.now() - started < DRAIN_MAX_MS && (inFlight > 0 || Date.now() - lastArrival < DRAIN_QUIET_MS)) {
      await sleep(20);
    }
  });
}
