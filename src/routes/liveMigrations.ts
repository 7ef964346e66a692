import type { FastifyPluginAsync } from 'fastify';
import { actorOf } from '../http/actor.js';
import { atlasRequest, type AppContext, type AtlasRouteConfig } from './atlasRequest.js';
import { parseLiveMigrationRequest, type LiveMigrationRequestVersion } from '../domain/liveMigrationRequest.js';
import { changeMigration, createLiveMigration, migrationView, requestCutover, requireMigration } from '../domain/liveMigrations.js';
import { requireValidation, validateLiveMigration, validationStatus } from '../domain/validations.js';
import type { ValidationRecord } from '../store/liveMigrations.js';
import { objectBodySchema } from './schemas.js';

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
const CREATE: AtlasRouteConfig = { ...VALIDATE };
// Reading a migration takes Organization Member (the spec's x-rolesRequirements); cutover, Owner.
const GET_MIGRATION: AtlasRouteConfig = { versions: ['2023-01-01'], group: 'GROUP_READ', rateLimit: 'group' };
const CUTOVER: AtlasRouteConfig = { versions: ['2023-01-01'], group: 'GROUP_ORG_OWNER', rateLimit: 'group' };
// pushlink's own: Atlas has no list of live migrations.
const LIST_OF_ORG: AtlasRouteConfig = { versions: ['2023-01-01'], org: 'ORG_MEMBER' };

interface MigrationParams {
  groupId: string;
  liveMigrationId: string;
}

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
  const { store, clock, config, metrics } = context;
  return async (app) => {
    app.post<{ Body: unknown }>(
      '/groups/:groupId/liveMigrations/validate',
      { onRequest: atlasRequest(context, VALIDATE), schema: { body: objectBodySchema } },
      async (request) => {
        const now = clock.now();
        const group = request.group.group;
        const parsed = parseLiveMigrationRequest(request.body, request.resourceVersion as LiveMigrationRequestVersion, group.id);
        const validation = await validateLiveMigration(store, group.orgId, parsed, { settleMs: config.validationMs, cutoverWindowMs: config.cutoverWindowMs }, now, actorOf(request));
        request.log.info({ groupId: group.id, validationId: validation.id, outcome: validation.outcome }, 'live migration validation started (PENDING)');
        metrics.liveMigrationValidated(validation.outcome);
        return validationView(validation, now);
      },
    );

    app.post<{ Body: unknown }>(
      '/groups/:groupId/liveMigrations',
      { onRequest: atlasRequest(context, CREATE), schema: { body: objectBodySchema } },
      async (request, reply) => {
        const now = clock.now();
        const group = request.group.group;
        const parsed = parseLiveMigrationRequest(request.body, request.resourceVersion as LiveMigrationRequestVersion, group.id);
        const migration = await createLiveMigration(store, group.orgId, parsed, now, config.cutoverWindowMs, actorOf(request));
        request.log.info({ groupId: group.id, liveMigrationId: migration.id, status: 'NEW' }, 'live migration created (NEW)');
        metrics.liveMigrationEntered('NEW');
        return reply.code(201).send(migrationView(migration, now, config.cutoverWindowMs));
      },
    );

    app.get<{ Params: MigrationParams }>('/groups/:groupId/liveMigrations/:liveMigrationId', { onRequest: atlasRequest(context, GET_MIGRATION) }, async (request) =>
      migrationView(await requireMigration(store, request.group.group.id, request.params.liveMigrationId), clock.now(), config.cutoverWindowMs),
    );

    // The digest transport of the Go SDK sends this empty PUT chunked; Node takes it as no body.
    app.put<{ Params: MigrationParams }>('/groups/:groupId/liveMigrations/:liveMigrationId/cutover', { onRequest: atlasRequest(context, CUTOVER) }, async (request, reply) => {
      const now = clock.now();
      await changeMigration(store, request.group.group.id, request.params.liveMigrationId, (m) => requestCutover(m, now, config.cutoverWindowMs), actorOf(request), now, config.cutoverWindowMs);
      request.log.info({ groupId: request.group.group.id, liveMigrationId: request.params.liveMigrationId }, 'live migration cutover requested');
      metrics.liveMigrationEntered('CUTOVER_REQUESTED');
      // The spec's 202 "Accepted.", with no body (a CLI maintainer once saw 204; the SDK takes either).
      return reply.code(202).send();
    });

    app.get<{ Params: { orgId: string } }>('/orgs/:orgId/liveMigrations', { onRequest: atlasRequest(context, LIST_OF_ORG) }, async (request) => {
      const now = clock.now();
      const all = await store.liveMigrations.listMigrations(request.params.orgId);
      return all.map((m) => ({ ...migrationView(m, now, config.cutoverWindowMs), groupId: m.groupId, destinationClusterName: m.destinationClusterName, sourceGroupId: m.sourceGroupId, sourceClusterName: m.sourceClusterName, createdAt: m.createdAt }));
    });

    app.get<{ Params: { validationId: string } }>(
      '/groups/:groupId/liveMigrations/validate/:validationId',
      { onRequest: atlasRequest(context, GET_VALIDATION) },
      async (request) => validationView(await requireValidation(store, request.group.group.id, request.params.validationId), clock.now()),
    );
  };
}
