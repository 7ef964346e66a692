import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FaultInjector } from '../../src/domain/faultInjector.js';
import { FaultRuleError, parseFaultFile, parseFaultRule, shapeReport, type ReportedJob } from '../../src/domain/faults.js';

// Fault rules: what a file or the admin endpoint declares, checked field by field, and which
// calls a rule hits (counted, then seeded random numbers), so a run repeats.

const LINK_TOKENS = 'POST /api/atlas/v2/orgs/{orgId}/liveMigrations/linkTokens';
const ORG = '5f0000000000000000000001';
const call = (path = `/api/atlas/v2/orgs/${ORG}/liveMigrations/linkTokens`, method = 'POST') => ({ target: 'atlas' as const, method, path });

describe('fault rules', () => {
  it('reads the file of the issue: after 2, times 1, 429 with Retry-After; and a latency rule with a seed', () => {
    let n = 0;
    const rules = parseFaultFile(
      {
        faults: [
          { route: LINK_TOKENS, after: 2, times: 1, status: 429, errorCode: 'RATE_LIMITED', retryAfter: 1 },
          { route: 'GET /api/atlas/v2/groups/{groupId}/liveMigrations/{liveMigrationId}', probability: 0.2, seed: 42, latencyMs: 1500 },
        ],
      },
      () => `rule${++n}`,
    );
    assert.deepEqual(rules.map((r) => [r.id, r.target, r.after, r.times, r.status, r.errorCode, r.retryAfter, r.latencyMs]), [
      ['rule1', 'atlas', 2, 1, 429, 'RATE_LIMITED', 1, undefined],
      ['rule2', 'atlas', 0, undefined, undefined, undefined, undefined, 1500],
    ]);
  });

  it('names the field at fault', () => {
    const refused = (rule: unknown, field: string) =>
      assert.throws(() => parseFaultRule(rule, 'x', 'faults[0]'), (e: unknown) => e instanceof FaultRuleError && e.field === field);
    refused({ route: LINK_TOKENS, status: 429, retryAfter: 'soon' }, 'faults[0].retryAfter');
    refused({ route: LINK_TOKENS, status: 99 }, 'faults[0].status');
    refused({ route: LINK_TOKENS, status: 418 }, 'faults[0].errorCode');
    refused({ route: LINK_TOKENS, status: 500, probability: 1.5 }, 'faults[0].probability');
    refused({ route: 'linkTokens', status: 500 }, 'faults[0].route');
    refused({ route: `FETCH ${LINK_TOKENS.slice(5)}`, status: 500 }, 'faults[0].route');
    refused({ route: LINK_TOKENS }, 'faults[0]');
    refused({ status: 500 }, 'faults[0].route');
    refused({ route: LINK_TOKENS, status: 500, color: 'red' }, 'faults[0].color');
    refused({ route: LINK_TOKENS, status: 500, seed: 3 }, 'faults[0].seed');
    refused({ liveMigration: { failAt: 'LATER' } }, 'faults[0].liveMigration.failAt');
    refused({ liveMigration: { failAt: 'WORKING' }, status: 500 }, 'faults[0].status');
    assert.throws(() => parseFaultFile({ faults: {} }, () => 'x'), /faults: must be a list/);
    assert.throws(() => parseFaultFile({ rules: [] }, () => 'x'), /rules: is not a fault file field/);
  });

  it('lets `after` calls through, faults `times`, then lets every later call through', () => {
    const faults = new FaultInjector([parseFaultRule({ route: LINK_TOKENS, after: 2, times: 1, status: 429, retryAfter: 1 }, 'r', 'f')]);
    const outcomes = Array.from({ length: 5 }, () => faults.forCall(call())?.error?.status ?? 200);
    assert.deepEqual(outcomes, [200, 200, 429, 200, 200]);
    assert.deepEqual(faults.list().map((r) => [r.matched, r.faulted]), [[5, 1]]);
  });

  it('matches the method, the template segment by segment, and the org and auth it names', () => {
    const faults = new FaultInjector([
      parseFaultRule({ route: LINK_TOKENS, orgId: ORG, auth: 'bearer', status: 500 }, 'r', 'f'),
    ]);
    assert.equal(faults.forCall({ ...call(), auth: 'digest' }), undefined);
    assert.equal(faults.forCall({ ...call(undefined, 'GET'), auth: 'bearer' }), undefined);
    assert.equal(faults.forCall({ ...call('/api/atlas/v2/orgs/5f0000000000000000000002/liveMigrations/linkTokens'), auth: 'bearer' }), undefined);
    assert.equal(faults.forCall({ ...call(`/api/atlas/v2/orgs/${ORG}/x/liveMigrations/linkTokens`), auth: 'bearer' }), undefined);
    assert.equal(faults.forCall({ ...call(), auth: 'bearer' })?.error?.errorCode, 'UNEXPECTED_ERROR');
  });

  it('draws the same sequence from the same seed, and another from another seed', () => {
    const sequence = (seed: number) => {
      const faults = new FaultInjector([parseFaultRule({ route: LINK_TOKENS, probability: 0.3, seed, status: 503 }, 'r', 'f')]);
      return Array.from({ length: 40 }, () => (faults.forCall(call()) ? 'x' : '.')).join('');
    };
    assert.equal(sequence(42), sequence(42));
    assert.notEqual(sequence(42), sequence(7));
    const hits = [...sequence(42)].filter((c) => c === 'x').length;
    assert.ok(hits > 3 && hits < 25, `about 30 % of 40 calls, got ${hits}`);
  });

  it("holds an org owner's rules to their org, and clears by id or all", () => {
    const faults = new FaultInjector();
    const mine = faults.add({ route: LINK_TOKENS, status: 500 }, ORG);
    assert.equal(mine.orgId, ORG);
    assert.throws(() => faults.add({ route: LINK_TOKENS, status: 500, orgId: '5f0000000000000000000002' }, ORG), /own org/);
    faults.add({ route: 'GET /api/atlas/v2/groups', latencyMs: 10 });
    assert.equal(faults.forCall({ ...call('/api/atlas/v2/orgs/5f0000000000000000000002/liveMigrations/linkTokens'), orgId: '5f0000000000000000000002' }), undefined);
    assert.equal(faults.list(ORG).length, 1);
    assert.equal(faults.clear({ id: mine.id, orgId: '5f0000000000000000000002' }), 0);
    assert.equal(faults.clear({ id: mine.id }), 1);
    assert.equal(faults.clear(), 1);
    assert.equal(faults.list().length, 0);
    // A path without the org: the caller's org decides; an unknown one never matches an org's rule.
    const groups = faults.add({ route: 'GET /api/atlas/v2/groups', status: 503 }, ORG);
    assert.equal(faults.forCall({ ...call('/api/atlas/v2/groups', 'GET'), orgId: '5f0000000000000000000002' })?.error, undefined);
    assert.equal(faults.forCall({ ...call('/api/atlas/v2/groups', 'GET') })?.error, undefined);
    assert.equal(faults.forCall({ ...call('/api/atlas/v2/groups', 'GET'), orgId: ORG })?.error?.status, 503);
    assert.equal(faults.clear({ id: groups.id }), 1);
  });

  it('shapes migration reports: fails a job at the phase named, or pins its lag', () => {
    const job: ReportedJob = { id: 'm1'.padEnd(24, '0'), orgId: ORG, groupId: 'g'.padEnd(24, '0'), status: 'NEW', readyAt: null, cutoverRequestedAt: null };
    const working = { status: 'WORKING' as const, lagTimeSeconds: 10, readyForCutover: false };
    const rule = (liveMigration: Record<string, unknown>) => [parseFaultRule({ liveMigration }, 'r', 'f')];
    assert.equal(shapeReport(rule({ failAt: 'WORKING' }), job, working).report.status, 'FAILED');
    assert.equal(shapeReport(rule({ failAt: 'READY_FOR_CUTOVER' }), job, working).report.status, 'WORKING');
    const ready = { ...working, lagTimeSeconds: 0, readyForCutover: true };
    assert.equal(shapeReport(rule({ failAt: 'READY_FOR_CUTOVER', errorMessage: 'oplog fell off' }), { ...job, status: 'WORKING' }, ready).report.errorMessage, 'oplog fell off');
    assert.equal(shapeReport(rule({ failAt: 'CUTOVER' }), { ...job, status: 'WORKING', cutoverRequestedAt: 'x' }, ready).report.status, 'FAILED');
    assert.deepEqual(shapeReport(rule({ lagTimeSeconds: 120 }), { ...job, status: 'WORKING' }, ready).report, { status: 'WORKING', lagTimeSeconds: 120, readyForCutover: false });
    assert.equal(shapeReport(rule({ failAt: 'WORKING', id: 'f'.repeat(24) }), job, working).ruleId, undefined);
  });
});
