import type { FastifyBaseLogger } from 'fastify';
import { wallClock, type Clock } from '../domain/clock.js';
import { readSourceInventory } from '../domain/inventory.js';
import type { MigrationReport } from '../domain/liveMigrations.js';
import type { AvailableProject } from '../store/links.js';
import type { Store } from '../store/store.js';
import { AtlasUnreachable, describeAtlasAnswer, digestCall, type AtlasEndpoint } from './atlasClient.js';

// The source side's migration hosts. As the real migration host's agent runs a push live
// migration and reports to Atlas, this asks Atlas (with each org's link key) for the org's running
// migrations, plays the phases of each one whose source deployment and migration host it has, and
// reports: WORKING with a falling lag, ready for cutover once synced, COMPLETE a while after a
// cutover, FAILED when the deployment or the host left the inventory. It keeps no state of its
// own: progress is measured from the instants Atlas stored (when the job first ran, when cutover
// was asked), so a restart of either side resumes every job where it was.

export const jobsPath = (atlasOrgId: string) => `/api/private/liveMigrations/orgs/${atlasOrgId}/jobs`;

/** How long the simulated phases take (`--migration-sync`, `--migration-cutover`). */
export interface MigrationPace {
  syncMs: number;
  cutoverMs: number;
}

/** A job as Atlas hands it to the migration host (routes/liveMigrationAgent.ts). */
export interface AgentJob {
  _id: string;
  sourceGroupId: string;
  sourceClusterName: string;
  migrationHost: string;
  status: string;
  workingAt: string | null;
  readyForCutover: boolean;
  cutoverRequestedAt: string | null;
}

/** What the migration host reports for `job` at `nowMs`, given its source inventory. */
export function progressOf(job: AgentJob, projects: AvailableProject[], nowMs: number, pace: MigrationPace): MigrationReport {
  const project = projects.find((p) => p.projectId === job.sourceGroupId);
  if (!project?.deployments.some((d) => d.name === job.sourceClusterName)) {
    return { status: 'FAILED', lagTimeSeconds: null, readyForCutover: false, errorMessage: `Source deployment ${job.sourceClusterName} is no longer in source project ${job.sourceGroupId}.` };
  }
  if (!project.migrationHosts.includes(job.migrationHost)) {
    return { status: 'FAILED', lagTimeSeconds: null, readyForCutover: false, errorMessage: `Migration host ${job.migrationHost} was removed from source project ${job.sourceGroupId}.` };
  }
  if (job.cutoverRequestedAt !== null) {
    const done = nowMs >= Date.parse(job.cutoverRequestedAt) + pace.cutoverMs;
    return { status: done ? 'COMPLETE' : 'WORKING', lagTimeSeconds: null, readyForCutover: true };
  }
  // The lag starts at the sync time in seconds and falls to 0 when the migration is synced.
  const initialLag = Math.max(1, Math.ceil(pace.syncMs / 1000));
  const elapsed = job.workingAt === null ? 0 : nowMs - Date.parse(job.workingAt);
  const ready = elapsed >= pace.syncMs;
  const lag = ready ? 0 : Math.ceil(initialLag * (1 - elapsed / pace.syncMs));
  return { status: 'WORKING', lagTimeSeconds: lag, readyForCutover: ready };
}

export class MigrationAgent {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** The last failure logged per org, so an Atlas that stays down is logged once. */
  private readonly failures = new Map<string, string>();

  constructor(
    private readonly store: Store,
    private readonly atlas: () => AtlasEndpoint,
    private readonly log: FastifyBaseLogger,
    private readonly pollMs: number,
    private readonly pace: MigrationPace,
    /** The Atlas side's clock with --role both (progress is measured from instants Atlas stored). */
    private readonly clock: Clock = wallClock,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.runOnce(), this.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** One round over every link; a round still running is awaited rather than doubled. */
  runOnce(): Promise<void> {
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<void> {
    try {
      const links = await this.store.source.listSourceLinks();
      await Promise.allSettled(links.map((link) => this.runJobsOf(link.orgId)));
    } catch (error) {
      this.log.warn({ err: error }, 'migration host: listing links failed');
    }
  }

  private async runJobsOf(orgId: string): Promise<void> {
    const link = await this.store.source.getSourceLink(orgId);
    if (!link || this.stopped) return;
    try {
      const answer = await digestCall(this.atlas(), link, { method: 'GET', path: jobsPath(link.atlasOrgId) });
      if (answer.status !== 200) throw new AtlasUnreachable(describeAtlasAnswer(answer));
      const jobs = JSON.parse(answer.body) as AgentJob[];
      if (jobs.length === 0) return;
      const { projects } = await readSourceInventory(this.store, orgId);
      for (const job of jobs) {
        if (this.stopped) return;
        const report = progressOf(job, projects, this.clock.now().getTime(), this.pace);
        const put = await digestCall(this.atlas(), link, { method: 'PUT', path: `${jobsPath(link.atlasOrgId)}/${job._id}`, body: JSON.stringify(report) });
        if (put.status !== 204) throw new AtlasUnreachable(describeAtlasAnswer(put));
      }
      this.failures.delete(orgId);
    } catch (error) {
      const reason = (error as Error).message;
      if (this.failures.get(orgId) !== reason) this.log.warn({ orgId, atlasOrgId: link.atlasOrgId, reason }, 'migration host: could not run its jobs; retrying every poll');
      this.failures.set(orgId, reason);
    }
  }
}
