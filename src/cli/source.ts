import {
  addSourceMigrationHost,
  createSourceProject,
  readSourceInventory,
  removeSourceDeployment,
  removeSourceMigrationHost,
  saveSourceDeployment,
} from '../domain/inventory.js';
import type { SourceDeployment } from '../store/store.js';
import { print, withStore, type Output } from './admin.js';

// Admin commands for the source side's inventory (what a linked source pushes to Atlas). They work
// on the source's data dir, also while `pushlink serve --role source` runs: the server notices the
// change and pushes it within its sync interval.

export async function projectCreate(dataDir: string, orgId: string, name: string, output: Output): Promise<void> {
  const project = await withStore(dataDir, (store) => createSourceProject(store, orgId, name));
  print(output, project, `created project ${project.id} "${project.name}" in ${project.orgId}`);
}

export async function deploymentAdd(dataDir: string, projectId: string, deployment: SourceDeployment, output: Output): Promise<void> {
  await withStore(dataDir, (store) => saveSourceDeployment(store, projectId, deployment));
  print(output, { projectId, deployment }, `saved deployment ${deployment.name} (MongoDB ${deployment.mongoDBVersion}) in project ${projectId}`);
}

export async function deploymentRemove(dataDir: string, projectId: string, name: string, output: Output): Promise<void> {
  await withStore(dataDir, (store) => removeSourceDeployment(store, projectId, name));
  print(output, { projectId, removed: name }, `removed deployment ${name} from project ${projectId}`);
}

export async function migrationHostAdd(dataDir: string, projectId: string, hostname: string, output: Output): Promise<void> {
  await withStore(dataDir, (store) => addSourceMigrationHost(store, projectId, hostname));
  print(output, { projectId, migrationHost: hostname }, `added migration host ${hostname} to project ${projectId}`);
}

export async function migrationHostRemove(dataDir: string, projectId: string, hostname: string, output: Output): Promise<void> {
  await withStore(dataDir, (store) => removeSourceMigrationHost(store, projectId, hostname));
  print(output, { projectId, removed: hostname }, `removed migration host ${hostname} from project ${projectId}`);
}

export async function inventoryShow(dataDir: string, orgId: string, output: Output): Promise<void> {
  const inventory = await withStore(dataDir, (store) => readSourceInventory(store, orgId));
  const text = inventory.projects
    .map(
      (p) =>
        `${p.projectId}  ${p.name}\n` +
        p.deployments.map((d) => `  deployment ${d.name}  MongoDB ${d.mongoDBVersion} (fcv ${d.featureCompatibilityVersion})${d.sharded ? ' sharded' : ''}`).join('\n') +
        (p.migrationHosts.length ? `\n  migration hosts: ${p.migrationHosts.join(', ')}` : ''),
    )
    .join('\n');
  print(output, inventory, text || '(no projects)');
}
