import type { FastifyReply } from 'fastify';
import { renderJson } from './render.js';
import { SECURITY_HEADERS } from './securityHeaders.js';

// The one place that builds Atlas ApiError bodies. Every refusal pushlink sends comes from this
// catalogue, with the status and errorCode Atlas uses for it (../shared/reference/atlas-api.md §3).
// Where Atlas publishes no code for a case (415, 413), the code is pushlink's own and says so.

interface CatalogueEntry {
  status: number;
  /** The errorCode on the wire; usually the entry's own name. */
  errorCode?: string;
  /** Atlas's detail template; each %s takes the next parameter. */
  detail: string;
  /** `parameters: null` where real Atlas sends null rather than a list. */
  nullParameters?: boolean;
  /**
   * Atlas's digest challenge body, as recorded: always pretty (Jackson), keys in the order
   * error, reason, detail, errorCode, and no parameters (../shared/reference/atlas-api.md §4, §5).
   */
  challengeBody?: boolean;
}

export const ERROR_CATALOGUE = {
  // 400
  MALFORMED_JSON: { status: 400, detail: 'Received JSON is malformed.' },
  INVALID_JSON: { status: 400, detail: 'Received JSON does not match expected format.' },
  INVALID_JSON_ATTRIBUTE: { status: 400, detail: 'Received JSON for the %s attribute does not match expected format.' },
  INVALID_ATTRIBUTE: { status: 400, detail: 'Invalid attribute %s specified.' },
  MISSING_ATTRIBUTE: { status: 400, detail: 'The required attribute %s was not specified.' },
  INVALID_QUERY_PARAMETER: { status: 400, detail: 'Invalid query parameter %s specified.' },
  INVALID_PATH_PARAMETER: { status: 400, detail: 'Invalid path parameter %s specified.' },
  INVALID_IP_ADDRESS_OR_CIDR_NOTATION: { status: 400, detail: 'The address %s must be in valid IP address or CIDR notation.' },
  VALIDATION_ERROR: { status: 400, detail: 'The request content produced the validation error: %s.' },
  INVALID_ENUM_VALUE: { status: 400, detail: 'An invalid enumeration value %s was specified.' },
  CLUSTER_NAME_INVALID: { status: 400, detail: 'The cluster name %s is invalid. A name has ASCII letters, numbers and hyphens, and starts with a letter or number.' },
  CLUSTER_NAME_TOO_LONG: { status: 400, detail: 'The cluster name %s is longer than 64 characters.' },
  ATLAS_RESERVED_CLUSTER_NAME: { status: 400, detail: 'The cluster name %s is reserved.' },
  // Recorded (atlas CLI snapshot TestFlexCluster, 2025-06-20): the first parameter names the kind.
  DUPLICATE_CLUSTER_NAME: { status: 400, detail: 'A %s named %s is already present in group %s.' },
  CLUSTER_ALREADY_REQUESTED_DELETION: { status: 400, detail: 'The cluster %s has already been requested for deletion.' },
  // Recorded (atlas CLI snapshot TestClustersFlags, 2026-08-10): a detail without placeholders and one parameter.
  CANNOT_TERMINATE_CLUSTER_WHEN_TERMINATION_PROTECTION_ENABLED: {
    status: 400,
    detail: 'Cannot terminate a cluster when termination protection is enabled. Disable termination protection and try again.',
  },
  // pushlink's own: Atlas documents the limit of 25 but no code for reaching it.
  TOO_MANY_CLUSTERS: { status: 400, detail: 'Group %s already has the maximum of 25 clusters.' },
  // pushlink's own: a Flex cluster cannot be a live-migration destination, so pushlink serves none.
  FLEX_CLUSTERS_NOT_SUPPORTED: {
    status: 400,
    detail: 'pushlink serves no Flex clusters (M2, M5, FLEX): a Flex cluster cannot be a live-migration destination. Create a dedicated cluster (M10 or larger), or an M0.',
  },
  // pushlink's own: what is wrong with a pasted link-token, in words.
  INVALID_LINK_TOKEN: { status: 400, detail: 'The link-token is invalid: %s.' },
  // pushlink's own (its admin endpoints): a fault rule that cannot be run, naming the field.
  INVALID_FAULT_RULE: { status: 400, detail: 'The fault rule is invalid: %s.' },
  // A request Node or Fastify could not take apart at all; pushlink's own code.
  INVALID_REQUEST: { status: 400, detail: 'The request is invalid: %s.' },
  // A Host header that is missing (HTTP/1.1), repeated or not host[:port] (RFC 9112 §3.2).
  // pushlink's own, in Atlas's INVALID_<what>_PARAMETER style: Atlas's edge answers these itself.
  INVALID_HOST_HEADER: { status: 400, detail: 'Invalid Host header %s specified.' },
  // 401
  NOT_AUTHORIZED: { status: 401, errorCode: 'UNEXPECTED_ERROR', detail: 'You are not authorized for this resource.', challengeBody: true },
  USER_CANNOT_ACCESS_ORG: { status: 401, detail: 'User cannot access this organization.' },
  USER_UNAUTHORIZED: { status: 401, detail: 'Current user is not authorized to perform this action.' },
  NOT_ORG_GROUP_CREATOR: {
    status: 401,
    detail: 'The currently logged in user does not have the group creator role in organization %s.',
  },
  NOT_ORG_OWNER: {
    status: 401,
    detail: 'The currently logged in user does not have the owner role in organization %s.',
  },
  // 403
  IP_ADDRESS_NOT_ON_ACCESS_LIST: { status: 403, detail: 'IP address %s is not allowed to access this resource.' },
  ACCESS_FORBIDDEN: { status: 403, detail: 'Access to this resource is forbidden for current user.' },
  // 404
  RESOURCE_NOT_FOUND: { status: 404, detail: 'Cannot find resource %s.' },
  INVALID_ORG_ID: { status: 404, detail: 'An invalid organization ID %s was specified.' },
  GROUP_NOT_FOUND: { status: 404, detail: 'No group with ID %s exists.' },
  INVALID_GROUP_ID: { status: 404, detail: 'An invalid group ID %s was specified.' },
  GROUP_NAME_NOT_FOUND: { status: 404, detail: 'No group with name %s exists.' },
  CLUSTER_NOT_FOUND: { status: 404, detail: 'No cluster named %s exists in group %s.' },
  EXTERNAL_ORG_LINK_NOT_FOUND: {
    status: 404,
    errorCode: 'UNEXPECTED_ERROR',
    detail: 'Could not find the requested external organization link.',
    nullParameters: true,
  },
  // 406
  INVALID_VERSION_DATE: { status: 406, detail: 'Invalid accept header or version date.' },
  // 409
  // Recorded (CloudFormation issue #847, 2023-12): no quotes around the name, unlike the docs' template.
  GROUP_ALREADY_EXISTS: { status: 409, detail: 'A group with name %s already exists.' },
  CANNOT_CLOSE_GROUP_ACTIVE_ATLAS_CLUSTERS: {
    status: 409,
    detail: 'Cannot close group while it has active clusters; please terminate all clusters.',
  },
  // Documented (Atlas API errors page): a destination cluster with a migration running into it.
  CANNOT_MODIFY_CLUSTER_WITH_RUNNING_LIVE_IMPORT: { status: 409, detail: 'Cannot modify a cluster with a running live import.' },
  // The spec's 409 example for the org link.
  CANNOT_DELETE_ORG_ACTIVE_LIVE_MIGRATION_ATLAS_ORG_LINK: {
    status: 409,
    detail: 'Cannot delete organization link while there is active migration in following project ids: %s',
  },
  // pushlink's own: no public source gives Atlas's answers to a cutover it cannot start. 400, the
  // one refusal status the spec declares for cutover besides auth and not-found.
  LIVE_MIGRATION_NOT_READY_FOR_CUTOVER: { status: 400, detail: 'Live migration %s is not ready for cutover yet; wait for readyForCutover.' },
  LIVE_MIGRATION_CUTOVER_ALREADY_REQUESTED: { status: 400, detail: 'Cutover of live migration %s was already requested.' },
  LIVE_MIGRATION_ENDED: { status: 400, detail: 'Live migration %s is %s: it can no longer be cut over.' },
  // pushlink's own (its admin endpoints): the server runs on the wall clock (no --clock controllable).
  CLOCK_NOT_CONTROLLABLE: { status: 409, detail: 'This server runs on the wall clock; start it with --clock controllable (or --clock-rate) to move its clock.' },
  // pushlink's own: a cluster changed under an update more often than it retries.
  CONCURRENT_CLUSTER_CHANGE: { status: 409, detail: 'The cluster %s changed while it was being updated; try again.' },
  // 408, 413, 415, 417, 431: no published Atlas code; pushlink's own.
  REQUEST_TIMEOUT: { status: 408, detail: 'The request was not received in time.' },
  REQUEST_TOO_LARGE: { status: 413, detail: 'The request body is larger than the limit of %s bytes.' },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    detail: 'Content type %s is not supported; send application/json or application/vnd.atlas.<date>+json.',
  },
  EXPECTATION_FAILED: { status: 417, detail: 'The expectation %s is not supported; only 100-continue is.' },
  REQUEST_HEADER_FIELDS_TOO_LARGE: { status: 431, detail: 'The request headers are too large.' },
  // 429
  RATE_LIMITED_TOKEN_BUCKET: {
    status: 429,
    detail: 'Rate limit exceeded for %s. Please retry after %s seconds. Request capacity: %s. Refill rate: %s per %s seconds.',
  },
  // 500
  UNEXPECTED_ERROR: { status: 500, detail: 'Unexpected error.' },
  // 503: the store cannot serve (its database does not answer in time, or it stopped after a
  // failed fsync). No published Atlas code; pushlink's own. No internals in the body: they are logged.
  SERVICE_UNAVAILABLE: { status: 503, detail: 'The service is temporarily unavailable.' },
} satisfies Record<string, CatalogueEntry>;

