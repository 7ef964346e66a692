import type { FastifyPluginAsync } from 'fastify';
import { atlasRequest, type AppContext, type AtlasRouteConfig } from './atlasRequest.js';
import { readSourceInventory } from '../domain/inventory.js';
import { completeSourceLink, removeSourceLink, requireSourceLink } from '../domain/sourceLinks.js';
import type { SourceLinkRecord } from '../store/source.js';
import type { LinkSyncer } from '../sync/linkSyncer.js';
import { availableProjectsSchema, migrationLinkRequestSchema, migrationLinkStatusSchema } from './schemas.js';

// The source side: Cloud Manager / Ops Manager's public API (v1.0) for the live-migration link,
// Organization Owner, HTTP Digest. Completing a link pushes the org's inventory to Atlas at once;
// the syncer keeps pushing it. The answer is `{"status": "SYNCED" | "NOT_SYNCED"}`, as Cloud
// Manager's; pushlink adds `reason` when the link is not synced, so users can see why. Deleting the
// link, or replacing it with one for another Atlas org or key, withdraws what it pushed from Atlas.

const MIGRATION_LINK: AtlasRouteConfig = { org: 'ORG_OWNER' };

interface OrgParams {
  orgId: string;
}

function statusView(link: Pick<SourceLinkRecord, 'status' | 'reason'>) {
  return link.status === 'SYNCED' || !link.reason ? { status: link.status } : { status: link.status, reason: link.reason };
}

export function liveExportRoutes(context: AppContext, syncer: LinkSyncer): FastifyPluginAsync {
  const { store } = context;
  const onRequest = atlasRequest(context, MIGRATION_LINK);
  return async (app) => {
    app.post<{ Params: OrgParams; Body: { linkToken: string } }>(
      '/orgs/:orgId/liveExport/migrationLink',
      { onRequest, schema: { body: migrationLinkRequestSchema, response: { 200: migrationLinkStatusSchema } } },
      async (request) => {
        const { link, replaced } = await completeSourceLink(store, request.params.orgId, request.body.linkToken);
        // Called before the push below starts, so it waits only for a push that may carry the old link.
        const withdrawing = replaced && syncer.withdraw(replaced);
        const outcome = await syncer.sync(link.orgId, link.linkId);
        await withdrawing;
        // Another completion may have replaced this link meanwhile: then the org's current link answers.
        return statusView(outcome.linkId === link.linkId ? outcome : await requireSourceLink(store, link.orgId));
      },
    );

    app.get<{ Params: OrgParams }>(
      '/orgs/:orgId/liveExport/migrationLink/status',
      { onRequest, schema: { response: { 200: migrationLinkStatusSchema } } },
      async (request) => statusView(await requireSourceLink(store, request.params.orgId)),
    );

    app.delete<{ Params: OrgParams }>('/orgs/:orgId/liveExport/migrationLink', { onRequest }, async (request, reply) => {
      const link = await requireSourceLink(store, request.params.orgId);
      const withdrawal = await removeSourceLink(store, link);
      // Tried at once, so Atlas usually drops the projects before this answers; the record made
      // with the deletion keeps the syncer trying every interval until Atlas has.
      if (withdrawal) await syncer.withdraw(withdrawal);
      return reply.code(204).send();
    });

    // pushlink's own: what the org would push to Atlas (the same shape availableProjects shows).
    app.get<{ Params: OrgParams }>(
      '/orgs/:orgId/liveExport/inventory',
      { onRequest, schema: { response: { 200: availableProjectsSchema } } },
      async (request) => (await readSourceInventory(store, request.params.orgId)).projects,
    );
  };
}
