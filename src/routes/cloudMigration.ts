import type { FastifyPluginAsync } from 'fastify';
import { atlasRequest, type AppContext, type AtlasRouteConfig } from '../atlasRequest.js';
import { issueLinkToken, revokeLink } from '../domain/links.js';
import { targetOrgRequestSchema, targetOrgSchema } from './schemas.js';

// Cloud Migration Service, org-scoped link-token operations. Both need Organization Owner and
// share the org's rate-limit bucket; their only resource version is 2023-01-01.

const LINK_TOKENS: AtlasRouteConfig = { versions: ['2023-01-01'], org: 'ORG_OWNER', rateLimit: 'cloudMigrationOrg' };

interface OrgParams {
  orgId: string;
}

export function cloudMigrationRoutes(context: AppContext): FastifyPluginAsync {
  const { store, metrics } = context;
  const linkTokens = atlasRequest(context, LINK_TOKENS);
  return async (app) => {
    app.post<{ Params: OrgParams; Body: { accessListIps?: string[] } }>(
      '/orgs/:orgId/liveMigrations/linkTokens',
      {
        onRequest: linkTokens,
        // The official spec says 200; the live service answers 201 Created (every recorded Atlas
        // CLI fixture, 2025-03 to 2026-08). pushlink follows the live service.
        schema: { body: targetOrgRequestSchema, response: { 201: targetOrgSchema } },
      },
      async (request, reply) => {
        const { linkToken, replacedPublicKey } = await issueLinkToken(store, request.params.orgId, request.body.accessListIps ?? []);
        metrics.linkTokenIssued(replacedPublicKey !== undefined);
        return reply.code(201).send({ linkToken });
      },
    );

    app.delete<{ Params: OrgParams }>(
      '/orgs/:orgId/liveMigrations/linkTokens',
      { onRequest: linkTokens },
      async (request, reply) => {
        await revokeLink(store, request.params.orgId);
        metrics.linkTokenDeleted();
        return reply.code(204).send();
      },
    );
  };
}
