import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { AuthenticationFailed } from '../auth/principal.js';
import type { ApiError } from '../http/errors.js';

// Prometheus metrics (prom-client). Each app has its own registry, so several apps can live in one
// process (the tests build many); process metrics (CPU, memory, event loop, GC) describe the whole
// process and come from one registry shared by all. Only the HTTP layer and the store's commit
// observer feed these: domain code knows nothing of them.

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

let processRegistry: Registry | undefined;

function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** Route label of requests that matched no route: one series, however many distinct paths are tried. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The reasons /metrics shows. They are coarser than the refusals the authenticator tells apart,
 * because /metrics answers anyone: an unknown key and a wrong private key must count alike (and a
 * revoked, expired or forged token alike), or the counters would tell whether a key or token
 * exists, which the identical 401s keep secret. The fine reason is in the debug log.
 */
export type AuthFailureReason =
  | 'missing_credentials'
  | 'unsupported_scheme'
  | 'bad_digest'
  | 'stale_nonce'
  | 'replayed_nonce'
  | 'bad_jwt'
  | 'invalid_client'
  | 'ip_not_on_access_list'
  | 'org_not_accessible'
  | 'not_org_owner';

const AUTHENTICATION_REASONS: Record<AuthenticationFailed['refusal'], AuthFailureReason> = {
  missing_credentials: 'missing_credentials',
  unsupported_scheme: 'unsupported_scheme',
  malformed: 'bad_digest',
  wrong_realm: 'bad_digest',
  unsupported_algorithm: 'bad_digest',
  unsupported_qop: 'bad_digest',
  uri_mismatch: 'bad_digest',
  forged_nonce: 'bad_digest',
  unknown_key: 'bad_digest',
  bad_response: 'bad_digest',
  // Told only for an answer that is right but late or repeated: the caller learns as much from
  // the challenge's stale=true, and a replay needs a captured right answer to begin with.
  stale_nonce: 'stale_nonce',
  replayed_nonce: 'replayed_nonce',
  malformed_token: 'bad_jwt',
  bad_signature: 'bad_jwt',
  expired_token: 'bad_jwt',
  revoked_token: 'bad_jwt',
  unknown_service_account: 'bad_jwt',
};

/** Refusals that are about who the caller is or what it may do, by ApiError code. */
const ACCESS_REFUSALS: Record<string, AuthFailureReason> = {
  IP_ADDRESS_NOT_ON_ACCESS_LIST: 'ip_not_on_access_list',
  USER_CANNOT_ACCESS_ORG: 'org_not_accessible',
  NOT_ORG_OWNER: 'not_org_owner',
};

