import type { Command } from 'commander';
import type { SourceDeployment } from '../../store/source.js';
import * as source from '../source.js';
import { databaseUrlOption, jsonOption, output, sourceDataDirOption, storeLocation, wholeNumber, type JsonOptions, type StoreOptions } from '../options.js';

// `pushlink source …`: the source side's inventory (projects, deployments, migration hosts), the
// part of Cloud Manager / Ops Manager a link pushes to Atlas.

type SourceOptions = StoreOptions & JsonOptions;

interface ProjectCreateOptions extends SourceOptions {
  org: string;
  name: string;
}

interface DeploymentAddOptions extends SourceOptions {
  project: string;
  name: string;
  mongodbVersion: string;
  fcv: string;
  sharded: boolean;
  shards?: number;
  tls: boolean;
  unmanaged: boolean;
  agentVersion?: string;
  dbSizeBytes?: number;
  oplogSizeMb?: number;
  clusterId?: string;
}

interface DeploymentRemoveOptions extends SourceOptions {
  project: string;
  name: string;
}

interface MigrationHostOptions extends SourceOptions {
  project: string;
  hostname: string;
}

interface InventoryOptions extends SourceOptions {
  org: string;
}

const withStoreOptions = (command: Command) => command.addOption(sourceDataDirOption()).addOption(databaseUrlOption()).addOption(jsonOption());

/** The deployment `deployment add` describes, with only the optional fields that were given. */
function deploymentOf(o: DeploymentAddOptions): SourceDeployment {
  return {
    name: o.name,
    mongoDBVersion: o.mongodbVersion,
    featureCompatibilityVersion: o.fcv,
    sharded: !!o.sharded,
    tlsEnabled: !!o.tls,
    managed: !o.unmanaged,
    ...(o.clusterId !== undefined ? { clusterId: o.clusterId } : {}),
    ...(o.agentVersion !== undefined ? { agentVersion: o.agentVersion } : {}),
    ...(o.dbSizeBytes !== undefined ? { dbSizeBytes: o.dbSizeBytes } : {}),
    ...(o.oplogSizeMb !== undefined ? { oplogSizeMB: o.oplogSizeMb } : {}),
    ...(o.shards !== undefined ? { shardsSize: o.shards } : {}),
  };
}

export function registerSourceCommands(program: Command): void {
  const sourceCommand = program.command('source').description("the source side's inventory (projects, deployments, migration hosts)");

  const project = sourceCommand.command('project').description('source projects');
  withStoreOptions(
    project.command('create').requiredOption('--org <orgId>', 'source organization id').requiredOption('--name <name>', 'project name'),
  ).action((o: ProjectCreateOptions) => source.projectCreate(storeLocation(o), o.org, o.name, output(o)));
  withStoreOptions(project.command('list').requiredOption('--org <orgId>', 'source organization id')).action((o: InventoryOptions) =>
    source.projectList(storeLocation(o), o.org, output(o)),
  );

  const deployment = sourceCommand.command('deployment').description("a source project's deployments");
  withStoreOptions(
    deployment
      .command('add')
      .description('add a deployment, or replace the one with the same name')
      .requiredOption('--project <projectId>', 'source project id')
      .requiredOption('--name <name>', 'deployment (replica set or cluster) name')
      .requiredOption('--mongodb-version <version>', 'e.g. 7.0.13')
      .requiredOption('--fcv <version>', 'featureCompatibilityVersion, e.g. 7.0')
      .option('--sharded', 'a sharded cluster', false)
      .option('--shards <n>', 'number of shards (sharded only)', wholeNumber('--shards'))
      .option('--tls', 'TLS enabled', false)
      .option('--unmanaged', 'not managed by automation (managed by default)', false)
      .option('--agent-version <version>', 'MongoDB Agent version, e.g. 13.24.0.9285')
      .option('--db-size-bytes <n>', 'data size in bytes', wholeNumber('--db-size-bytes'))
      .option('--oplog-size-mb <n>', 'oplog size in MB', wholeNumber('--oplog-size-mb'))
      .option('--cluster-id <id>', '24-hex cluster id'),
  ).action((o: DeploymentAddOptions) => source.deploymentAdd(storeLocation(o), o.project, deploymentOf(o), output(o)));
  withStoreOptions(
    deployment.command('remove').requiredOption('--project <projectId>', 'source project id').requiredOption('--name <name>', 'deployment name'),
  ).action((o: DeploymentRemoveOptions) => source.deploymentRemove(storeLocation(o), o.project, o.name, output(o)));

  const migrationHost = sourceCommand.command('migration-host').description("a source project's migration hosts");
  withStoreOptions(
    migrationHost
      .command('add')
      .requiredOption('--project <projectId>', 'source project id')
      .requiredOption('--hostname <host>', 'the migration host (a MongoDB Agent host)'),
  ).action((o: MigrationHostOptions) => source.migrationHostAdd(storeLocation(o), o.project, o.hostname, output(o)));
  withStoreOptions(
    migrationHost.command('remove').requiredOption('--project <projectId>', 'source project id').requiredOption('--hostname <host>', 'the migration host'),
  ).action((o: MigrationHostOptions) => source.migrationHostRemove(storeLocation(o), o.project, o.hostname, output(o)));

  withStoreOptions(
    sourceCommand.command('inventory').description("print what the org's link pushes to Atlas").requiredOption('--org <orgId>', 'source organization id'),
  ).action((o: InventoryOptions) => source.inventoryShow(storeLocation(o), o.org, output(o)));
}
