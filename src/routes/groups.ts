import type { FastifyPluginAsync } from 'fastify';
import { actorOf } from '../http/actor.js';
import { atlasRequest, type AppContext, type AtlasRouteConfig } from './atlasRequest.js';
import { authorizeGroupCreation } from '../auth/authorize.js';
import { DomainError } from '../domain/errors.js';
import { createGroup, deleteGroup, requireGroupByName, updateGroup, type GroupChanges } from '../domain/groups.js';
import { OBJECT_ID_PATTERN } from '../domain/ids.js';
import { ApiError } from '../http/errors.js';
import { atlasApiBase } from '../http/links.js';
import { paginate, parsePageRequest } from '../http/pagination.js';
import { objectBodySchema } from './schemas.js';
import type { GroupWithClusterCount } from '../store/groups.js';
import { groupView } from './views/groupView.js';

// Projects (groups), version 2023-01-01 only. Reading takes any org role (the org's link key
// may read too: the source side's user picks a destination project); creating takes Organization
// Owner or Project Creator; changing and deleting take Organization Owner.

const V1 = ['2023-01-01'] as const;
const LIST: AtlasRouteConfig = { versions: V1, allowLinkKey: true };
const CREATE: AtlasRouteConfig = { versions: V1 };
const READ: AtlasRouteConfig = { versions: V1, group: 'GROUP_READ', allowLinkKey: true };
const CHANGE: AtlasRouteConfig = { versions: V1, group: 'GROUP_OWNER' };
const LIST_OF_ORG: AtlasRouteConfig = { versions: V1, org: 'ORG_MEMBER', allowLinkKey: true };

/** Attributes of `Group` a create may carry besides the ones it sets: read-only fields SDK models echo. */
const ECHOED_ON_CREATE = new Set(['id', 'clusterCount', 'created', 'links']);
const SETTABLE = new Set(['name', 'orgId', 'tags', 'withDefaultAlertsSettings']);
const UPDATABLE = new Set(['name', 'tags', 'withDefaultAlertsSettings']);

/**
 * Refuses attributes a project does not have. `regionUsageRestrictions` is Atlas for Government's:
 * commercial Atlas takes only its default (COMMERCIAL_FEDRAMP_REGIONS_ONLY), and so does pushlink.
 */
function checkAttributes(body: Record<string, unknown>, allowed: Set<string>, echoed: Set<string>): void {
  for (const [attribute, value] of Object.entries(body)) {
    if (attribute === 'regionUsageRestrictions' && (value === 'COMMERCIAL_FEDRAMP_REGIONS_ONLY' || value === null)) continue;
    if (!allowed.has(attribute) && !echoed.has(attribute)) {
      throw new DomainError('INVALID_ATTRIBUTE', `${attribute} is not an attribute pushlink's projects take`, [attribute]);
    }
  }
}

export function groupRoutes(context: AppContext): FastifyPluginAsync {
  const { store, clock } = context;
  const groups = store.groups;
  const list = (rows: GroupWithClusterCount[], query: Record<string, unknown>, base: string, path: string) => {
    const page = parsePageRequest(query);
    return paginate(rows.map((row) => groupView(row, base, 'listed')), page, `${base}${path}`, `includeCount=${page.includeCount}&`);
  };

  return async (app) => {
    app.get('/groups', { onRequest: atlasRequest(context, LIST) }, async (request) => {
      const base = atlasApiBase(request);
      return list(await groups.listGroups(request.principal.orgId, clock.now().toISOString()), request.query as Record<string, unknown>, base, '/groups');
    });

    app.post<{ Body: Record<string, unknown>; Querystring: { projectOwnerId?: string } }>(
      '/groups',
      { onRequest: atlasRequest(context, CREATE), schema: { body: objectBodySchema } },
      async (request, reply) => {
        const ownerId = request.query.projectOwnerId;
        // There are no Atlas users in pushlink to own a project: the id is checked, then unused.
        if (ownerId !== undefined && !OBJECT_ID_PATTERN.test(ownerId)) throw new ApiError('INVALID_QUERY_PARAMETER', ['projectOwnerId']);
        const body = request.body;
        checkAttributes(body, SETTABLE, ECHOED_ON_CREATE);
        if (body.orgId === undefined || body.orgId === null) throw new DomainError('MISSING_ATTRIBUTE', 'a project needs an orgId', ['orgId']);
        if (typeof body.orgId !== 'string') throw new DomainError('INVALID_ATTRIBUTE', 'orgId is an organization id', ['orgId']);
        authorizeGroupCreation(request.principal, body.orgId);
        const created = await createGroup(groups, body.orgId, body as GroupChanges, clock.now(), actorOf(request));
        request.log.info({ groupId: created.group.id }, 'project created');
        // The spec says 200; the live service answers 201 Created (every recorded CLI snapshot).
        return reply.code(201).send(groupView(created, atlasApiBase(request)));
      },
    );

    app.get<{ Params: { groupName: string } }>('/groups/byName/:groupName', { onRequest: atlasRequest(context, LIST) }, async (request) =>
      groupView(await requireGroupByName(groups, request.principal.orgId, request.params.groupName, clock.now()), atlasApiBase(request)),
    );

    app.get('/groups/:groupId', { onRequest: atlasRequest(context, READ) }, async (request) => groupView(request.group, atlasApiBase(request)));

    app.patch<{ Body: Record<string, unknown> }>(
      '/groups/:groupId',
      { onRequest: atlasRequest(context, CHANGE), schema: { body: objectBodySchema } },
      async (request) => {
        checkAttributes(request.body, UPDATABLE, new Set());
        return groupView(await updateGroup(groups, request.group, request.body as GroupChanges), atlasApiBase(request));
      },
    );

    app.delete('/groups/:groupId', { onRequest: atlasRequest(context, CHANGE) }, async (request, reply) => {
      await deleteGroup(groups, request.group.group, clock.now(), actorOf(request));
      request.log.info({ groupId: request.group.group.id }, 'project deleted');
      // The spec says 204; the live service answers 202 with `{}` (recorded CLI snapshot).
      return reply.code(202).send({});
    });

    app.get<{ Params: { orgId: string }; Querystring: { name?: string } }>(
      '/orgs/:orgId/groups',
      { onRequest: atlasRequest(context, LIST_OF_ORG) },
      async (request) => {
        const name = request.query.name;
        const rows = (await groups.listGroups(request.params.orgId, clock.now().toISOString())).filter((row) => name === undefined || row.group.name === name);
        return list(rows, request.query as Record<string, unknown>, atlasApiBase(request), `/orgs/${request.params.orgId}/groups`);
      },
    );
  };
}
