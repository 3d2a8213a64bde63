import type { Logger } from '@flowgate/logger';
import type { MessageAcceptStore } from './message-store';

/**
 * Moves messages whose publish the broker confirmed from ACCEPTED to QUEUED, in batches, and
 * only once they have waited `delayMs` (ADR 0011): a dispatcher that keeps up has claimed them by
 * then (its claim records the QUEUED step itself), so the update finds nothing to do and costs
 * an index lookup instead of a row version and an event per message. Messages still waiting on
 * the broker after the delay are marked, which also keeps the outbox relay (3 s) from publishing
 * them again.
 */
export class QueuedMarker {
  /** Confirmed during the current period. */
  private current: string[] = [];
  /** Confirmed during the previous period: at least `delayMs` old at the next tick. */
  private previous: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly messages: MessageAcceptStore,
    private readonly logger: Logger,
    private readonly delayMs = 500,
    private readonly maxBatch = 1000,
  ) {}

  add(id: string): void {
    this.current.push(id);
    this.arm();
  }

  private arm(): void {
    if (this.timer || (this.current.length === 0 && this.previous.length === 0)) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const due = this.previous;
      this.previous = this.current;
      this.current = [];
      void this.write(due);
      this.arm();
    }, this.delayMs);
    this.timer.unref();
  }

  /** Marks everything collected so far at once (shutdown, tests). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const due = [...this.previous, ...this.current];
    this.previous = [];
    this.current = [];
    return this.write(due);
  }

  private write(ids: string[]): Promise<void> {
    if (ids.length === 0) return this.flushing;
    this.flushing = this.flushing.then(async () => {
      for (let i = 0; i < ids.length; i += this.maxBatch) {
        const batch = ids.slice(i, i + this.maxBatch);
        try {
          await this.messages.markQueued(batch);
        } catch (err) {
          // Harmless: the dispatcher claims ACCEPTED rows too; the status catches up on its claim.
          this.logger.warn('could not mark messages queued', {
            count: batch.length,
            err,
          });
        }
      }
    });
    return this.flushing;
  }
}