export class Metrics {
  readonly registry = new Registry();
  private readonly requestDuration = new Histogram({
    name: 'pushlink_http_request_duration_seconds',
    help: 'HTTP requests by route template, method and status, with their latency (the _count series counts requests)',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly linkTokensIssued = new Counter({
    name: 'pushlink_link_tokens_issued_total',
    help: 'Link-tokens created (including those that replaced an earlier link)',
    registers: [this.registry],
  });
  private readonly linkTokensRotated = new Counter({
    name: 'pushlink_link_tokens_rotated_total',
    help: 'Link-tokens created that replaced the org\'s earlier link (its key stopped working)',
    registers: [this.registry],
  });
  private readonly linkTokensDeleted = new Counter({
    name: 'pushlink_link_tokens_deleted_total',
    help: 'Links deleted through the API (DELETE …/liveMigrations/linkTokens)',
    registers: [this.registry],
  });
  private readonly authFailures = new Counter({
    name: 'pushlink_auth_failures_total',
    help: 'Refused requests by reason: authentication (missing_credentials is the first leg of every digest exchange), OAuth client credentials, access list, org role',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  private readonly rateLimitRejections = new Counter({
    name: 'pushlink_rate_limit_rejections_total',
    help: 'Requests refused with 429 by an Atlas rate limit, by route template',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });
  private readonly liveMigrationTransitions = new Counter({
    name: 'pushlink_live_migration_transitions_total',
    help: 'Live migrations entering a status: NEW on create, then WORKING, READY_FOR_CUTOVER, CUTOVER_REQUESTED, COMPLETE, FAILED as they happen',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  private readonly liveMigrationValidations = new Counter({
    name: 'pushlink_live_migration_validations_total',
    help: 'Live-migration validations, by the outcome they settle to (SUCCESS or FAILED)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly injectedFaults = new Counter({
    name: 'pushlink_injected_faults_total',
    help: 'Calls a fault rule hit (--faults, pushlink fault add), by target (atlas: answers of this server; source: its calls to Atlas), route template and kind (error, latency)',
    labelNames: ['target', 'route', 'kind'] as const,
    registers: [this.registry],
  });
  private readonly commitDuration = new Histogram({
    name: 'pushlink_store_commit_duration_seconds',
    help: 'Time to run one store write transaction (a group commit), before its WAL fsync',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1],
    registers: [this.registry],
  });
  private readonly commitBatchSize = new Histogram({
    name: 'pushlink_store_commit_batch_size',
    help: 'Writes committed together in one store transaction',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [this.registry],
  });

  // prom-client hashes the label set on every observe; the few (route, method, status) series are
  // resolved once and kept (a bounded set: routes and methods are the app's own, statuses few).
  private readonly requestSeries = new Map<string, { observe(value: number): void }>();

  observeRequest(route: string | undefined, method: string, status: number, seconds: number): void {
    const key = `${route ?? UNMATCHED_ROUTE} ${method} ${status}`;
    let series = this.requestSeries.get(key);
    if (!series) {
      series = this.requestDuration.labels({ route: route ?? UNMATCHED_ROUTE, method, status });
      this.requestSeries.set(key, series);
    }
    series.observe(seconds);
  }

  linkTokenIssued(replacedEarlierLink: boolean): void {
    this.linkTokensIssued.inc();
    if (replacedEarlierLink) this.linkTokensRotated.inc();
  }

  liveMigrationEntered(status: 'NEW' | 'WORKING' | 'READY_FOR_CUTOVER' | 'CUTOVER_REQUESTED' | 'COMPLETE' | 'FAILED'): void {
    this.liveMigrationTransitions.inc({ status });
  }

  liveMigrationValidated(outcome: 'SUCCESS' | 'FAILED'): void {
    this.liveMigrationValidations.inc({ outcome });
  }

  faultInjected(target: 'atlas' | 'source', route: string, kind: 'error' | 'latency' | 'migration'): void {
    this.injectedFaults.inc({ target, route, kind });
  }

  linkTokenDeleted(): void {
    this.linkTokensDeleted.inc();
  }

  authFailure(reason: AuthFailureReason): void {
    this.authFailures.inc({ reason });
  }

  /** Counts an ApiError that refused a request for auth or rate-limit reasons; others are not counted here. */
  observeRefusal(error: ApiError, route: string | undefined): void {
    if (error instanceof AuthenticationFailed) this.authFailure(AUTHENTICATION_REASONS[error.refusal]);
    else if (error.errorCode === 'RATE_LIMITED_TOKEN_BUCKET') this.rateLimitRejections.inc({ route: route ?? UNMATCHED_ROUTE });
    else {
      const reason = ACCESS_REFUSALS[error.errorCode];
      if (reason) this.authFailure(reason);
    }
  }

  observeCommit(batchSize: number, commitMs: number): void {
    this.commitBatchSize.observe(batchSize);
    this.commitDuration.observe(commitMs / 1000);
  }

  /** The Prometheus text exposition: this app's metrics, then the process's. */
  async render(): Promise<string> {
    const [own, process] = await Promise.all([this.registry.metrics(), processMetrics().metrics()]);
    return `${own}\n${process}`;
  }
}
