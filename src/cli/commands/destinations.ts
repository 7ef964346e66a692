import type { Command } from 'commander';
import { createCluster, changeCluster, clusterNotFound, requestDeletion, requireCluster, clusterState } from '../../domain/clusters.js';
import { DomainError } from '../../domain/errors.js';
import { createGroup, deleteGroup } from '../../domain/groups.js';
import { OBJECT_ID_PATTERN } from '../../domain/ids.js';
import { clusterView } from '../../routes/views/clusterView.js';
import { groupView } from '../../routes/views/groupView.js';
import type { Store } from '../../store/store.js';
import type { GroupRecord } from '../../store/groups.js';
import { print, withStore } from '../admin.js';
import { dataDirOption, databaseUrlOption, jsonOption, output, storeLocation as location, type JsonOptions, type StoreOptions } from '../options.js';

// `pushlink project …` and `pushlink cluster …`: set up a migration's destination from a script,
// without HTTP, on the store a server is running on. The same domain rules as the API apply; JSON
// is the API's own body (2024-08-05 for clusters), with links as paths (`/api/atlas/v2/…`) since a
// command does not know the URL the server is reached at.

const LINK_BASE = '/api/atlas/v2';

type AdminOptions = StoreOptions & JsonOptions;

interface ProjectCreateOptions extends AdminOptions {
  org: string;
  name: string;
  tag?: Array<{ key: string; value: string }>;
}

interface ProjectListOptions extends AdminOptions {
  org: string;
}

interface ProjectOptions extends AdminOptions {
  project: string;
}

interface ClusterOptions extends ProjectOptions {
  name: string;
}

interface ClusterCreateOptions extends ClusterOptions {
  tier: string;
  provider: string;
  region: string;
  members: string;
  mdbVersion?: string;
  terminationProtection?: boolean;
  /** Seconds. */
  provisioning?: string;
}

interface ClusterDeleteOptions extends ClusterOptions {
  /** Seconds. */
  deletion?: string;
}

/** `--tag env=test` (repeatable) → Atlas tags. */
function parseTagOption(value: string, previous: Array<{ key: string; value: string }> = []) {
  const at = value.indexOf('=');
  if (at <= 0) throw new DomainError('INVALID_ATTRIBUTE', `--tag takes key=value, got "${value}"`, ['tags']);
  return [...previous, { key: value.slice(0, at), value: value.slice(at + 1) }];
}

function seconds(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text)) throw new DomainError('INVALID_ATTRIBUTE', `a number of seconds, got "${text}"`, ['seconds']);
  return Number(text) * 1000;
}

const projectNotFound = (projectId: string) => new DomainError('GROUP_NOT_FOUND', `no project with ID ${projectId}`, [projectId]);

/** The project a command names, read in the store the command works on; `missing` when it is not there. */
async function findProject(store: Store, projectId: string, missing: () => DomainError): Promise<GroupRecord> {
  const found = await store.groups.getGroup(projectId, new Date().toISOString());
  if (!found) throw missing();
  return found.group;
}

/** As findProject, refusing an id that is not one first. */
async function requireProject(store: Store, projectId: string): Promise<GroupRecord> {
  if (!OBJECT_ID_PATTERN.test(projectId)) throw new DomainError('INVALID_GROUP_ID', `${projectId} is not a project id`, [projectId]);
  return findProject(store, projectId, () => projectNotFound(projectId));
}

