import type { Logger } from '@flowgate/logger';
import type { MessageRepository } from './message.repository';

/**
 * Collects ids whose publish the broker confirmed and moves them ACCEPTED → QUEUED in one
 * statement per tick, instead of one write per message on the request path.
 */
export class QueuedMarker {
  private pending: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly messages: MessageRepository,
    private readonly logger: Logger,
    private readonly intervalMs = 50,
    private readonly maxBatch = 1000,
  ) {}

  add(id: string): void {
    this.pending.push(id);
    if (this.pending.length >= this.maxBatch) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.intervalMs);
      this.timer.unref();
    }
  }

  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return this.flushing;
    this.flushing = this.flushing.then(async () => {
      try {
        await this.messages.markQueued(batch);
      } catch (err) {
        // Harmless: the dispatcher claims ACCEPTED rows too; the status catches up on its claim.
        this.logger.warn('could not mark messages queued', {
          count: batch.length,
          err: err instanceof Error ? err.message : String(err),
        });
      }
    });
    return this.flushing;
  }
}
