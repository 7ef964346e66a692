import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { ServerConfig } from './config.js';
import type { AccessTokens } from './auth/oauth.js';
import type { Authenticator, Principal } from './auth/principal.js';
import { assertAccessListAllows, authorizeOrg, type OrgRequirement } from './auth/authorize.js';
import { ApiError } from './http/errors.js';
import { enforceRateLimit } from './http/ratelimit.js';
import { parseRenderOptions, renderJson, wrapInEnvelope, type RenderOptions } from './http/render.js';
import { negotiateVersion, versionedContentType } from './http/versioning.js';
import type { Metrics } from './observability/metrics.js';
import type { Store } from './store/store.js';

// The path every request to an Atlas (or Cloud Manager / Ops Manager) public API operation takes
// before its route runs, in order: render options → version → authenticate → access list → org
// role → rate limit. Each route declares what it needs (AtlasRouteConfig) and gets this as its own
// onRequest hook.

/** What an operation declares. */
export interface AtlasRouteConfig {
  /**
   * Resource versions of the operation, ascending. Absent for unversioned APIs (the Cloud Manager
   * / Ops Manager public API v1.0 and pushlink's private endpoints): plain JSON, no Accept check.
   */
  versions?: readonly string[];
  /** Role needed in the `orgId` path parameter's org. */
  org?: OrgRequirement;
  /** Atlas rate-limit scope, when the operation has one. */
  rateLimit?: 'cloudMigrationOrg';
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
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
    render: RenderOptions;
    resourceVersion: string;
  }
}

export function atlasRequest(context: AppContext, route: AtlasRouteConfig): onRequestHookHandler {
  return async function atlasRequestHook(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const render = parseRenderOptions(request.query as Record<string, unknown>);
    request.render = render;
    if (route.versions) {
      const version = negotiateVersion(request.headers.accept, route.versions);
      request.resourceVersion = version;
      reply.header('content-type', versionedContentType(version));
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
    if (principal.isLinkKey && !route.allowLinkKey && !route.linkKeyOnly) {
      // The link key's role is read-only, so owner routes already refuse it; this keeps it to the
      // few operations the source side needs even if roles change.
      throw new ApiError('USER_CANNOT_ACCESS_ORG');
    }
    if (route.rateLimit === 'cloudMigrationOrg' && orgId !== undefined) {
      await enforceRateLimit(context.store, context.config.rateLimit, reply, {
        bucket: `org:${orgId}:cloudMigration`,
        resource: `api/atlas/v2/orgs/${orgId}/liveMigrations`,
      });
    }
  };
}
