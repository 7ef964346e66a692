import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { atlasRequest, type AppContext, type AtlasRouteConfig } from './atlasRequest.js';
import { OBJECT_ID_PATTERN } from '../domain/ids.js';
import { ApiError } from '../http/errors.js';
import { atlasApiBase } from '../http/links.js';
import { pageOf, parsePageRequest } from '../http/pagination.js';
import type { EventQuery } from '../store/events.js';
import { eventView } from './views/eventView.js';

// Atlas's Events API, as pushlink's audit trail (store/events.ts): the org's events and a
// project's, newest first, filtered by type and time as Atlas filters them. Organization Member
// (org) and any project access (group) may read them, as in Atlas; the link key may not.

const ORG_EVENTS: AtlasRouteConfig = { versions: ['2023-01-01'], org: 'ORG_MEMBER' };
const GROUP_EVENTS: AtlasRouteConfig = { versions: ['2023-01-01'], group: 'GROUP_READ' };
const EVENT_TYPE = /^[A-Z][A-Z0-9_]{0,99}$/;

type Filters = Pick<EventQuery, 'eventTypes' | 'minDate' | 'maxDate'>;

/** `eventType` (repeatable), `minDate`, `maxDate` (ISO 8601, inclusive). */
function parseFilters(query: Record<string, unknown>): Filters {
  const raw = query.eventType;
  const types = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (!types.every((t): t is string => typeof t === 'string' && EVENT_TYPE.test(t))) throw new ApiError('INVALID_QUERY_PARAMETER', ['eventType']);
  const instant = (name: 'minDate' | 'maxDate') => {
    const value = query[name];
    if (value === undefined) return undefined;
    const ms = typeof value === 'string' ? Date.parse(value) : NaN;
    if (!Number.isFinite(ms)) throw new ApiError('INVALID_QUERY_PARAMETER', [name]);
    return new Date(ms).toISOString();
  };
  const includeRaw = query.includeRaw;
  if (includeRaw !== undefined && includeRaw !== 'true' && includeRaw !== 'false') throw new ApiError('INVALID_QUERY_PARAMETER', ['includeRaw']);
  const minDate = instant('minDate');
  const maxDate = instant('maxDate');
  return { ...(types.length > 0 ? { eventTypes: types } : {}), ...(minDate ? { minDate } : {}), ...(maxDate ? { maxDate } : {}) };
}

export function eventRoutes(context: AppContext): FastifyPluginAsync {
  const { store, clock } = context;

  /** The org's own events (`groupId` undefined), or a project's. */
  async function list(request: FastifyRequest, orgId: string, groupId: string | undefined, path: string) {
    const query = request.query as Record<string, unknown>;
    const page = parsePageRequest(query);
    const { results, totalCount } = await store.events.listEvents({
      orgId,
      groupId: groupId ?? null,
      ...parseFilters(query),
      now: clock.now().toISOString(),
      skip: (page.pageNum - 1) * page.itemsPerPage,
      limit: page.itemsPerPage,
    });
    const base = atlasApiBase(request);
    return pageOf(results.map((e) => eventView(e, base)), totalCount, page, `${base}${path}`);
  }

  async function one(request: FastifyRequest, orgId: string, groupId: string | undefined, eventId: string) {
    if (!OBJECT_ID_PATTERN.test(eventId)) throw new ApiError('INVALID_PATH_PARAMETER', [eventId]);
    const found = await store.events.getEvent(orgId, eventId, clock.now().toISOString(), groupId);
    if (!found) throw new ApiError('RESOURCE_NOT_FOUND', [`event ${eventId}`]);
    return eventView(found, atlasApiBase(request));
  }

  return async (app) => {
    app.get<{ Params: { orgId: string } }>('/orgs/:orgId/events', { onRequest: atlasRequest(context, ORG_EVENTS) }, (request) =>
      list(request, request.params.orgId, undefined, `/orgs/${request.params.orgId}/events`),
    );
    app.get<{ Params: { orgId: string; eventId: string } }>('/orgs/:orgId/events/:eventId', { onRequest: atlasRequest(context, ORG_EVENTS) }, (request) =>
      one(request, request.params.orgId, undefined, request.params.eventId),
    );
    app.get('/groups/:groupId/events', { onRequest: atlasRequest(context, GROUP_EVENTS) }, (request) =>
      list(request, request.group.group.orgId, request.group.group.id, `/groups/${request.group.group.id}/events`),
    );
    app.get<{ Params: { eventId: string } }>('/groups/:groupId/events/:eventId', { onRequest: atlasRequest(context, GROUP_EVENTS) }, (request) =>
      one(request, request.group.group.orgId, request.group.group.id, request.params.eventId),
    );
  };
}
