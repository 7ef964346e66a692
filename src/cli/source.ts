import {
  addSourceMigrationHost,
  createSourceProject,
  readSourceInventory,
  removeSourceDeployment,
  removeSourceMigrationHost,
  saveSourceDeployment,
} from '../domain/inventory.js';
import type { SourceDeployment } from '../store/source.js';
import type { StoreLocation } from '../store/open.js';
import { print, withStore, type Output } from './admin.js';

// Admin commands for the source side's inventory (what a linked source pushes to Atlas). They work
// on the source's store (its data dir or PostgreSQL database), also while `pushlink serve --role
// source` runs: the server notices the change and pushes it within its sync interval.

export async function projectCreate(location: StoreLocation, orgId: string, name: string, output: Output): Promise<void> {
  const project = await withStore(location, (store) => createSourceProject(store, orgId, name));
  print(output, project, `created project ${project.id} "${project.name}" in ${project.orgId}`);
}

export async function deploymentAdd(location: StoreLocation, projectId: string, deployment: SourceDeployment, output: Output): Promise<void> {
  await withStore(location, (store) => saveSourceDeployment(store, projectId, deployment));
  print(output, { projectId, deployment }, `saved deployment ${deployment.name} (MongoDB ${deployment.mongoDBVersion}) in project ${projectId}`);
}

export async function deploymentRemove(location: StoreLocation, projectId: string, name: string, output: Output): Promise<void> {
  await withStore(location, (store) => removeSourceDeployment(store, projectId, name));
  print(output, { projectId, removed: name }, `removed deployment ${name} from project ${projectId}`);
}

export async function migrationHostAdd(location: StoreLocation, projectId: string, hostname: string, output: Output): Promise<void> {
  await withStore(location, (store) => addSourceMigrationHost(store, projectId, hostname));
  print(output, { projectId, migrationHost: hostname }, `added migration host ${hostname} to project ${projectId}`);
}

export async function migrationHostRemove(location: StoreLocation, projectId: string, hostname: string, output: Output): Promise<void> {
  await withStore(location, (store) => removeSourceMigrationHost(store, projectId, hostname));
  print(output, { projectId, removed: hostname }, `removed migration host ${hostname} from project ${projectId}`);
}

export async function inventoryShow(location: StoreLocation, orgId: string, output: Output): Promise<void> {
  const inventory = await withStore(location, (store) => readSourceInventory(store, orgId));
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

/**
 * The org's projects with their counts. There is no `project delete`: the store keeps a source
 * project with its deployments and hosts and has no delete for it (remove what it holds instead).
 */
export async function projectList(location: StoreLocation, orgId: string, output: Output): Promise<void> {
  const inventory = await withStore(location, (store) => readSourceInventory(store, orgId));
  const projects = inventory.projects.map((p) => ({ id: p.projectId, name: p.name, deployments: p.deployments.length, migrationHosts: p.migrationHosts.length }));
  print(output, projects, projects.map((p) => `${p.id}  ${p.name}  (${p.deployments} deployments, ${p.migrationHosts} migration hosts)`).join('\n') || '(no projects)');
}
