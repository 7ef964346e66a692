import { ActiveFaultRule, FaultRuleError, parseFaultRule, type FaultAction, type FaultCall, type FaultRule } from './faults.js';
import { newObjectId } from './ids.js';

// The fault rules a server runs with: those of its --faults file, then those added at run time
// (pushlink's admin endpoint, `pushlink fault add`). Kept in the process, as the counters and
// random numbers that decide which call is hit are: a restart starts again from the file, so a
// scripted run repeats. An org owner's rules only ever hit calls of their own org.

export class FaultInjector {
  private active: ActiveFaultRule[];

  constructor(rules: readonly FaultRule[] = []) {
    this.active = rules.map((rule) => new ActiveFaultRule(rule));
  }

  isEmpty(): boolean {
    return this.active.length === 0;
  }

  /** Adds a rule as declared; with `orgId` (an org owner's), it is held to that org. */
  add(spec: unknown, orgId?: string): FaultRule {
    const rule = parseFaultRule(spec, newObjectId(), 'fault');
    if (orgId !== undefined) {
      if (rule.orgId !== undefined && rule.orgId !== orgId) throw new FaultRuleError('fault.orgId', `an org owner's rules are for their own org (${orgId})`);
      rule.orgId = orgId;
    }
    this.active.push(new ActiveFaultRule(rule));
    return rule;
  }

  /** The rules (of one org, when given), with how many calls each matched and faulted. */
  list(orgId?: string) {
    return this.active.filter((a) => orgId === undefined || a.rule.orgId === orgId).map((a) => a.view());
  }

  /** Removes one rule, or all (of one org, when given); how many went. */
  clear(options: { id?: string; orgId?: string } = {}): number {
    const before = this.active.length;
    this.active = this.active.filter(
      (a) => !((options.id === undefined || a.rule.id === options.id) && (options.orgId === undefined || a.rule.orgId === options.orgId)),
    );
    return before - this.active.length;
  }

  /**
   * What `call` gets: every rule it matches counts it (so `after` and `times` mean what they say
   * whichever rule fires), and the first of them that decides to fault it acts.
   */
  forCall(call: FaultCall): FaultAction | undefined {
    let action: FaultAction | undefined;
    for (const active of this.active) {
      if (!active.matches(call)) continue;
      if (active.decide() && !action) action = active.action();
    }
    return action;
  }

  /** The liveMigration rules, for the migration host's reports. */
  migrationRules(): FaultRule[] {
    return this.active.filter((a) => a.rule.liveMigration).map((a) => a.rule);
  }
}
