import { ORG_ROLES, type OrgRole } from '../store/orgRoles.js';
import { DomainError } from './errors.js';

export function parseOrgRoles(roles: readonly string[]): OrgRole[] {
  if (roles.length === 0) throw new DomainError('INVALID_ROLE', `at least one role is required: ${ORG_ROLES.join(', ')}`);
  for (const role of roles) {
    if (!(ORG_ROLES as readonly string[]).includes(role)) {
      throw new DomainError('INVALID_ROLE', `unknown org role ${role}; one of ${ORG_ROLES.join(', ')}`, [role]);
    }
  }
  return [...new Set(roles)] as OrgRole[];
}

/** Every Atlas org role makes its holder a member of the org (able to read it). */
export function isOrgMember(roles: readonly OrgRole[]): boolean {
  return roles.length > 0;
}

export function isOrgOwner(roles: readonly OrgRole[]): boolean {
  return roles.includes('ORG_OWNER');
}