export function registerDestinationCommands(program: Command): void {
  const withCommon = (command: Command) => command.addOption(dataDirOption()).addOption(databaseUrlOption()).addOption(jsonOption());

  const project = program.command('project').description('Atlas projects (groups): the destinations of a live migration');
  withCommon(
    project
      .command('create')
      .description('create a project in an organization')
      .requiredOption('--org <orgId>', 'organization id')
      .requiredOption('--name <name>', 'project name (unique in the organization)')
      .option('--tag <key=value>', 'a tag (repeatable)', parseTagOption),
  ).action(async (o: ProjectCreateOptions) => {
    const created = await withStore(location(o), async (store) => {
      if (!(await store.orgs.getOrg(o.org))) throw new DomainError('ORG_NOT_FOUND', `no organization with ID ${o.org}`, [o.org]);
      return createGroup(store.groups, o.org, { name: o.name, tags: o.tag }, new Date());
    });
    print(output(o), groupView(created, LINK_BASE), `created project ${created.group.id} "${created.group.name}"`);
  });
  withCommon(project.command('list').description("an organization's projects").requiredOption('--org <orgId>', 'organization id')).action(async (o: ProjectListOptions) => {
    const rows = await withStore(location(o), (store) => store.groups.listGroups(o.org, new Date().toISOString()));
    const text = rows.map((r) => `${r.group.id}  ${r.group.name}  ${r.clusterCount} cluster(s)`).join('\n') || '(no projects)';
    print(output(o), rows.map((r) => groupView(r, LINK_BASE, 'listed')), text);
  });
  withCommon(project.command('delete').description('delete a project that has no clusters').requiredOption('--project <projectId>', 'project id')).action(async (o: ProjectOptions) => {
    await withStore(location(o), async (store) => deleteGroup(store.groups, await findProject(store, o.project, () => projectNotFound(o.project)), new Date()));
    print(output(o), { deleted: o.project }, `deleted project ${o.project}`);
  });

  const cluster = program.command('cluster').description('Atlas clusters of a project');
  withCommon(
    cluster
      .command('create')
      .description('create a dedicated (or M0) cluster; it is CREATING, then IDLE after --provisioning seconds')
      .requiredOption('--project <projectId>', 'project id')
      .requiredOption('--name <name>', 'cluster name')
      .option('--tier <size>', 'instance size: M10 and up, or M0', 'M10')
      .option('--provider <provider>', 'AWS, AZURE or GCP', 'AWS')
      .option('--region <region>', "the provider's region name", 'US_EAST_1')
      .option('--members <n>', 'electable nodes: 3, 5 or 7', '3')
      .option('--mdb-version <major>', 'MongoDB major version (6.0, 7.0, 8.0; default the newest)')
      .option('--termination-protection', 'refuse deletes until it is turned off')
      .option('--provisioning <seconds>', 'how long it stays CREATING (env PUSHLINK_CLUSTER_PROVISIONING; default 5)'),
  ).action(async (o: ClusterCreateOptions) => {
    const provisioningMs = seconds(o.provisioning ?? process.env.PUSHLINK_CLUSTER_PROVISIONING, 5_000);
    const tenant = o.tier === 'M0';
    const regionConfig = tenant
      ? { providerName: 'TENANT', backingProviderName: o.provider, regionName: o.region, priority: 7, electableSpecs: { instanceSize: 'M0' } }
      : { providerName: o.provider, regionName: o.region, priority: 7, electableSpecs: { instanceSize: o.tier, nodeCount: Number(o.members) } };
    const body = {
      name: o.name,
      clusterType: 'REPLICASET',
      replicationSpecs: [{ zoneName: 'Zone 1', regionConfigs: [regionConfig] }],
      terminationProtectionEnabled: !!o.terminationProtection,
      ...(o.mdbVersion ? { mongoDBMajorVersion: o.mdbVersion } : {}),
    };
    const now = new Date();
    const created = await withStore(location(o), async (store) => {
      return createCluster(store.groups, await requireProject(store, o.project), body, '2024-10-23', { provisioningMs, deletionMs: 0 }, now);
    });
    print(output(o), clusterView(created, '2024-08-05', LINK_BASE, now), `cluster '${created.name}' is being created (IDLE at ${created.readyAt})`);
  });
  withCommon(cluster.command('list').description("a project's clusters").requiredOption('--project <projectId>', 'project id')).action(async (o: ProjectOptions) => {
    const now = new Date();
    const rows = await withStore(location(o), (store) => store.groups.listClusters(o.project, now.toISOString()));
    const text = rows.map((c) => `${c.name}  ${clusterState(c, now)}  ${c.spec.mongoDBVersion}`).join('\n') || '(no clusters)';
    print(output(o), rows.map((c) => clusterView(c, '2024-08-05', LINK_BASE, now)), text);
  });
  withCommon(
    cluster.command('describe').description('one cluster').requiredOption('--project <projectId>', 'project id').requiredOption('--name <name>', 'cluster name'),
  ).action(async (o: ClusterOptions) => {
    const now = new Date();
    const found = await withStore(location(o), async (store) => {
      await requireProject(store, o.project);
      return requireCluster(store.groups, o.project, o.name, now);
    });
    const view = clusterView(found, '2024-08-05', LINK_BASE, now);
    print(output(o), view, `${found.name}  ${view.stateName}  ${found.spec.mongoDBVersion}  ${view.connectionStrings.standardSrv ?? '(no connection string until IDLE)'}`);
  });
  withCommon(
    cluster
      .command('delete')
      .description('delete a cluster: DELETING for --deletion seconds, then gone')
      .requiredOption('--project <projectId>', 'project id')
      .requiredOption('--name <name>', 'cluster name')
      .option('--deletion <seconds>', 'how long it stays DELETING (env PUSHLINK_CLUSTER_DELETION; default 3)'),
  ).action(async (o: ClusterDeleteOptions) => {
    const deletionMs = seconds(o.deletion ?? process.env.PUSHLINK_CLUSTER_DELETION, 3_000);
    const now = new Date();
    await withStore(location(o), async (store) => {
      // A missing project is a missing cluster here, as it was before the command read the project.
      const project = await findProject(store, o.project, () => clusterNotFound(o.name, o.project));
      return changeCluster(store.groups, project, o.name, now, (c) => requestDeletion(c, { provisioningMs: 0, deletionMs }, now));
    });
    print(output(o), { deleting: o.name }, `deleting cluster '${o.name}'`);
  });
}
