/**
 * Group commit for the dispatcher's database work (ADR 0014): callers add one item each and get
 * their own result, while the items that arrive together (the same turn of the event loop, or
 * while the previous statements are still running) go to the database as one statement. At low
 * load a batch holds one item and costs no extra wait; under load batches grow on their own, so
 * the per-message cost of a round trip, a statement and a commit shrinks instead of queueing.
 */
export interface BatcherOptions {
  /** Most items per statement. */
  maxBatch: number;
  /** Statements of this batcher running at once (bounds its share of the connection pool). */
  maxConcurrent: number;
}

interface Pending<I, O> {
  item: I;
  resolve(value: O): void;
  reject(err: unknown): void;
}

export class Batcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private running = 0;
  private scheduled = false;

  constructor(
    /** Runs one batch; returns one result per item, in order. */
    private readonly run: (items: readonly I[]) => Promise<readonly O[]>,
    private readonly opts: BatcherOptions,
  ) {
    if (opts.maxBatch < 1 || opts.maxConcurrent < 1) throw new RangeError('batcher bounds must be ≥ 1');
  }

  /** Items waiting for a statement (not counting the ones running). */
  get waiting(): number {
    return this.queue.length;
  }

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running >= this.opts.maxConcurrent || this.queue.length === 0) return;
    this.scheduled = true;
    // One turn later, so that what the same burst of callbacks adds goes into one statement.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.running < this.opts.maxConcurrent && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.opts.maxBatch);
      this.running += 1;
      void this.runBatch(batch);
    }
  }

  private async runBatch(batch: Pending<I, O>[]): Promise<void> {
    try {
      const results = await this.run(batch.map((p) => p.item));
      if (results.length !== batch.length)
        throw new Error(`batch returned ${results.length} results for ${batch.length} items`);
      batch.forEach((p, i) => p.resolve(results[i] as O));
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      this.running -= 1;
      this.schedule();
    }
  }
}

/**
 * Runs a write until it succeeds: for what must be recorded once the provider has been called
 * (SENT, FAILED, a released claim), because giving up would hand the message to another attempt
 * and so to a second provider call. Waits 50 ms, doubling to 5 s, between tries; stops only when
 * `giveUp()` says so (the shutdown deadline), rethrowing the last error.
 */
export async function untilRecorded<T>(
  write: () => Promise<T>,
  opts: {
    onRetry(err: unknown, tries: number): void;
    giveUp(): boolean;
    sleep?: (ms: number) => Promise<void>;
  },
): Promise<{ value: T; tries: number }> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let delay = 50;
  for (let tries = 1; ; tries += 1) {
    try {
      return { value: await write(), tries };
    } catch (err) {
      if (opts.giveUp()) throw err;
      opts.onRetry(err, tries);
      await sleep(delay);
      delay = Math.min(5_000, delay * 2);
    }
  }
}
