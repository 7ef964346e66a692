// What domain rules refuse, in domain words. The HTTP layer (http/errors.ts) maps each kind to the
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
  | 'NOT_THE_LINK_KEY';

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
