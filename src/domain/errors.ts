// What domain rules refuse, in domain words. The HTTP layer (http/domainErrors.ts) maps each kind to the
// Atlas status and errorCode; the domain never knows about HTTP.

export type DomainErrorKind =
  | 'INVALID_ACCESS_LIST_ENTRY'
  | 'TOO_MANY_ACCESS_LIST_ENTRIES'
  | 'ORG_NOT_FOUND'
  | 'LINK_NOT_FOUND'
  | 'API_KEY_NOT_FOUND'
  | 'SERVICE_ACCOUNT_NOT_FOUND'
  | 'INVALID_ROLE'
  | 'INVALID_NAME'
  | 'INVALID_LINK_TOKEN'
  | 'INVALID_INVENTORY'
  | 'SOURCE_PROJECT_NOT_FOUND'
  | 'SOURCE_DEPLOYMENT_NOT_FOUND'
  | 'NOT_THE_LINK_KEY'
  // Request attributes (projects, clusters): parameters name the attribute, or [value, attribute].
  | 'INVALID_ATTRIBUTE'
  | 'MISSING_ATTRIBUTE'
  | 'INVALID_ENUM_VALUE'
  // Projects
  | 'INVALID_GROUP_ID'
  | 'GROUP_NOT_FOUND'
  | 'GROUP_NAME_NOT_FOUND'
  | 'GROUP_ALREADY_EXISTS'
  | 'GROUP_HAS_CLUSTERS'
  // Clusters
  | 'CLUSTER_NAME_INVALID'
  | 'CLUSTER_NAME_TOO_LONG'
  | 'ATLAS_RESERVED_CLUSTER_NAME'
  | 'FLEX_CLUSTERS_NOT_SUPPORTED'
  | 'DUPLICATE_CLUSTER_NAME'
  | 'TOO_MANY_CLUSTERS'
  | 'CLUSTER_NOT_FOUND'
  | 'CLUSTER_ALREADY_REQUESTED_DELETION'
  | 'TERMINATION_PROTECTION_ENABLED'
  | 'CONCURRENT_CLUSTER_CHANGE'
  // Live migrations
  | 'VALIDATION_NOT_FOUND'
  | 'LIVE_MIGRATION_NOT_FOUND'
  | 'LIVE_MIGRATION_REFUSED'
  | 'RUNNING_LIVE_IMPORT'
  | 'LINK_HAS_ACTIVE_MIGRATION'
  | 'NOT_READY_FOR_CUTOVER'
  | 'CUTOVER_ALREADY_REQUESTED'
  | 'LIVE_MIGRATION_ENDED';

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    readonly parameters: unknown[] = [],
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
