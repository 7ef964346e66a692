import type { FastifyPluginAsync } from 'fastify';
import { atlasRequest, type AppContext, type AtlasRouteConfig } from '../atlasRequest.js';
import { parseLiveMigrationRequest, type LiveMigrationRequestVersion } from '../domain/liveMigrationRequest.js';
import { requireValidation, validateLiveMigration, validationStatus } from '../domain/validations.js';
import type { ValidationRecord } from '../store/liveMigrations.js';

// Cloud Migration Service, group-scoped: validate a push live migration and read the validation.
// Organization Owner, the project's rate-limit bucket (Atlas's GROUP scope for these operations).

// Inferred from Atlas's pattern (no recording of these operations exists): Deprecation is the
// release of 2024-05-30, Sunset the spec's x-sunset.
const VALIDATE: AtlasRouteConfig = {
  versions: ['2023-01-01', '2024-05-30'],
  deprecated: { '2023-01-01': { deprecation: '2024-05-30', sunset: '2027-07-01' } },
  group: 'GROUP_ORG_OWNER',
  rateLimit: 'group',
};
const GET_VALIDATION: AtlasRouteConfig = { versions: ['2023-01-01'], group: 'GROUP_ORG_OWNER', rateLimit: 'group' };

/** Atlas's `LiveImportValidation`, keys in its (alphabetical) order; errorMessage once it failed. */
function validationView(validation: ValidationRecord, now: Date) {
  const status = validationStatus(validation, now);
  return {
    _id: validation.id,
    ...(status === 'FAILED' ? { errorMessage: validation.errorMessage } : {}),
    groupId: validation.groupId,
    sourceGroupId: validation.sourceGroupId,
    status,
  };
}

export function liveMigrationRoutes(context: AppContext): FastifyPluginAsync {
  const { store, clock, config } = context;
  return async (app) => {
    app.post<{ Body: unknown }>(
      '/groups/:groupId/liveMigrations/validate',
      { onRequest: atlasRequest(context, VALIDATE), schema: { body: { type: 'object' } } },
      async (request) => {
        const now = clock.now();
        const group = request.group.group;
        const parsed = parseLiveMigrationRequest(request.body, request.resourceVersion as LiveMigrationRequestVersion, group.id);
        const validation = await validateLiveMigration(store, group.orgId, parsed, config.validationMs, now);
        request.log.info({ groupId: group.id, validationId: validation.id, outcome: validation.outcome }, 'live migration validation started (PENDING)');
        return validationView(validation, now);
      },
    );

    app.get<{ Params: { validationId: string } }>(
      '/groups/:groupId/liveMigrations/validate/:validationId',
      { onRequest: atlasRequest(context, GET_VALIDATION) },
      async (request) => validationView(await requireValidation(store, request.group.group.id, request.params.validationId), clock.now()),
    );
  };
}
