import { accessListAllows } from '../domain/accessList.js';
import { OBJECT_ID_PATTERN } from '../domain/ids.js';
import { isOrgMember, isOrgOwner } from '../domain/roles.js';
import { ApiError } from '../http/errors.js';
import type { Principal } from './principal.js';

// What an authenticated caller may do: come from an address on its access list, and hold the role
// an operation needs in the org it names.

export type OrgRequirement = 'ORG_MEMBER' | 'ORG_OWNER';

export function assertAccessListAllows(principal: Principal, clientAddress: string): void {
  if (!accessListAllows(principal.accessList, clientAddress)) {
    throw new ApiError('IP_ADDRESS_NOT_ON_ACCESS_LIST', [clientAddress]);
  }
}

/**
 * API keys and service accounts belong to exactly one org. Any other org id, existing or not,
 * gets the same 401, so no caller can probe which orgs exist.
 */
export function authorizeOrg(principal: Principal, orgId: string, requirement: OrgRequirement): void {
  if (!OBJECT_ID_PATTERN.test(orgId)) throw new ApiError('INVALID_ORG_ID', [orgId]);
  if (principal.orgId !== orgId || !isOrgMember(principal.roles)) throw new ApiError('USER_CANNOT_ACCESS_ORG');
  if (requirement === 'ORG_OWNER' && !isOrgOwner(principal.roles)) throw new ApiError('NOT_ORG_OWNER', [orgId]);
}
