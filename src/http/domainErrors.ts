import type { DomainError, DomainErrorKind } from '../domain/errors.js';
import { ApiError, type ErrorName } from './errors.js';

// The domain's refusals as Atlas words them: one entry per DomainErrorKind (the Record makes the
// map exhaustive, so a new kind does not compile until it says which catalogue error it is).

const DOMAIN_TO_API: Record<DomainErrorKind, (error: DomainError) => ApiError> = {
  INVALID_ACCESS_LIST_ENTRY: (e) =>
    new ApiError('INVALID_IP_ADDRESS_OR_CIDR_NOTATION', e.parameters, {
      fields: [{ field: 'accessListIps', description: e.message }],
    }),
  TOO_MANY_ACCESS_LIST_ENTRIES: (e) =>
    new ApiError('VALIDATION_ERROR', [`accessListIps has more than ${String(e.parameters[0])} entries`], {
      fields: [{ field: 'accessListIps', description: e.message }],
    }),
  // An org the caller cannot see answers like one that does not exist: no existence oracle.
  ORG_NOT_FOUND: () => new ApiError('USER_CANNOT_ACCESS_ORG'),
  LINK_NOT_FOUND: () => new ApiError('EXTERNAL_ORG_LINK_NOT_FOUND'),
  API_KEY_NOT_FOUND: (e) => new ApiError('RESOURCE_NOT_FOUND', e.parameters),
  SERVICE_ACCOUNT_NOT_FOUND: (e) => new ApiError('RESOURCE_NOT_FOUND', e.parameters),
  INVALID_ROLE: (e) => new ApiError('INVALID_ATTRIBUTE', ['roles'], { fields: [{ field: 'roles', description: e.message }] }),
  INVALID_NAME: (e) => new ApiError('INVALID_ATTRIBUTE', ['name'], { fields: [{ field: 'name', description: e.message }] }),
  INVALID_LINK_TOKEN: (e) =>
    new ApiError('INVALID_LINK_TOKEN', [e.message.replace(/^invalid link-token: /, '')], {
      fields: [{ field: 'linkToken', description: e.message }],
    }),
  INVALID_INVENTORY: (e) =>
    new ApiError('INVALID_ATTRIBUTE', e.parameters, { fields: [{ field: String(e.parameters[0]), description: e.message }] }),
  SOURCE_PROJECT_NOT_FOUND: (e) => new ApiError('GROUP_NOT_FOUND', e.parameters),
  SOURCE_DEPLOYMENT_NOT_FOUND: (e) => new ApiError('RESOURCE_NOT_FOUND', e.parameters),
  NOT_THE_LINK_KEY: () => new ApiError('ACCESS_FORBIDDEN'),
  INVALID_ATTRIBUTE: (e) => attributeError('INVALID_ATTRIBUTE', e, [String(e.parameters[0])]),
  MISSING_ATTRIBUTE: (e) => attributeError('MISSING_ATTRIBUTE', e, [String(e.parameters[0])]),
  INVALID_ENUM_VALUE: (e) => attributeError('INVALID_ENUM_VALUE', e, [String(e.parameters[0])], String(e.parameters[1])),
  INVALID_GROUP_ID: (e) => new ApiError('INVALID_GROUP_ID', e.parameters),
  GROUP_NOT_FOUND: (e) => new ApiError('GROUP_NOT_FOUND', e.parameters),
  GROUP_NAME_NOT_FOUND: (e) => new ApiError('GROUP_NAME_NOT_FOUND', e.parameters),
  GROUP_ALREADY_EXISTS: (e) => new ApiError('GROUP_ALREADY_EXISTS', e.parameters),
  GROUP_HAS_CLUSTERS: () => new ApiError('CANNOT_CLOSE_GROUP_ACTIVE_ATLAS_CLUSTERS'),
  CLUSTER_NAME_INVALID: (e) => attributeError('CLUSTER_NAME_INVALID', e, e.parameters, 'name'),
  CLUSTER_NAME_TOO_LONG: (e) => attributeError('CLUSTER_NAME_TOO_LONG', e, e.parameters, 'name'),
  ATLAS_RESERVED_CLUSTER_NAME: (e) => attributeError('ATLAS_RESERVED_CLUSTER_NAME', e, e.parameters, 'name'),
  FLEX_CLUSTERS_NOT_SUPPORTED: () => new ApiError('FLEX_CLUSTERS_NOT_SUPPORTED'),
  DUPLICATE_CLUSTER_NAME: (e) => new ApiError('DUPLICATE_CLUSTER_NAME', ['cluster or serverless instance', ...e.parameters]),
  TOO_MANY_CLUSTERS: (e) => new ApiError('TOO_MANY_CLUSTERS', e.parameters),
  CLUSTER_NOT_FOUND: (e) => new ApiError('CLUSTER_NOT_FOUND', e.parameters),
  CLUSTER_ALREADY_REQUESTED_DELETION: (e) => new ApiError('CLUSTER_ALREADY_REQUESTED_DELETION', e.parameters),
  TERMINATION_PROTECTION_ENABLED: (e) => new ApiError('CANNOT_TERMINATE_CLUSTER_WHEN_TERMINATION_PROTECTION_ENABLED', e.parameters),
  CONCURRENT_CLUSTER_CHANGE: (e) => new ApiError('CONCURRENT_CLUSTER_CHANGE', e.parameters),
  // No public source gives a code for an unknown job id; Atlas's generic not-found is the likeliest.
  VALIDATION_NOT_FOUND: (e) => new ApiError('RESOURCE_NOT_FOUND', e.parameters),
  LIVE_MIGRATION_NOT_FOUND: (e) => new ApiError('RESOURCE_NOT_FOUND', e.parameters),
  // Create runs validate's checks; a failing one is the request's fault (Atlas's generic code).
  LIVE_MIGRATION_REFUSED: (e) => new ApiError('VALIDATION_ERROR', e.parameters),
  RUNNING_LIVE_IMPORT: () => new ApiError('CANNOT_MODIFY_CLUSTER_WITH_RUNNING_LIVE_IMPORT'),
  LINK_HAS_ACTIVE_MIGRATION: (e) => new ApiError('CANNOT_DELETE_ORG_ACTIVE_LIVE_MIGRATION_ATLAS_ORG_LINK', e.parameters),
  NOT_READY_FOR_CUTOVER: (e) => new ApiError('LIVE_MIGRATION_NOT_READY_FOR_CUTOVER', e.parameters),
  CUTOVER_ALREADY_REQUESTED: (e) => new ApiError('LIVE_MIGRATION_CUTOVER_ALREADY_REQUESTED', e.parameters),
  LIVE_MIGRATION_ENDED: (e) => new ApiError('LIVE_MIGRATION_ENDED', e.parameters),
};

/** An attribute refusal, naming the attribute (or `field`) in badRequestDetail with the rule in words. */
function attributeError(name: ErrorName, e: DomainError, parameters: unknown[], field = String(e.parameters[0])): ApiError {
  return new ApiError(name, parameters, { fields: [{ field, description: e.message }] });
}

export function apiErrorFromDomain(error: DomainError): ApiError {
  return DOMAIN_TO_API[error.kind](error);
}
