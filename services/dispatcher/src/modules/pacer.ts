/**
 * Pacing of provider calls (DESIGN §5). Per sending number: a token bucket at the configured rate
 * (Meta's default 80/s); a caller may wait for its slot only a short while, and only a bounded
 * number of callers may wait per number, so one slow number can never fill the dispatcher's
 * prefetch window and stall the others. Per (number, recipient): Meta's pair limit.
 */
export class NumberPacer {
  private readonly buckets = new Map<string, { nextFreeAt: number; waiting: number }>();

  constructor(
    private readonly ratePerSecond: number,
    /** Longest a caller may wait in memory for its slot; beyond that it goes to a delay queue. */
    private readonly maxWaitMs = 1000,
    private readonly maxWaitersPerNumber = 64,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reserves a slot: `{ waitMs }` to wait in memory, or `{ retryInMs }` to come back later. */
  reserve(numberId: string): { waitMs: number } | { retryInMs: number } {
    const interval = 1000 / this.ratePerSecond;
    const now = this.now();
    let b = this.buckets.get(numberId);
    if (!b) {
      b = { nextFreeAt: now, waiting: 0 };
      this.buckets.set(numberId, b);
    }
    const start = Math.max(now, b.nextFreeAt);
    const waitMs = start - now;
    if (waitMs > this.maxWaitMs || (waitMs > 0 && b.waiting >= this.maxWaitersPerNumber)) {
      return { retryInMs: Math.max(waitMs, interval) };
    }
    b.nextFreeAt = start + interval;
    return { waitMs };
  }

  /** Call around an in-memory wait so the per-number waiter bound holds. */
  async wait(numberId: string, ms: number): Promise<void> {
    if (ms <= 0) return;
    const b = this.buckets.get(numberId);
    if (b) b.waiting += 1;
    try {
      await new Promise((r) => setTimeout(r, ms));
    } finally {
      if (b) b.waiting -= 1;
    }
  }
}

/** Meta's pair limit: a burst, then a sustained rate per (number, recipient). */
export class PairLimiter {
  private readonly pairs = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly burst: number,
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
    private readonly maxPairs = 100_000,
  ) {}

  /** Takes a token, or returns how long until one is available. */
  take(numberId: string, recipient: string): number {
    const key = `${numberId}|${recipient}`;
    const now = this.now();
    const ratePerMs = this.perMinute / 60_000;
    const p = this.pairs.get(key) ?? { tokens: this.burst, at: now };
    p.tokens = Math.min(this.burst, p.tokens + (now - p.at) * ratePerMs);
    p.at = now;
    if (p.tokens >= 1) {
      p.tokens -= 1;
      this.pairs.delete(key);
      if (this.pairs.size >= this.maxPairs) {
        const oldest = this.pairs.keys().next();
        if (!oldest.done) this.pairs.delete(oldest.value);
      }
      this.pairs.set(key, p);
      return 0;
    }
    this.pairs.set(key, p);
    return Math.ceil((1 - p.tokens) / ratePerMs);
  }
}

/** Sending numbers paused after an account-level error (bad token, blocked account, …). */
export class NumberPauses {
  private readonly until = new Map<string, number>();
  constructor(private readonly now: () => number = Date.now) {}
  pause(numberId: string, ms: number): void {
    this.until.set(numberId, this.now() + ms);
  }
  remaining(numberId: string): number {
    const t = this.until.get(numberId);
    if (t === undefined) return 0;
    const left = t - this.now();
    if (left <= 0) this.until.delete(numberId);
    return Math.max(0, left);
  }
}
