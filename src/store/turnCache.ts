import { LRUCache } from 'lru-cache';

// A read cache for the SQLite back end's hottest lookups (the key or token behind every request).
// In WAL mode every read statement costs two fcntl() lock calls; under load that is the single
// biggest cost of a request. Entries stay exact:
//  - writes made through this store delete what they change (the store does that);
//  - writes made by other processes (admin commands on the same data dir) are noticed through
//    `PRAGMA data_version`, checked once per turn of the event loop, which empties the cache.
// Only hits are cached, never "not found", so nothing new is ever hidden.

export class TurnValidatedCache<V extends object> {
  private readonly entries: LRUCache<string, V>;
  private version: number | undefined;
  private checkedThisTurn = false;

  constructor(
    private readonly dataVersion: () => number,
    max = 10_000,
  ) {
    this.entries = new LRUCache<string, V>({ max });
  }

  get(key: string): V | undefined {
    this.validate();
    return this.entries.get(key);
  }

  set(key: string, value: V): void {
    this.entries.set(key, value);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  private validate(): void {
    if (this.checkedThisTurn) return;
    this.checkedThisTurn = true;
    setImmediate(() => {
      this.checkedThisTurn = false;
    });
    const version = this.dataVersion();
    if (version !== this.version) {
      this.entries.clear();
      this.version = version;
    }
  }
}
