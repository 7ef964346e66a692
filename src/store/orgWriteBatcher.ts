// Link replacements of one org are serialised by the database (they take the org's row lock), so
// on PostgreSQL each one costs a whole commit while the next waits. Within one instance, the
// replacements of an org that arrive while one is running wait here and then go together in one
// transaction: one commit for the group, in arrival order, each getting its own result. Different
// orgs never wait for each other.

export interface BatchRunner<I, O> {
  /** Runs a group (in order) in one transaction; resolves with one result per input. */
  runGroup(inputs: I[]): Promise<O[]>;
  /** Runs one input on its own (used alone, and to isolate a failure inside a group). */
  runOne(input: I): Promise<O>;
  /**
   * Whether running each input alone may tell a failed group's inputs apart (true unless given).
   * False for a failure that is no input's (a database that does not answer): each would wait and
   * fail in turn, the last after all the others.
   */
  isolatesFailure?(error: unknown): boolean;
}

interface Waiting<I, O> {
  input: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

export class OrgWriteBatcher<I, O> {
  private readonly queues = new Map<string, Array<Waiting<I, O>>>();

  constructor(private readonly runner: BatchRunner<I, O>) {}

  run(orgId: string, input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      const queue = this.queues.get(orgId);
      if (queue) {
        queue.push({ input, resolve, reject });
        return;
      }
      this.queues.set(orgId, []);
      void this.drain(orgId, [{ input, resolve, reject }]);
    });
  }

  private async drain(orgId: string, group: Array<Waiting<I, O>>): Promise<void> {
    for (;;) {
      await this.settle(group);
      const next = this.queues.get(orgId)!;
      if (next.length === 0) {
        this.queues.delete(orgId);
        return;
      }
      this.queues.set(orgId, []);
      group = next;
    }
  }

  private async settle(group: Array<Waiting<I, O>>): Promise<void> {
    if (group.length === 1) {
      const [only] = group;
      await this.runner.runOne(only!.input).then(only!.resolve, only!.reject);
      return;
    }
    try {
      const outputs = await this.runner.runGroup(group.map((w) => w.input));
      group.forEach((w, i) => w.resolve(outputs[i]!));
    } catch (error) {
      if (this.runner.isolatesFailure?.(error) === false) {
        for (const w of group) w.reject(error);
        return;
      }
      // One input failed and rolled the group back: run each alone so only it gets the error.
      for (const w of group) await this.runner.runOne(w.input).then(w.resolve, w.reject);
    }
  }
}
