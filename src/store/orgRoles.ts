// The org roles an API key or service account holds (Atlas's organization roles), for both.

export const ORG_ROLES = [
  'ORG_OWNER',
  'ORG_MEMBER',
  'ORG_READ_ONLY',
  'ORG_GROUP_CREATOR',
  'ORG_BILLING_ADMIN',
] as const;
export type OrgRole = (typeof ORG_ROLES)[number];
