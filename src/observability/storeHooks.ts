import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/store.js';
import type { Metrics } from './metrics.js';

/** Commit batches into metrics, and a failed store into the log, for each store the app serves. */
export function observeStores(app: FastifyInstance, stores: readonly Store[], metrics: Metrics): void {
  for (const observed of stores) {
    const stopObservingCommits = observed.observeCommits?.((batchSize, commitMs) => metrics.observeCommit(batchSize, commitMs));
    if (stopObservingCommits) app.addHook('onClose', async () => stopObservingCommits());
    // Once, when it happens: from then on every request answers 503 and /readyz says why.
    const stopObservingFailure = observed.observeFailure?.((failure) => app.log.error({ err: failure }, `the store failed: ${failure.message}`));
    if (stopObservingFailure) app.addHook('onClose', async () => stopObservingFailure());
  }
}
