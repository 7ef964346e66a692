import type { FastifyPluginAsync } from 'fastify';
import { actorOf } from '../http/actor.js';
import { atlasRequest, type AppContext, type AtlasRouteConfig } from './atlasRequest.js';
import { activeMigrations, agentJobView, reportProgress, type MigrationReport } from '../domain/liveMigrations.js';

// pushlink's private endpoints where the source side's migration host picks up the org's running
// live migrations and reports their progress, as the real migration host's agent reports to Atlas
// (whose endpoints for this are not public). Only the org's current link key may call them.

const AGENT: AtlasRouteConfig = { org: 'ORG_MEMBER', linkKeyOnly: true };

const reportSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['status', 'lagTimeSeconds', 'readyForCutover'],
  properties: {
    status: { type: 'string', enum: ['WORKING', 'FAILED', 'COMPLETE'] },
    lagTimeSeconds: { type: ['integer', 'null'], minimum: 0, maximum: 31_536_000 },
    readyForCutover: { type: 'boolean' },
    errorMessage: { type: 'string', maxLength: 1000 },
  },
} as const;

export function liveMigrationAgentRoutes(context: AppContext): FastifyPluginAsync {
  const { store, clock, config, metrics, faults } = context;
  const onRequest = atlasRequest(context, AGENT);
  return async (app) => {
    app.get<{ Params: { orgId: string } }>('/liveMigrations/orgs/:orgId/jobs', { onRequest }, async (request) =>
      (await activeMigrations(store, request.params.orgId, clock.now(), config.cutoverWindowMs)).map(agentJobView),
    );

    app.put<{ Params: { orgId: string; jobId: string }; Body: MigrationReport }>(
      '/liveMigrations/orgs/:orgId/jobs/:jobId',
      { onRequest, schema: { body: reportSchema } },
      async (request, reply) => {
        const { before, after, faultRuleId } = await reportProgress(
          store, request.params.orgId, request.params.jobId, request.body, clock.now(), config.cutoverWindowMs, faults.migrationRules(), actorOf(request),
        );
        if (faultRuleId !== undefined) {
          metrics.faultInjected('atlas', 'liveMigration', 'migration');
          // A pinned lag reshapes every poll's report: logged when it changes the job, not every second.
          const level = after.revision !== before.revision ? 'warn' : 'debug';
          request.log[level]({ faultRule: faultRuleId, liveMigrationId: after.id }, 'injected fault into a live migration report');
        }
        // One log line and one count per state change.
        const ready = after.readyAt !== null && after.status === 'WORKING';
        if (before.status !== after.status) {
          request.log.info({ groupId: after.groupId, liveMigrationId: after.id, status: after.status }, `live migration ${after.status}`);
          if (after.status !== 'NEW') metrics.liveMigrationEntered(after.status);
        }
        if (before.readyAt === null && after.readyAt !== null && ready) {
          request.log.info({ groupId: after.groupId, liveMigrationId: after.id, readyForCutover: true }, 'live migration ready for cutover: the cutover window starts');
          metrics.liveMigrationEntered('READY_FOR_CUTOVER');
        }
        return reply.code(204).send();
      },
    );
  };
}
