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
