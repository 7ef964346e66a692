// A Map that holds at most `max` entries, forgetting the oldest first. The caches on the request
// path (verified tokens, compiled access lists, keys, orgs) only need a bound, not recency order:
// lru-cache's bookkeeping cost a measured 3 % of a create-link-token request, this costs none.
export class BoundedCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly max: number) {}

  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  set(key: K, value: V): void {
    if (!this.entries.has(key) && this.entries.size >= this.max) {
      this.entries.delete(this.entries.keys().next().value as K);
    }
    this.entries.set(key, value);
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
