import { accessListAllows } from '../domain/accessList.js';
import { OBJECT_ID_PATTERN } from '../domain/ids.js';
import { isOrgMember, isOrgOwner } from '../domain/roles.js';
import { ApiError } from '../http/errors.js';
import type { GroupRecord } from '../store/groups.js';
import type { Principal } from './principal.js';

// What an authenticated caller may do: come from an address on its access list, and hold the role
// an operation needs in the org it names.

export type OrgRequirement = 'ORG_MEMBER' | 'ORG_OWNER';
/**
 * Read a project (every org role); change it and what is in it (Organization Owner, refused as
 * USER_UNAUTHORIZED); or an operation the spec gives to Organization Owner by name (the live
 * migrations', refused as NOT_ORG_OWNER, as org-scoped operations are).
 */
export type GroupRequirement = 'GROUP_READ' | 'GROUP_OWNER' | 'GROUP_ORG_OWNER';

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

/**
 * A project is reached through its org: the caller's key or account belongs to that org (checked
 * when the project was looked up: a project of another org is not found) and holds a role in it;
 * changes need Organization Owner, which Atlas's project roles inherit from.
 */
export function authorizeGroup(principal: Principal, group: GroupRecord, requirement: GroupRequirement): void {
  if (principal.orgId !== group.orgId || !isOrgMember(principal.roles)) throw new ApiError('GROUP_NOT_FOUND', [group.id]);
  if (requirement === 'GROUP_OWNER' && !isOrgOwner(principal.roles)) throw new ApiError('USER_UNAUTHORIZED');
  if (requirement === 'GROUP_ORG_OWNER' && !isOrgOwner(principal.roles)) throw new ApiError('NOT_ORG_OWNER', [group.orgId]);
}

/** Creating a project takes Organization Owner or Project Creator in the org the body names. */
export function authorizeGroupCreation(principal: Principal, orgId: string): void {
  if (!OBJECT_ID_PATTERN.test(orgId)) throw new ApiError('INVALID_ORG_ID', [orgId]);
  if (principal.orgId !== orgId || !isOrgMember(principal.roles)) throw new ApiError('USER_CANNOT_ACCESS_ORG');
  if (!isOrgOwner(principal.roles) && !principal.roles.includes('ORG_GROUP_CREATOR')) throw new ApiError('NOT_ORG_GROUP_CREATOR', [orgId]);
}
