// The source side (Cloud Manager / Ops Manager): its projects, their deployments and migration
// hosts (the inventory), its link to an Atlas org, and the withdrawals of links it deleted or
// replaced. The rules that decide what a change records are the pure functions below, once for
// both back ends; each back end saves their outcome in the change's transaction.

/** One deployment of a source project, with Atlas's `AvailableClustersDeployment` fields. */
export interface SourceDeployment {
  name: string;
  clusterId?: string;
  mongoDBVersion: string;
  featureCompatibilityVersion: string;
  sharded: boolean;
  tlsEnabled: boolean;
  managed: boolean;
  agentVersion?: string;
  dbSizeBytes?: number;
  oplogSizeMB?: number;
  shardsSize?: number;
}

/** A project of the source side (Cloud Manager / Ops Manager). */
export interface SourceProject {
  id: string;
  orgId: string;
  name: string;
  createdAt: string;
}

export interface SourceInventory {
  /** Grows with every change to the org's projects, deployments or migration hosts. */
  version: number;
  projects: Array<{ project: SourceProject; deployments: SourceDeployment[]; migrationHosts: string[] }>;
}

export type LinkSyncStatus = 'SYNCED' | 'NOT_SYNCED';

/** The source side's link to an Atlas org, made from a link-token. */
export interface SourceLinkRecord {
  orgId: string;
  /** New for every completion, so a late sync result of a replaced link is not recorded on its successor. */
  linkId: string;
  atlasOrgId: string;
  atlasOrgName: string;
  publicKey: string;
  /** HA1 of the link key: all a digest client needs; the private key itself is not kept. */
  ha1: string;
  status: LinkSyncStatus;
  reason: string | null;
  syncedVersion: number | null;
  lastAttemptAt: string | null;
  lastSyncedAt: string | null;
  createdAt: string;
}

/**
 * A link the source side deleted or replaced while Atlas may still list the inventory it pushed:
 * what the withdrawal (DELETE of that inventory, by digest with the link's key) needs, kept until
 * Atlas acknowledges it or no longer takes the key.
 */
export interface SourceLinkWithdrawal {
  /** The deleted or replaced link (a link is withdrawn at most once). */
  linkId: string;
  /** The source org it belonged to. */
  orgId: string;
  atlasOrgId: string;
  publicKey: string;
  /** HA1 of the link key, as the link held it. */
  ha1: string;
  /** When the link was deleted or replaced. */
  recordedAt: string;
}

export interface SourceLinkSync {
  status: LinkSyncStatus;
  reason: string | null;
  /** The inventory version that was pushed, when the push succeeded. */
  syncedVersion: number | null;
  attemptedAt: string;
}

/**
 * The withdrawal a deleted or replaced link leaves, if it is still wanted: none when `next` (the
 * link replacing it) uses the same Atlas org and key, as Atlas's copy then stays in use. The back
 * end also records none while another link of the store uses that org and key (checked in the
 * change's transaction, where no other writer can change the answer).
 */
export function withdrawalOf(link: SourceLinkRecord, recordedAt: string, next?: SourceLinkRecord): SourceLinkWithdrawal | undefined {
  if (next && next.atlasOrgId === link.atlasOrgId && next.publicKey === link.publicKey) return undefined;
  return { linkId: link.linkId, orgId: link.orgId, atlasOrgId: link.atlasOrgId, publicKey: link.publicKey, ha1: link.ha1, recordedAt };
}

/** The org's inventory from its rows, read in one snapshot: each project with its deployments and hosts, in the rows' order. */
export function assembleSourceInventory(
  version: number,
  projects: SourceProject[],
  deployments: Array<{ projectId: string; deployment: SourceDeployment }>,
  hosts: Array<{ projectId: string; hostname: string }>,
): SourceInventory {
  const entries = projects.map((project) => ({ project, deployments: [] as SourceDeployment[], migrationHosts: [] as string[] }));
  const byId = new Map(entries.map((p) => [p.project.id, p]));
  for (const { projectId, deployment } of deployments) byId.get(projectId)?.deployments.push(deployment);
  for (const { projectId, hostname } of hosts) byId.get(projectId)?.migrationHosts.push(hostname);
  return { version, projects: entries };
}

export interface SourceStore {
  // Projects, deployments and migration hosts: every change bumps the org's inventory version.
  // Mutations of a project that does not exist answer false.
  createSourceProject(project: SourceProject): Promise<void>;
  getSourceProject(projectId: string): Promise<SourceProject | undefined>;
  /** Adds the deployment, or replaces the one with the same name. */
  saveSourceDeployment(projectId: string, deployment: SourceDeployment): Promise<boolean>;
  deleteSourceDeployment(projectId: string, name: string): Promise<boolean>;
  addSourceMigrationHost(projectId: string, hostname: string): Promise<boolean>;
  deleteSourceMigrationHost(projectId: string, hostname: string): Promise<boolean>;
  /** The version and the rows it describes, from one snapshot. */
  getSourceInventory(orgId: string): Promise<SourceInventory>;

  // A link's withdrawal is recorded in the transaction that deletes or replaces it, unless another
  // link of this store still uses the same Atlas org and key (then Atlas's copy is still wanted).
  /**
   * Creates or replaces the org's link, in one transaction: a replaced link with another Atlas org
   * or key than `link` is recorded for withdrawal (and returned); pending withdrawals of `link`'s
   * Atlas org and key are dropped, as that key is in use again.
   */
  putSourceLink(link: SourceLinkRecord): Promise<SourceLinkWithdrawal | undefined>;
  getSourceLink(orgId: string): Promise<SourceLinkRecord | undefined>;
  listSourceLinks(): Promise<SourceLinkRecord[]>;
  /**
   * Deletes the org's link if it is still the link `linkId`, recording its withdrawal in the same
   * transaction. Undefined (nothing written) when the org's link is another one, or none.
   */
  deleteSourceLink(orgId: string, linkId: string): Promise<{ withdrawal: SourceLinkWithdrawal | undefined } | undefined>;
  /** Withdrawals Atlas has not acknowledged yet, oldest first. */
  listSourceLinkWithdrawals(): Promise<SourceLinkWithdrawal[]>;
  /** Drops a withdrawal once it is settled; false when it was not (or no longer) recorded. */
  deleteSourceLinkWithdrawal(linkId: string): Promise<boolean>;
  /** Records a sync attempt; false (nothing written) when the link was replaced or deleted meanwhile. */
  recordSourceLinkSync(orgId: string, linkId: string, sync: SourceLinkSync): Promise<boolean>;
}
