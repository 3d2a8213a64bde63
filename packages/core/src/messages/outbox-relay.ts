import type { Logger } from '@flowgate/logger';
import type { MessageAcceptStore, RelayItem } from './message-store';
import type { EnvelopePublisher } from './send-message';
import type { QueuedMarker } from './queued-marker';

/** How long Idempotency-Keys are kept by default (docs/contracts.md §2.2: at least 24 h). */
export const DEFAULT_IDEMPOTENCY_RETENTION_MS = 48 * 3600_000;

export interface OutboxRelay {
  stop(): Promise<void>;
  /** One relay pass: publishes what is due; returns how many were published. */
  runOnce(): Promise<number>;
  /** One purge pass: frees Idempotency-Keys past the retention; returns how many. */
  purgeOnce(): Promise<number>;
  /**
   * Publishes every unfinished message (ACCEPTED, QUEUED, SENDING) once, oldest first: for a
   * start on the in-process broker, whose queue (ready and retrying deliveries) did not survive
   * the restart. Duplicates are harmless: the dispatcher claims before it calls the provider.
   */
  republishUnfinished(): Promise<number>;
}

/**
 * The messages table is the outbox (ADR 0002): every few seconds, whatever is still ACCEPTED
 * (broker was down, the process died after commit) is published again. Duplicates are harmless:
 * the dispatcher claims a message before calling the provider. Every minute it also frees
 * Idempotency-Keys older than the retention (ADR 0011), in small batches.
 */
export function startOutboxRelay(deps: {
  messages: MessageAcceptStore;
  publisher: EnvelopePublisher;
  queued: QueuedMarker;
  logger: Logger;
  intervalMs?: number;
  olderThanMs?: number;
  stuckAfterMs?: number;
  batch?: number;
  idempotencyRetentionMs?: number;
  purgeIntervalMs?: number;
  purgeBatch?: number;
}): OutboxRelay {
  const intervalMs = deps.intervalMs ?? 2000;
  const retentionMs = deps.idempotencyRetentionMs ?? DEFAULT_IDEMPOTENCY_RETENTION_MS;
  const purgeIntervalMs = deps.purgeIntervalMs ?? 60_000;
  const purgeBatch = deps.purgeBatch ?? 1000;
  let running: Promise<unknown> | undefined;
  let stopped = false;
  let lastPurge = 0;

  const publish = async (due: readonly RelayItem[]): Promise<number> => {
    const results = await Promise.allSettled(
      due.map(async (m) => {
        await deps.publisher.publish({
          schemaVersion: 1,
          messageId: m.id,
          workspaceId: m.workspaceId,
          phoneNumberId: m.phoneNumberId,
          createdAt: m.createdAt.toISOString(),
          ...(m.requestId ? { requestId: m.requestId } : {}),
        });
        deps.queued.add(m.id);
      }),
    );
    return results.filter((r) => r.status === 'fulfilled').length;
  };

  const runOnce = async (): Promise<number> => {
    const due = await deps.messages.claimForRelay(
      deps.olderThanMs ?? 3000,
      deps.stuckAfterMs ?? 15 * 60_000,
      deps.batch ?? 500,
    );
    if (due.length === 0) return 0;
    const ok = await publish(due);
    if (ok < due.length)
      deps.logger.warn('outbox relay could not publish every message', { due: due.length, published: ok });
    else deps.logger.info('outbox relay republished messages', { count: ok });
    return ok;
  };

  const purgeOnce = async (): Promise<number> => {
    let freed = 0;
    // A bounded number of batches per pass, so a large backlog never holds the relay for long.
    for (let i = 0; i < 10; i++) {
      const n = await deps.messages.purgeIdempotencyKeys(retentionMs, purgeBatch);
      freed += n;
      if (n < purgeBatch) break;
    }
    if (freed > 0) deps.logger.info('freed expired idempotency keys', { count: freed });
    return freed;
  };

  const republishUnfinished = async (): Promise<number> => {
    let cursor: string | undefined;
    let published = 0;
    let due = 0;
    for (;;) {
      const page = await deps.messages.unfinishedPage(cursor, deps.batch ?? 500);
      if (page.items.length === 0) break;
      due += page.items.length;
      published += await publish(page.items);
      cursor = page.cursor;
    }
    if (published < due)
      deps.logger.warn('could not republish every unfinished message; the relay keeps trying', {
        due,
        published,
      });
    else if (published > 0) deps.logger.info('republished unfinished messages', { count: published });
    return published;
  };

  const tick = (): void => {
    if (stopped || running) return;
    const purgeDue = Date.now() - lastPurge >= purgeIntervalMs;
    running = (async () => {
      await runOnce();
      if (purgeDue) {
        lastPurge = Date.now();
        await purgeOnce();
      }
    })()
      .catch((err: unknown) => {
        deps.logger.warn('outbox relay failed', { err });
      })
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    runOnce,
    purgeOnce,
    republishUnfinished,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
