import type { FastifyBaseLogger } from 'fastify';
import { readSourceInventory } from '../domain/inventory.js';
import { recordSync } from '../domain/sourceLinks.js';
import type { LinkSyncStatus, SourceLinkRecord, Store } from '../store/store.js';
import { AtlasUnreachable, describeAtlasAnswer, digestCall, type AtlasEndpoint } from './atlasClient.js';

// Keeps the source side's links in sync with Atlas: pushes each linked org's inventory with its
// link key, on completion, on request, and every interval (so a change made by an admin command,
// or Atlas coming back, is picked up without a restart, and a key Atlas has revoked shows as
// NOT_SYNCED). One sync per org at a time; every call bounded by the endpoint's timeout.

export const inventoryPath = (atlasOrgId: string) => `/api/private/liveMigrations/orgs/${atlasOrgId}/inventory`;

/** What one push did: for which link (undefined when the org had none), and its result. */
export interface SyncOutcome {
  linkId: string | undefined;
  status: LinkSyncStatus;
  reason: string | null;
}

export class LinkSyncer {
  private timer: NodeJS.Timeout | undefined;
  private readonly running = new Map<string, Promise<SyncOutcome>>();
  private stopped = false;

  constructor(
    private readonly store: Store,
    /** A function, because with --role both the Atlas side's own URL is known only once it listens. */
    private readonly atlas: () => AtlasEndpoint,
    private readonly log: FastifyBaseLogger,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.syncAll(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.allSettled([...this.running.values()]);
  }

  async syncAll(): Promise<void> {
    try {
      const links = await this.store.listSourceLinks();
      await Promise.allSettled(links.map((link) => this.sync(link.orgId)));
    } catch (error) {
      this.log.warn({ err: error }, 'listing links to sync failed');
    }
  }

  /**
   * Pushes the org's inventory now, or joins the push already running, and returns its outcome.
   * With `linkId` (a link just stored), a running push only counts if it pushed that link: one
   * that read the link before it was stored pushed its predecessor, with the old key, and its
   * result says nothing about the new link. So it is waited for, and the org pushed again.
   */
  async sync(orgId: string, linkId?: string): Promise<SyncOutcome> {
    const running = this.running.get(orgId);
    if (running) {
      const outcome = await running;
      if (linkId === undefined || outcome.linkId === linkId) return outcome;
    }
    // Any push that starts from here on reads the link after `linkId` was stored.
    return this.running.get(orgId) ?? this.startPush(orgId);
  }

  private startPush(orgId: string): Promise<SyncOutcome> {
    const attempt = this.push(orgId).finally(() => this.running.delete(orgId));
    this.running.set(orgId, attempt);
    return attempt;
  }

  private async push(orgId: string): Promise<SyncOutcome> {
    const link = await this.store.getSourceLink(orgId);
    if (!link) return { linkId: undefined, status: 'NOT_SYNCED', reason: null };
    if (this.stopped) return { linkId: link.linkId, status: link.status, reason: link.reason };
    const inventory = await readSourceInventory(this.store, orgId);
    const attemptedAt = new Date().toISOString();
    let status: LinkSyncStatus = 'NOT_SYNCED';
    let reason: string | null;
    try {
      const answer = await digestCall(this.atlas(), link, {
        method: 'PUT',
        path: inventoryPath(link.atlasOrgId),
        body: JSON.stringify({ projects: inventory.projects }),
      });
      if (answer.status === 204) {
        status = 'SYNCED';
        reason = null;
      } else {
        reason = describeAtlasAnswer(answer);
      }
    } catch (error) {
      reason = error instanceof AtlasUnreachable ? error.message : `sync failed: ${(error as Error).message}`;
    }
    await recordSync(this.store, link, {
      status,
      reason,
      syncedVersion: status === 'SYNCED' ? inventory.version : null,
      attemptedAt,
    });
    if (status !== link.status || reason !== link.reason) {
      const entry = { orgId, atlasOrgId: link.atlasOrgId, linkKey: link.publicKey, status, reason };
      if (status === 'SYNCED') this.log.info(entry, 'live-migration link synced');
      else this.log.warn(entry, 'live-migration link not synced');
    }
    return { linkId: link.linkId, status, reason };
  }

  /** Tells Atlas to drop the inventory this link pushed (best effort, bounded): used when the link is deleted. */
  async withdraw(link: SourceLinkRecord): Promise<void> {
    // A push still running for this org must not land after the withdrawal.
    await this.running.get(link.orgId)?.catch(() => undefined);
    try {
      const answer = await digestCall(this.atlas(), link, { method: 'DELETE', path: inventoryPath(link.atlasOrgId) });
      if (answer.status !== 204) this.log.info({ orgId: link.orgId, answer: describeAtlasAnswer(answer) }, 'Atlas kept no inventory to withdraw');
    } catch (error) {
      this.log.warn({ orgId: link.orgId, reason: (error as Error).message }, 'could not withdraw the inventory from Atlas');
    }
  }
}
