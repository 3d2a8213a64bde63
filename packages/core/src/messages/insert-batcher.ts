import { Batcher, isConnectionError } from '@flowgate/db';
import type { AcceptOutcome, MessageAcceptStore, NewMessage } from './message-store';

export type InsertOutcome =
  | { inserted: true }
  | { inserted: false; existing: { id: string; requestHash: string | null } }
  | { inserted: false; refused: 'opted_out' | 'window_closed' };

/**
 * Group commit for accepted messages (ADR 0011), on the shared {@link Batcher}: the inserts of
 * concurrent requests go to PostgreSQL as one statement, so a burst of N sends costs one round
 * trip and one commit instead of N. Nothing waits for a batch to fill. Each caller's promise
 * settles once its row is committed (or known to be a duplicate), so a 201 still means "stored";
 * one bad row fails only its own request.
 */
export class InsertBatcher {
  private readonly batcher: Batcher<NewMessage, InsertOutcome | Error>;

  constructor(
    private readonly messages: MessageAcceptStore,
    maxBatch = 500,
    maxInFlight = 2,
  ) {
    this.batcher = new Batcher((rows) => this.write(rows), { maxBatch, maxConcurrent: maxInFlight });
  }

  async insert(message: NewMessage): Promise<InsertOutcome> {
    const outcome = await this.batcher.add(message);
    if (outcome instanceof Error) throw outcome;
    return outcome;
  }

  /** One outcome per row, in order; throws (failing the whole batch) only when the database is gone. */
  private async write(rows: readonly NewMessage[]): Promise<Array<InsertOutcome | Error>> {
    // Keyed rows in one fixed order, so two batches never wait for each other's keys in opposite
    // orders (a deadlock); unkeyed rows cannot conflict.
    const sorted = [...rows].sort(compareKeys);
    let inserted: Map<string, AcceptOutcome>;
    try {
      inserted = await this.messages.insertAcceptedBatch(sorted);
    } catch (err) {
      if (isConnectionError(err)) throw err;
      if (rows.length === 1) return [toError(err)];
      // One bad row fails the statement: write each on its own, so only that row's request fails.
      return (await Promise.all(rows.map((row) => this.write([row])))).flat();
    }
    return Promise.all(
      rows.map(async (row): Promise<InsertOutcome | Error> => {
        const outcome = inserted.get(row.id);
        if (outcome === 'inserted') return { inserted: true };
        if (outcome !== undefined) return { inserted: false, refused: outcome };
        // Not inserted: another request holds its Idempotency-Key (ON CONFLICT DO NOTHING).
        if (row.idempotencyKey === null)
          return new Error('a message without an Idempotency-Key was not inserted');
        try {
          const existing = await this.messages.findByIdempotencyKey(row.workspaceId, row.idempotencyKey);
          return existing ? { inserted: false, existing } : new Error('idempotency conflict without a row');
        } catch (err) {
          return toError(err);
        }
      }),
    );
  }
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function compareKeys(a: NewMessage, b: NewMessage): number {
  if (a.idempotencyKey === null || b.idempotencyKey === null)
    return (a.idempotencyKey === null ? 1 : 0) - (b.idempotencyKey === null ? 1 : 0);
  if (a.workspaceId !== b.workspaceId) return a.workspaceId < b.workspaceId ? -1 : 1;
  return a.idempotencyKey < b.idempotencyKey ? -1 : a.idempotencyKey > b.idempotencyKey ? 1 : 0;
}
