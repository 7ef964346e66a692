import { BoundedCache } from '../boundedCache.js';

// Read caches for the SQLite back end's hottest lookups (the key, token and org behind every
// request). In WAL mode every read statement costs two fcntl() lock calls; under load that is the
// single biggest cost of a request. Entries stay exact:
//  - writes made through this store delete what they change (the store does that);
//  - writes made by other processes (admin commands on the same data dir) are noticed through
//    `PRAGMA data_version`, checked once per turn of the event loop for all caches together,
//    which empties them.
// Only hits are cached, never "not found", so nothing new is ever hidden.

/** Asks the database once per event-loop turn whether another connection committed. */
export class DataVersionWatch {
  private version: number | undefined;
  private checkedThisTurn = false;
  /** Grows each time another connection's commit is noticed. */
  private generation = 0;

  constructor(private readonly dataVersion: () => number) {}

  current(): number {
    if (!this.checkedThisTurn) {
      this.checkedThisTurn = true;
      setImmediate(() => {
        this.checkedThisTurn = false;
      });
      const version = this.dataVersion();
      if (version !== this.version) {
        this.version = version;
        this.generation += 1;
      }
    }
    return this.generation;
  }
}

export class TurnValidatedCache<V extends object> {
  private readonly entries: BoundedCache<string, V>;
  private generation = -1;

  constructor(
    private readonly watch: DataVersionWatch,
    max = 10_000,
  ) {
    this.entries = new BoundedCache<string, V>(max);
  }

  get(key: string): V | undefined {
    const generation = this.watch.current();
    if (generation !== this.generation) {
      this.entries.clear();
      this.generation = generation;
    }
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
}