export type ErrorName = keyof typeof ERROR_CATALOGUE;

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  417: 'Expectation Failed',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export interface FieldViolation {
  field: string;
  description: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly errorCode: string;
  readonly detail: string;
  readonly parameters: unknown[] | null;
  readonly reason: string;
  /** Extra response headers (WWW-Authenticate, Retry-After, …). */
  readonly headers: Record<string, string>;
  readonly fields: FieldViolation[] | undefined;
  /** Rendered pretty whatever the request asked (the challenge body). */
  readonly alwaysPretty: boolean;

  constructor(
    /** A catalogue entry by name, or (only for injected faults, whose code the user chose) one of its own. */
    name: ErrorName | (CatalogueEntry & { errorCode: string }),
    parameters: unknown[] = [],
    options: { headers?: Record<string, string>; fields?: FieldViolation[] } = {},
  ) {
    const entry: CatalogueEntry = typeof name === 'string' ? ERROR_CATALOGUE[name] : name;
    let index = 0;
    const detail = entry.detail.replace(/%s/g, () => String(parameters[index++] ?? ''));
    super(detail);
    this.name = 'ApiError';
    this.status = entry.status;
    this.errorCode = entry.errorCode ?? (name as ErrorName);
    this.detail = detail;
    this.parameters = entry.nullParameters ? null : parameters;
    this.reason = REASONS[entry.status] ?? 'Error';
    this.headers = options.headers ?? {};
    this.fields = options.fields;
    this.alwaysPretty = entry.challengeBody === true;
  }

  /** The ApiError body, keys in Atlas's (alphabetical) order, or the challenge body's own. */
  body(): Record<string, unknown> {
    if (this.alwaysPretty) return { error: this.status, reason: this.reason, detail: this.detail, errorCode: this.errorCode };
    return {
      ...(this.fields ? { badRequestDetail: { fields: this.fields } } : {}),
      detail: this.detail,
      error: this.status,
      errorCode: this.errorCode,
      parameters: this.parameters,
      reason: this.reason,
    };
  }
}

