import type { FastifyPluginAsync } from 'fastify';
import { actorOf } from '../http/actor.js';
import { atlasRequest, type AppContext, type AtlasRouteConfig } from './atlasRequest.js';
import type { ClusterRequestVersion } from '../domain/clusterRequest.js';
import { changeCluster, createCluster, requestDeletion, requireCluster, updateClusterSpec, type ClusterTimings } from '../domain/clusters.js';
import { DomainError } from '../domain/errors.js';
import { assertNoRunningImport } from '../domain/liveMigrations.js';
import { ApiError } from '../http/errors.js';
import { atlasApiBase } from '../http/links.js';
import { paginate, parsePageRequest } from '../http/pagination.js';
import { objectBodySchema } from './schemas.js';
import { clusterView, type ClusterResponseVersion } from './views/clusterView.js';

// Clusters of a project: create in the request versions real clients send (2023-02-01 from the
// atlas CLI, 2024-08-05 / 2024-10-23 from the Go SDK and Terraform), read in the two response
// shapes, update what pushlink models, delete through DELETING. Reading takes any org role;
// changing takes Organization Owner. Every one spends the project's rate-limit bucket.

// Deprecation = the release of the superseding version; Sunset = the spec's x-sunset (recorded
// on the 2023-02-01 create: `Deprecation: Mon, 5 Aug 2024`, `Sunset: Thu, 1 Jul 2027`).
const V2023_02_01_LIFECYCLE = { deprecation: '2024-08-05', sunset: '2027-07-01' };
const READ: AtlasRouteConfig = {
  versions: ['2023-02-01', '2024-08-05'],
  deprecated: { '2023-02-01': V2023_02_01_LIFECYCLE },
  group: 'GROUP_READ',
  rateLimit: 'group',
};
const WRITE: AtlasRouteConfig = {
  versions: ['2023-02-01', '2024-08-05', '2024-10-23'],
  deprecated: { '2023-02-01': V2023_02_01_LIFECYCLE, '2024-08-05': { deprecation: '2024-10-23', sunset: '2027-03-01' } },
  group: 'GROUP_OWNER',
  rateLimit: 'group',
};
const DELETE: AtlasRouteConfig = {
  versions: ['2023-01-01', '2023-02-01'],
  deprecated: { '2023-01-01': { deprecation: '2023-02-01', sunset: '2027-07-01' } },
  group: 'GROUP_OWNER',
  rateLimit: 'group',
};
const FLEX_CREATE: AtlasRouteConfig = { versions: ['2024-11-13'], group: 'GROUP_OWNER', rateLimit: 'group' };
const FLEX_READ: AtlasRouteConfig = { versions: ['2024-11-13'], group: 'GROUP_READ', rateLimit: 'group' };

/** 2024-10-23 changed only requests: its answers are the 2024-08-05 shape. */
function responseVersion(version: string): ClusterResponseVersion {
  return version === '2023-02-01' ? '2023-02-01' : '2024-08-05';
}

interface ClusterParams {
  groupId: string;
  clusterName: string;
}

export function clusterRoutes(context: AppContext): FastifyPluginAsync {
  const { store, clock, config } = context;
  const groups = store.groups;
  const timings: ClusterTimings = { provisioningMs: config.clusterProvisioningMs, deletionMs: config.clusterDeletionMs };

  return async (app) => {
    app.get('/groups/:groupId/clusters', { onRequest: atlasRequest(context, READ) }, async (request) => {
      const page = parsePageRequest(request.query as Record<string, unknown>);
      const now = clock.now();
      const base = atlasApiBase(request);
      const groupId = request.group.group.id;
      const views = (await groups.listClusters(groupId, now.toISOString())).map((c) => clusterView(c, responseVersion(request.resourceVersion), base, now));
      return paginate(views, page, `${base}/groups/${groupId}/clusters`, `includeCount=${page.includeCount}&includeDeletedWithRetainedBackups=false&`);
    });

    app.post<{ Body: unknown }>(
      '/groups/:groupId/clusters',
      { onRequest: atlasRequest(context, WRITE), schema: { body: objectBodySchema } },
      async (request, reply) => {
        const now = clock.now();
        const groupId = request.group.group.id;
        const cluster = await createCluster(groups, request.group.group, request.body, request.resourceVersion as ClusterRequestVersion, timings, now, actorOf(request));
        request.log.info({ groupId, clusterName: cluster.name }, 'cluster created (CREATING)');
        return reply.code(201).send(clusterView(cluster, responseVersion(request.resourceVersion), atlasApiBase(request), now));
      },
    );

    app.get<{ Params: ClusterParams }>('/groups/:groupId/clusters/:clusterName', { onRequest: atlasRequest(context, READ) }, async (request) => {
      const now = clock.now();
      const cluster = await requireCluster(groups, request.group.group.id, request.params.clusterName, now);
      return clusterView(cluster, responseVersion(request.resourceVersion), atlasApiBase(request), now);
    });

    app.patch<{ Params: ClusterParams; Body: unknown }>(
      '/groups/:groupId/clusters/:clusterName',
      { onRequest: atlasRequest(context, WRITE), schema: { body: objectBodySchema } },
      async (request) => {
        const now = clock.now();
        await assertNoRunningImport(store, request.group.group.orgId, request.group.group.id, request.params.clusterName, now, config.cutoverWindowMs);
        const updated = await changeCluster(groups, request.group.group, request.params.clusterName, now, (c) => updateClusterSpec(c, request.body), actorOf(request));
        return clusterView(updated, responseVersion(request.resourceVersion), atlasApiBase(request), now);
      },
    );

    app.delete<{ Params: ClusterParams; Querystring: { retainBackups?: string } }>(
      '/groups/:groupId/clusters/:clusterName',
      { onRequest: atlasRequest(context, DELETE) },
      async (request, reply) => {
        const retain = request.query.retainBackups;
        if (retain !== undefined && retain !== 'true' && retain !== 'false') throw new ApiError('INVALID_QUERY_PARAMETER', ['retainBackups']);
        const groupId = request.group.group.id;
        await assertNoRunningImport(store, request.group.group.orgId, groupId, request.params.clusterName, clock.now(), config.cutoverWindowMs);
        const now = clock.now();
        await changeCluster(groups, request.group.group, request.params.clusterName, now, (c) => requestDeletion(c, timings, now), actorOf(request));
        request.log.info({ groupId, clusterName: request.params.clusterName }, 'cluster deletion requested (DELETING)');
        // The spec and the recordings agree here: 202, with `{}` as its body.
        return reply.code(202).send({});
      },
    );

    // The Flex API: the atlas CLI creates a Flex cluster when `clusters create` has no --tier.
    // A Flex cluster cannot be a live-migration destination, so pushlink has none (README).
    app.post('/groups/:groupId/flexClusters', { onRequest: atlasRequest(context, FLEX_CREATE) }, async () => {
      throw new DomainError('FLEX_CLUSTERS_NOT_SUPPORTED', 'pushlink serves no Flex clusters');
    });
    app.get('/groups/:groupId/flexClusters', { onRequest: atlasRequest(context, FLEX_READ) }, async (request) => {
      const page = parsePageRequest(request.query as Record<string, unknown>);
      return paginate([], page, `${atlasApiBase(request)}/groups/${request.group.group.id}/flexClusters`, `includeCount=${page.includeCount}&`);
    });
  };
}
