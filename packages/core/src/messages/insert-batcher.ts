import { isConnectionError } from '@flowgate/db';
import type { MessageRepository, NewMessage } from './message.repository';

export type InsertOutcome =
  { inserted: true } | { inserted: false; existing: { id: string; requestHash: string | null } };

interface Waiting {
  message: NewMessage;
  resolve(outcome: InsertOutcome): void;
  reject(err: unknown): void;
}

/**
 * Group commit for accepted messages (ADR 0011): the inserts of concurrent requests go to
 * PostgreSQL as one statement, so a burst of N sends costs one round trip and one commit instead
 * of N. Nothing waits for a batch to fill: a flush starts as soon as the current turn of the
 * event loop has handed over its requests and fewer than `maxInFlight` flushes are running; what
 * arrives meanwhile forms the next batch. Each caller's promise settles once its row is committed
 * (or known to be a duplicate), so a 201 still means "stored".
 */
export class InsertBatcher {
  private pending: Waiting[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly messages: MessageRepository,
    private readonly maxBatch = 500,
    private readonly maxInFlight = 2,
  ) {}

  insert(message: NewMessage): Promise<InsertOutcome> {
    return new Promise<InsertOutcome>((resolve, reject) => {
      this.pending.push({ message, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.pending.length === 0) return;
    this.scheduled = true;
    // After the I/O callbacks of this turn, so requests parsed together are written together.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < this.maxInFlight && this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      this.inFlight += 1;
      this.write(batch)
        // write() settles every caller itself; this only guards against a bug leaving one hanging.
        .catch((err: unknown) => {
          for (const w of batch) w.reject(err);
        })
        .finally(() => {
          this.inFlight -= 1;
          this.schedule();
        });
    }
  }

  private async write(batch: Waiting[]): Promise<void> {
    // Keyed rows in one fixed order, so two batches never wait for each other's keys in opposite
    // orders (a deadlock); unkeyed rows cannot conflict.
    batch.sort((a, b) => compareKeys(a.message, b.message));
    let inserted: Set<string>;
    try {
      inserted = await this.messages.insertAcceptedBatch(batch.map((w) => w.message));
    } catch (err) {
      if (batch.length === 1 || isConnectionError(err)) {
        for (const w of batch) w.reject(err);
        return;
      }
      // One bad row fails the statement: write each on its own, so only that row's request fails.
      await Promise.all(batch.map((w) => this.write([w])));
      return;
    }
    for (const w of batch) {
      if (inserted.has(w.message.id)) {
        w.resolve({ inserted: true });
        continue;
      }
      const { workspaceId, idempotencyKey } = w.message;
      if (idempotencyKey === null) {
        w.reject(new Error('a message without an Idempotency-Key was not inserted'));
        continue;
      }
      try {
        const existing = await this.messages.findByIdempotencyKey(workspaceId, idempotencyKey);
        if (existing) w.resolve({ inserted: false, existing });
        else w.reject(new Error('idempotency conflict without a row'));
      } catch (err) {
        w.reject(err);
      }
    }
  }
}

function compareKeys(a: NewMessage, b: NewMessage): number {
  if (a.idempotencyKey === null || b.idempotencyKey === null)
    return (a.idempotencyKey === null ? 1 : 0) - (b.idempotencyKey === null ? 1 : 0);
  if (a.workspaceId !== b.workspaceId) return a.workspaceId < b.workspaceId ? -1 : 1;
  return a.idempotencyKey < b.idempotencyKey ? -1 : a.idempotencyKey > b.idempotencyKey ? 1 : 0;
}
