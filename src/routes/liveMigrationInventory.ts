import type { FastifyPluginAsync } from 'fastify';
import { actorOf } from '../http/actor.js';
import { atlasRequest, type AppContext, type AtlasRouteConfig } from './atlasRequest.js';
import { receiveInventory, withdrawInventory } from '../domain/inventory.js';
import { failMigrationsOfWithdrawnLink } from '../domain/liveMigrations.js';
import type { AvailableProject } from '../store/links.js';
import { inventoryPushSchema } from './schemas.js';

// pushlink's private endpoint where a linked source (Cloud Manager / Ops Manager) delivers its
// inventory. Atlas's own endpoint for this is not public, so this one does not pretend to be:
// it lives under /api/private. Only the org's current link key may call it (HTTP Digest, from an
// address on the key's access list).

const INVENTORY: AtlasRouteConfig = { org: 'ORG_MEMBER', linkKeyOnly: true };
const MAX_INVENTORY_BYTES = 4 * 1024 * 1024;

interface OrgParams {
  orgId: string;
}

export function liveMigrationInventoryRoutes(context: AppContext): FastifyPluginAsync {
  const { store } = context;
  const onRequest = atlasRequest(context, INVENTORY);
  return async (app) => {
    app.put<{ Params: OrgParams; Body: { projects: AvailableProject[] } }>(
      '/liveMigrations/orgs/:orgId/inventory',
      { onRequest, bodyLimit: MAX_INVENTORY_BYTES, schema: { body: inventoryPushSchema } },
      async (request, reply) => {
        await receiveInventory(store, request.params.orgId, request.principal.apiKeyId!, request.body.projects, context.clock.now(), actorOf(request));
        return reply.code(204).send();
      },
    );

    app.delete<{ Params: OrgParams }>('/liveMigrations/orgs/:orgId/inventory', { onRequest }, async (request, reply) => {
      await withdrawInventory(store, request.params.orgId, request.principal.apiKeyId!, actorOf(request), context.clock.now());
      // The source deleted its link: the migrations it ran have lost their source.
      await failMigrationsOfWithdrawnLink(store, request.params.orgId, context.clock.now(), context.config.cutoverWindowMs, actorOf(request));
      return reply.code(204).send();
    });
  };
}