/** Sends an ApiError: JSON (never versioned), X-Error-Code, compact unless pretty was asked for. */
export function sendApiError(reply: FastifyReply, error: ApiError, pretty = false): FastifyReply {
  reply.code(error.status);
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  reply.header('x-error-code', error.errorCode);
  reply.header('content-type', 'application/json');
  // A Buffer skips any per-request serializer (envelope/pretty apply to entities, not to errors).
  return reply.send(Buffer.from(renderJson(error.body(), pretty || error.alwaysPretty)));
}

const RAW_SECURITY_HEADERS = Object.entries(SECURITY_HEADERS).map(([name, value]) => `${name}: ${value}\r\n`).join('');

/**
 * An ApiError as a whole HTTP/1.1 response, for the few places that answer on a raw socket
 * before any request exists (unparsable HTTP, plain HTTP on the HTTPS port); the connection closes.
 * It carries what every other error does, the security headers included.
 */
export function apiErrorAsRawHttpResponse(error: ApiError): string {
  const body = JSON.stringify(error.body());
  return (
    `HTTP/1.1 ${error.status} ${error.reason}\r\n` +
    'Connection: close\r\n' +
    'Content-Type: application/json\r\n' +
    `X-Error-Code: ${error.errorCode}\r\n` +
    RAW_SECURITY_HEADERS +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n` +
    body
  );
}
