import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BoundedCache } from '../src/boundedCache.js';

describe('BoundedCache', () => {
  it('never holds more than max entries, forgetting the oldest first', () => {
    const cache = new BoundedCache<string, number>(3);
    for (const [i, key] of ['a', 'b', 'c', 'd'].entries()) cache.set(key, i);
    assert.equal(cache.size, 3);
    assert.equal(cache.get('a'), undefined);
    assert.deepEqual(['b', 'c', 'd'].map((k) => cache.get(k)), [1, 2, 3]);
  });

  it('replaces a present key without evicting another', () => {
    const cache = new BoundedCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 3);
    assert.deepEqual([cache.get('a'), cache.get('b'), cache.size], [3, 2, 2]);
  });

  it('deletes and clears', () => {
    const cache = new BoundedCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.delete('a');
    assert.equal(cache.get('a'), undefined);
    cache.clear();
    assert.equal(cache.size, 0);
  });
});
