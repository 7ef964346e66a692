import type { FastifyBaseLogger } from 'fastify';
import { readSourceInventory } from '../domain/inventory.js';
import { recordSync } from '../domain/sourceLinks.js';
import type { LinkSyncStatus, SourceLinkWithdrawal } from '../store/source.js';
import type { Store } from '../store/store.js';
import { AtlasUnreachable, describeAtlasAnswer, digestCall, type AtlasEndpoint } from './atlasClient.js';

// Keeps the source side's links in sync with Atlas: pushes each linked org's inventory with its
// link key, on completion, on request, and every interval (so a change made by an admin command,
// or Atlas coming back, is picked up without a restart, and a key Atlas has revoked shows as
// NOT_SYNCED). One sync per org at a time; every call bounded by the endpoint's timeout.
//
// It also withdraws what deleted or replaced links pushed: the store keeps a record of each until
// Atlas acknowledges, so an Atlas that is down when a link goes still gets told once it is back.

/**
 * What a person does about a refused push, after Atlas's own words: the reason is read by someone
 * looking at a NOT_SYNCED link, who should not have to know that 401 means a dead link key.
 */
function pushAdvice(status: number, body: string): string {
  let code: string | undefined;
  try {
    code = (JSON.parse(body) as { errorCode?: string }).errorCode;
  } catch {
    // not JSON: no code to go by
  }
  if (status === 401 && code !== 'USER_CANNOT_ACCESS_ORG') {
    return ' (the link key no longer works: the link was deleted or replaced on Atlas; create a new link-token there and complete the link again)';
  }
  if (status === 403 && code === 'IP_ADDRESS_NOT_ON_ACCESS_LIST') return " (this source's address is not on the link-token's accessListIps; create a new link-token that lists it)";
  return '';
}

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
  /** Withdrawal attempts in flight, by link id. */
  private readonly withdrawing = new Map<string, Promise<boolean>>();
  /** The last failure logged for each pending withdrawal, so an Atlas that stays down is logged once, not every interval. */
  private readonly withdrawalFailures = new Map<string, string>();
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
    await Promise.allSettled([...this.running.values(), ...this.withdrawing.values()]);
  }

  /** One round: every link pushed, every pending withdrawal tried. */
  async syncAll(): Promise<void> {
    await Promise.all([this.pushAll(), this.retryWithdrawals()]);
  }

  private async pushAll(): Promise<void> {
    try {
      const links = await this.store.source.listSourceLinks();
      await Promise.allSettled(links.map((link) => this.sync(link.orgId)));
    } catch (error) {
      this.log.warn({ err: error }, 'listing links to sync failed');
    }
  }

  private async retryWithdrawals(): Promise<void> {
    try {
      const pending = await this.store.source.listSourceLinkWithdrawals();
      const ids = new Set(pending.map((w) => w.linkId));
      for (const linkId of this.withdrawalFailures.keys()) if (!ids.has(linkId)) this.withdrawalFailures.delete(linkId);
      await Promise.allSettled(pending.map((w) => this.withdraw(w)));
    } catch (error) {
      this.log.warn({ err: error }, 'listing pending withdrawals failed');
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

  /**
   * The withdrawal was cancelled while it ran: a link with the same Atlas org and key was completed
   * again, and its push may have reached Atlas before the withdrawal did. Each such link is pushed
   * once more, by a push that starts after the one running now, so after the withdrawal.
   */
  private async pushAgainWithKey(withdrawal: SourceLinkWithdrawal): Promise<void> {
    const links = (await this.store.source.listSourceLinks()).filter(
      (link) => link.atlasOrgId === withdrawal.atlasOrgId && link.publicKey === withdrawal.publicKey,
    );
    await Promise.allSettled(
      links.map(async (link) => {
        await this.running.get(link.orgId)?.catch(() => undefined);
        return this.running.get(link.orgId) ?? this.startPush(link.orgId);
      }),
    );
  }

  private startPush(orgId: string): Promise<SyncOutcome> {
    const attempt = this.push(orgId).finally(() => this.running.delete(orgId));
    this.running.set(orgId, attempt);
    return attempt;
  }

  private async push(orgId: string): Promise<SyncOutcome> {
    const link = await this.store.source.getSourceLink(orgId);
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
        reason = describeAtlasAnswer(answer) + pushAdvice(answer.status, answer.body);
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

  /**
   * Asks Atlas to drop the inventory a deleted or replaced link pushed: one bounded call (or the
   * attempt already running for that link). True when the withdrawal is settled and its record
   * dropped: Atlas acknowledged, or answered 401/403, which says the key is no longer its org's link
   * key (the inventory lost its authority with it) or may not call from here, where retrying
   * changes nothing. Otherwise the record stays and the next interval tries again. Never rejects.
   */
  withdraw(withdrawal: SourceLinkWithdrawal): Promise<boolean> {
    const running = this.withdrawing.get(withdrawal.linkId);
    if (running) return running;
    // A push that read the link before it went must not land after the withdrawal. Only the push
    // running now can have: any that starts later reads the store without the link.
    const pushing = this.running.get(withdrawal.orgId);
    const attempt = this.attemptWithdrawal(withdrawal, pushing).finally(() => this.withdrawing.delete(withdrawal.linkId));
    this.withdrawing.set(withdrawal.linkId, attempt);
    return attempt;
  }

  private async attemptWithdrawal(withdrawal: SourceLinkWithdrawal, pushing: Promise<SyncOutcome> | undefined): Promise<boolean> {
    const entry = { orgId: withdrawal.orgId, atlasOrgId: withdrawal.atlasOrgId, linkKey: withdrawal.publicKey };
    try {
      await pushing?.catch(() => undefined);
      if (this.stopped) return false;
      let refusal: string | undefined;
      let failure: string | undefined;
      try {
        const answer = await digestCall(this.atlas(), withdrawal, { method: 'DELETE', path: inventoryPath(withdrawal.atlasOrgId) });
        if (answer.status === 401 || answer.status === 403) refusal = describeAtlasAnswer(answer);
        else if (answer.status < 200 || answer.status > 299) failure = describeAtlasAnswer(answer);
      } catch (error) {
        failure = error instanceof AtlasUnreachable ? error.message : `withdrawal failed: ${(error as Error).message}`;
      }
      if (failure !== undefined) {
        if (this.withdrawalFailures.get(withdrawal.linkId) !== failure) {
          this.log.warn({ ...entry, reason: failure }, 'could not withdraw the inventory from Atlas; retrying every interval');
        }
        this.withdrawalFailures.set(withdrawal.linkId, failure);
        return false;
      }
      const stillPending = await this.store.source.deleteSourceLinkWithdrawal(withdrawal.linkId);
      this.withdrawalFailures.delete(withdrawal.linkId);
      if (!stillPending && refusal === undefined) await this.pushAgainWithKey(withdrawal);
      if (refusal === undefined) this.log.info(entry, 'inventory withdrawn from Atlas');
      else this.log.info({ ...entry, answer: refusal }, 'Atlas no longer takes the link key: nothing left to withdraw');
      return true;
    } catch (error) {
      this.log.warn({ ...entry, err: error }, 'withdrawal not settled; retrying every interval');
      return false;
    }
  }
}
