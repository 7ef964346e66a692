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

/** Atlas `AvailableClustersDeployment`. */
export const availableDeploymentSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['featureCompatibilityVersion', 'managed', 'mongoDBVersion', 'name', 'sharded', 'tlsEnabled'],
  properties: {
    agentVersion: { type: 'string', maxLength: 64 },
    clusterId: { type: 'string', pattern: '^([a-f0-9]{24})$' },
    dbSizeBytes: { type: 'integer', minimum: 0 },
    featureCompatibilityVersion: { type: 'string', maxLength: 16 },
    managed: { type: 'boolean' },
    mongoDBVersion: { type: 'string', maxLength: 64 },
    name: { type: 'string', maxLength: 64 },
    oplogSizeMB: { type: 'integer', minimum: 0 },
    sharded: { type: 'boolean' },
    shardsSize: { type: 'integer', minimum: 1 },
    tlsEnabled: { type: 'boolean' },
  },
} as const;

/** Atlas `LiveImportAvailableProject`. */
export const availableProjectSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['deployments', 'migrationHosts', 'name', 'projectId'],
  properties: {
    deployments: { type: 'array', maxItems: 1000, items: availableDeploymentSchema },
    migrationHosts: { type: 'array', maxItems: 1000, items: { type: 'string', maxLength: 253 } },
    name: { type: 'string', minLength: 1, maxLength: 64 },
    projectId: { type: 'string', pattern: '^([a-f0-9]{24})$' },
  },
} as const;

export const availableProjectsSchema = { type: 'array', items: availableProjectSchema } as const;

/** The body a source pushes to pushlink's private inventory endpoint. */
export const inventoryPushSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['projects'],
  properties: { projects: { type: 'array', maxItems: 1000, items: availableProjectSchema } },
} as const;

/** Cloud Manager / Ops Manager: `{"linkToken": "…"}`. */
export const migrationLinkRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['linkToken'],
  properties: { linkToken: { type: 'string' } },
} as const;

export const migrationLinkStatusSchema = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', enum: ['SYNCED', 'NOT_SYNCED'] }, reason: { type: 'string' } },
} as const;

/**
 * A body that is a JSON object, whatever it holds: for operations whose attributes the domain
 * checks per resource version (projects, clusters, live migrations), naming each refusal.
 */
export const objectBodySchema = { type: 'object' } as const;
