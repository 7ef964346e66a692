import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { ServerConfig } from '../config.js';
import type { AccessTokens } from '../auth/oauth.js';
import type { Authenticator, Principal } from '../auth/principal.js';
import { assertAccessListAllows, authorizeGroup, authorizeOrg, type GroupRequirement, type OrgRequirement } from '../auth/authorize.js';
import type { Clock, ControllableClock } from '../domain/clock.js';
import type { FaultInjector } from '../domain/faultInjector.js';
import { requireGroup } from '../domain/groups.js';
import type { GroupWithClusterCount } from '../store/groups.js';
import { ApiError } from '../http/errors.js';
import { ATLAS_GROUP_RATE_LIMIT, enforceRateLimit } from '../http/ratelimit.js';
import { renderJson, wrapInEnvelope } from '../http/render.js';
import { parseRenderOptions, type RenderOptions } from '../http/renderOptions.js';
import { deprecationHeaders, negotiateVersion, versionedContentType, type VersionLifecycle } from '../http/versioning.js';
import type { Metrics } from '../observability/metrics.js';
import type { Store } from '../store/store.js';

// The path every request to an Atlas (or Cloud Manager / Ops Manager) public API operation takes
// before its route runs, in order: render options → version → authenticate → access list → org
// role or project (group) access → rate limit. Each route declares what it needs (AtlasRouteConfig)
// and gets this as its own onRequest hook.

/** What an operation declares. */
export interface AtlasRouteConfig {
  /**
   * Resource versions of the operation, ascending. Absent for unversioned APIs (the Cloud Manager
   * / Ops Manager public API v1.0 and pushlink's private endpoints): plain JSON, no Accept check.
   */
  versions?: readonly string[];
  /**
   * Versions Atlas has deprecated for this operation: their answers carry Deprecation and Sunset
   * headers, as recorded (../shared/reference/atlas-api.md §2).
   */
  deprecated?: Readonly<Record<string, VersionLifecycle>>;
  /** Role needed in the `orgId` path parameter's org. */
  org?: OrgRequirement;
  /**
   * Access needed to the `groupId` path parameter's project: the project is resolved (to
   * `request.group`) and authorized through its org. Unknown and foreign projects answer alike.
   */
  group?: GroupRequirement;
  /**
   * Atlas rate-limit bucket, when the operation spends one: the Cloud Migration Service's per org
   * (linkTokens, availableProjects), or Atlas's per project (group-scoped operations).
   */
  rateLimit?: 'cloudMigrationOrg' | 'group';
  /** The live-migration link key may call this operation (it may call nothing else). */
  allowLinkKey?: boolean;
  /** Only the live-migration link key may call this operation. */
  linkKeyOnly?: boolean;
}

export interface AppContext {
  config: ServerConfig;
  store: Store;
  authenticator: Authenticator;
  accessTokens: AccessTokens;
  metrics: Metrics;
  clock: Clock;
  /** The fault rules this server runs with (--faults, the admin endpoint). */
  faults: FaultInjector;
  /** `clock` when it can be moved (--clock controllable, --clock-rate); undefined on the wall clock. */
  controllableClock: ControllableClock | undefined;
  /** SHA-256 of the local admin's token (admin.json); undefined: no local admin. */
  adminTokenHash: Buffer | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
    render: RenderOptions;
    resourceVersion: string;
    /** The project a group-scoped operation names, as its caller may see it. */
    group: GroupWithClusterCount;
  }
}

/** The request fields the hook fills, declared on the app before any route (Fastify's decorateRequest). */
export function decorateAtlasRequests(app: FastifyInstance): void {
  app.decorateRequest('principal', null as unknown as Principal);
  app.decorateRequest('render', null as unknown as RenderOptions);
  app.decorateRequest('resourceVersion', '');
  app.decorateRequest('group', null as unknown as GroupWithClusterCount);
}

export function atlasRequest(context: AppContext, route: AtlasRouteConfig): onRequestHookHandler {
  // Atlas's documented project bucket, on or off with the server's rate limiting; built once per route.
  const groupPolicy = { ...ATLAS_GROUP_RATE_LIMIT, enabled: context.config.rateLimit.enabled };
  return async function atlasRequestHook(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const render = parseRenderOptions(request.query as Record<string, unknown>);
    request.render = render;
    if (route.versions) {
      const version = negotiateVersion(request.headers.accept, route.versions);
      request.resourceVersion = version;
      reply.header('content-type', versionedContentType(version));
      const lifecycle = route.deprecated?.[version];
      if (lifecycle) reply.headers(deprecationHeaders(lifecycle));
    } else {
      reply.header('content-type', 'application/json');
    }
    if (render.envelope || render.pretty) {
      reply.serializer((payload: unknown) =>
        renderJson(render.envelope ? wrapInEnvelope(reply.statusCode, payload) : payload, render.pretty),
      );
    }

    const principal = await context.authenticator.authenticate({
      method: request.method,
      url: request.url,
      authorization: request.headers.authorization,
    });
    request.principal = principal;
    assertAccessListAllows(principal, request.socket.remoteAddress ?? '');

    if (route.linkKeyOnly && !principal.isLinkKey) throw new ApiError('ACCESS_FORBIDDEN');
    const orgId = (request.params as { orgId?: string }).orgId;
    if (route.org && orgId !== undefined) authorizeOrg(principal, orgId, route.org);
    if (route.group) {
      const groupId = (request.params as { groupId: string }).groupId;
      const group = await requireGroup(context.store.groups, principal.orgId, groupId, context.clock.now());
      authorizeGroup(principal, group.group, route.group);
      request.group = group;
    }
    if (principal.isLinkKey && !route.allowLinkKey && !route.linkKeyOnly) {
      // The link key's role is read-only, so owner routes already refuse it; this keeps it to the
      // few operations the source side needs even if roles change.
      throw new ApiError('USER_CANNOT_ACCESS_ORG');
    }
    if (route.rateLimit === 'cloudMigrationOrg' && orgId !== undefined) {
      await enforceRateLimit(context.store, context.config.rateLimit, reply, {
        bucket: `org:${orgId}:cloudMigration`,
        resource: `api/atlas/v2/orgs/${orgId}/liveMigrations`,
      }, context.clock.now().getTime());
    } else if (route.rateLimit === 'group' && route.group) {
      const groupId = request.group.group.id;
      await enforceRateLimit(context.store, groupPolicy, reply, { bucket: `group:${groupId}`, resource: `api/atlas/v2/groups/${groupId}` }, context.clock.now().getTime());
    }
  };
}
