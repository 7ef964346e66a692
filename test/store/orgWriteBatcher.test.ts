import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OrgWriteBatcher } from '../../src/store/orgWriteBatcher.js';

describe('OrgWriteBatcher', () => {
  function recorder(failOn?: number) {
    const calls: Array<{ kind: 'one' | 'group'; inputs: number[] }> = [];
    const batcher = new OrgWriteBatcher<number, number>({
      async runOne(input) {
        calls.push({ kind: 'one', inputs: [input] });
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (input === failOn) throw new Error(`failed ${input}`);
        return input * 10;
      },
      async runGroup(inputs) {
        calls.push({ kind: 'group', inputs });
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (failOn !== undefined && inputs.includes(failOn)) throw new Error('group rolled back');
        return inputs.map((i) => i * 10);
      },
    });
    return { calls, batcher };
  }

  it('runs the first alone and groups what arrives meanwhile, in order', async () => {
    const { calls, batcher } = recorder();
    const results = await Promise.all([1, 2, 3, 4].map((n) => batcher.run('org-a', n)));
    assert.deepEqual(results, [10, 20, 30, 40]);
    assert.deepEqual(calls, [
      { kind: 'one', inputs: [1] },
      { kind: 'group', inputs: [2, 3, 4] },
    ]);
  });

  it('never makes one org wait for another', async () => {
    const { calls, batcher } = recorder();
    await Promise.all([batcher.run('org-a', 1), batcher.run('org-b', 2)]);
    assert.deepEqual(calls.map((c) => c.kind), ['one', 'one']);
  });

  it('isolates a failure inside a group: only its caller gets the error', async () => {
    const { calls, batcher } = recorder(3);
    const results = await Promise.allSettled([1, 2, 3, 4].map((n) => batcher.run('org-a', n)));
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    assert.deepEqual((results[1] as PromiseFulfilledResult<number>).value, 20);
    assert.deepEqual(calls.slice(1).map((c) => `${c.kind}:${c.inputs.join(',')}`), ['group:2,3,4', 'one:2', 'one:3', 'one:4']);
  });

  it('fails a whole group at once when the failure is no input\'s own (a database that does not answer)', async () => {
    const calls: string[] = [];
    const unavailable = new Error('database unavailable');
    const batcher = new OrgWriteBatcher<number, number>({
      isolatesFailure: (error) => error !== unavailable,
      async runOne(input) {
        calls.push(`one:${input}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        throw unavailable;
      },
      async runGroup(inputs) {
        calls.push(`group:${inputs.join(',')}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        throw unavailable;
      },
    });
    const results = await Promise.allSettled([1, 2, 3, 4].map((n) => batcher.run('org-a', n)));
    assert.deepEqual(results.map((r) => r.status === 'rejected' && r.reason === unavailable), [true, true, true, true]);
    assert.deepEqual(calls, ['one:1', 'group:2,3,4'], 'no input runs again alone, to wait and fail in turn');
  });

  it('starts afresh once an org has drained', async () => {
    const { calls, batcher } = recorder();
    await batcher.run('org-a', 1);
    await batcher.run('org-a', 2);
    assert.deepEqual(calls.map((c) => c.kind), ['one', 'one']);
  });
});
