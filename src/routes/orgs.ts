import type { FastifyPluginAsync } from 'fastify';
import { atlasRequest, type AppContext, type AtlasRouteConfig } from './atlasRequest.js';
import { requireOrg } from '../domain/orgs.js';
import type { Org } from '../store/orgs.js';
import { paginate, parsePageRequest } from '../http/pagination.js';
import { atlasApiBase as baseUrl } from '../http/links.js';
import { organizationSchema, paginatedOrganizationsSchema } from './schemas.js';

// Organizations: the Atlas docs for Create One Link-Token send users here for their orgId. An API
// key or service account belongs to one org, so that is the one org it can see.

const LIST_ORGS: AtlasRouteConfig = { versions: ['2023-01-01'], allowLinkKey: true };
const GET_ORG: AtlasRouteConfig = { versions: ['2023-01-01'], org: 'ORG_MEMBER', allowLinkKey: true };

function organizationView(org: Org, base: string) {
  return { id: org.id, isDeleted: false, links: [{ href: `${base}/orgs/${org.id}`, rel: 'self' }], name: org.name };
}

export function orgRoutes(context: AppContext): FastifyPluginAsync {
  const { store } = context;
  return async (app) => {
    app.get(
      '/orgs',
      { onRequest: atlasRequest(context, LIST_ORGS), schema: { response: { 200: paginatedOrganizationsSchema } } },
      async (request) => {
        const query = request.query as Record<string, unknown>;
        const page = parsePageRequest(query);
        const org = await store.orgs.getOrg(request.principal.orgId);
        const name = typeof query.name === 'string' ? query.name : undefined;
        const visible = org && (name === undefined || org.name === name) ? [org] : [];
        const base = baseUrl(request);
        return paginate(
          visible.map((o) => organizationView(o, base)),
          page,
          `${base}/orgs`,
        );
      },
    );

    app.get<{ Params: { orgId: string } }>(
      '/orgs/:orgId',
      { onRequest: atlasRequest(context, GET_ORG), schema: { response: { 200: organizationSchema } } },
      async (request) => organizationView(await requireOrg(store, request.params.orgId), baseUrl(request)),
    );
  };
}
