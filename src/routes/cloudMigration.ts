import type { FastifyPluginAsync } from 'fastify';
import { actorOf } from '../http/actor.js';
import { atlasRequest, type AppContext, type AtlasRouteConfig } from './atlasRequest.js';
import { availableProjects } from '../domain/inventory.js';
import { assertNoActiveMigrationUsesLink } from '../domain/liveMigrations.js';
import { issueLinkToken, revokeLink } from '../domain/links.js';
import { markSecret } from '../http/securityHeaders.js';
import { availableProjectsSchema, targetOrgRequestSchema, targetOrgSchema } from './schemas.js';

// Cloud Migration Service, org-scoped operations: the link-token and the projects its link made
// available. All need Organization Owner and share the org's rate-limit bucket; their only
// resource version is 2023-01-01.

const ORG_SCOPED: AtlasRouteConfig = { versions: ['2023-01-01'], org: 'ORG_OWNER', rateLimit: 'cloudMigrationOrg' };

interface OrgParams {
  orgId: string;
}

export function cloudMigrationRoutes(context: AppContext): FastifyPluginAsync {
  const { store, metrics } = context;
  const orgScoped = atlasRequest(context, ORG_SCOPED);
  return async (app) => {
    app.post<{ Params: OrgParams; Body: { accessListIps?: string[] } }>(
      '/orgs/:orgId/liveMigrations/linkTokens',
      {
        onRequest: orgScoped,
        // The official spec says 200; the live service answers 201 Created (every recorded Atlas
        // CLI fixture, 2025-03 to 2026-08). pushlink follows the live service.
        schema: { body: targetOrgRequestSchema, response: { 201: targetOrgSchema } },
      },
      async (request, reply) => {
        // A new link-token replaces the link's key, which running migrations report with.
        await assertNoActiveMigrationUsesLink(store, request.params.orgId, context.clock.now(), context.config.cutoverWindowMs);
        const { linkToken, replacedPublicKey } = await issueLinkToken(store, request.params.orgId, request.body.accessListIps ?? [], context.clock.now(), actorOf(request));
        metrics.linkTokenIssued(replacedPublicKey !== undefined);
        // The token holds the link key's private key.
        return markSecret(reply.code(201)).send({ linkToken });
      },
    );

    app.delete<{ Params: OrgParams }>(
      '/orgs/:orgId/liveMigrations/linkTokens',
      { onRequest: orgScoped },
      async (request, reply) => {
        await assertNoActiveMigrationUsesLink(store, request.params.orgId, context.clock.now(), context.config.cutoverWindowMs);
        await revokeLink(store, request.params.orgId, actorOf(request), context.clock.now());
        metrics.linkTokenDeleted();
        return reply.code(204).send();
      },
    );

    // A bare JSON array (not a paginated list), built from what the linked source last pushed.
    app.get<{ Params: OrgParams }>(
      '/orgs/:orgId/liveMigrations/availableProjects',
      { onRequest: orgScoped, schema: { response: { 200: availableProjectsSchema } } },
      async (request) => availableProjects(store, request.params.orgId),
    );
  };
}
