/**
 * Bounds concurrent CPU-heavy work (argon2) and the queue in front of it. When both are full,
 * `tryAcquire` returns undefined so the caller can shed load instead of piling up memory.
 */
export class BoundedSemaphore {
  private active = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(
    private readonly maxActive: number,
    private readonly maxQueued: number,
  ) {}

  async tryAcquire(): Promise<(() => void) | undefined> {
    if (this.active < this.maxActive) {
      this.active += 1;
      return this.releaser();
    }
    if (this.waiters.length >= this.maxQueued) return undefined;
    await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.releaser();
  }

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiters.length;
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.active -= 1;
    };
  }
}
