/**
 * Group commit for database work (ADR 0011, ADR 0014): callers add one item each and get
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
  /**
   * How long the first waiting item may wait for others before its statement runs (unless
   * `maxBatch` items wait by then). 0 (the default): the next turn of the event loop. For writes
   * nobody waits on for an answer (a status after the provider call, a log row), a few
   * milliseconds turn many one-row statements into one (ADR 0046).
   */
  lingerMs?: number;
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
  private lingering: NodeJS.Timeout | undefined;

  constructor(
    /** Runs one batch; returns one result per item, in order. */
    private readonly run: (items: readonly I[]) => Promise<readonly O[]>,
    private readonly opts: BatcherOptions,
  ) {
    if (opts.maxBatch < 1 || opts.maxConcurrent < 1 || (opts.lingerMs ?? 0) < 0)
      throw new RangeError('batcher bounds must be ≥ 1 (linger ≥ 0)');
  }

  /** Items waiting for a statement (not counting the ones running). */
  get waiting(): number {
    return this.queue.length;
  }

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.lingering && this.queue.length >= this.opts.maxBatch) {
        // A full batch does not wait out the linger.
        clearTimeout(this.lingering);
        this.lingering = undefined;
        this.scheduled = false;
      }
      this.schedule(true);
    });
  }

  /** `fresh`: the first item just arrived (it may linger); otherwise items have waited already. */
  private schedule(fresh = false): void {
    if (this.scheduled || this.running >= this.opts.maxConcurrent || this.queue.length === 0) return;
    this.scheduled = true;
    const fire = (): void => {
      this.scheduled = false;
      this.lingering = undefined;
      this.flush();
    };
    const linger = this.opts.lingerMs ?? 0;
    if (fresh && linger > 0 && this.queue.length < this.opts.maxBatch) {
      this.lingering = setTimeout(fire, linger);
      return;
    }
    // One turn later, so that what the same burst of callbacks adds goes into one statement.
    setImmediate(fire);
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
