// JSON schemas of the bodies pushlink reads and writes (Fastify validates requests and compiles
// fast serializers for responses from these). Field names are Atlas's.

export const linkSchema = {
  type: 'object',
  properties: { href: { type: 'string' }, rel: { type: 'string' } },
  required: ['href', 'rel'],
} as const;

export const targetOrgRequestSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    accessListIps: { type: 'array', items: { type: 'string' } },
  },
} as const;

export const targetOrgSchema = {
  type: 'object',
  properties: { linkToken: { type: 'string' } },
  required: ['linkToken'],
} as const;

export const organizationSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    isDeleted: { type: 'boolean' },
    links: { type: 'array', items: linkSchema },
    name: { type: 'string' },
  },
  required: ['id', 'isDeleted', 'links', 'name'],
} as const;

export const paginatedOrganizationsSchema = {
  type: 'object',
  properties: {
    links: { type: 'array', items: linkSchema },
    results: { type: 'array', items: organizationSchema },
    totalCount: { type: 'integer' },
  },
  required: ['links', 'results'],
} as const;
