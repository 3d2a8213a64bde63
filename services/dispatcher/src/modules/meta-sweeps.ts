import type { Broker } from '@flowgate/messaging';
import type { MetaEventStore } from '@flowgate/core';
import type { Logger } from '@flowgate/logger';

export interface MetaSweepOptions {
  store: MetaEventStore;
  broker: Broker;
  logger: Logger;
  /** How long a status for a message not yet SENT waits before it is dropped (ADR 0038). */
  pendingMaxAgeMs: number;
  /** How often pending statuses are retried (default 250 ms). */
  pendingIntervalMs?: number;
  /** How often stored-but-unprocessed webhooks are handed to the broker again (default 2 s). */
  republishIntervalMs?: number;
  /** A webhook unprocessed this long lost its broker hop (default 5 s). */
  republishAfterMs?: number;
}

/**
 * Two timers of the Meta worker: statuses that beat our SENT write are applied once it lands
 * (ADR 0038), and webhooks stored while the broker was unreachable are published again (ADR 0037).
 * Every dispatcher runs them; both are safe to run concurrently (row locks, SKIP LOCKED).
 */
export function startMetaSweeps(o: MetaSweepOptions): { stop(): Promise<void> } {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const timers = new Set<NodeJS.Timeout>();
  const schedule = (fn: () => Promise<number | undefined>, everyMs: number): void => {
    const tick = (): void => {
      if (stopped) return;
      running = fn()
        .catch((err: unknown) => {
          o.logger.warn('meta sweep failed; trying again', { err });
          return undefined;
        })
        .then((next) => {
          if (stopped) return;
          const t = setTimeout(() => {
            timers.delete(t);
            tick();
          }, next ?? everyMs);
          t.unref();
          timers.add(t);
        });
    };
    tick();
  };

  const pendingEvery = o.pendingIntervalMs ?? 250;
  schedule(async () => {
    const r = await o.store.applyPendingStatuses(500, o.pendingMaxAgeMs);
    if (r.dropped > 0)
      o.logger.warn('meta statuses dropped: their message never reached SENT in time', {
        dropped: r.dropped,
      });
    // A full batch: go on at once.
    return r.applied >= 500 ? 0 : pendingEvery;
  }, pendingEvery);

  const republishEvery = o.republishIntervalMs ?? 2000;
  schedule(async () => {
    const ids = await o.store.unprocessedWebhooks(o.republishAfterMs ?? 5_000, 500);
    if (ids.length === 0) return republishEvery;
    const results = await o.broker.publishBatch(
      ids.map((id) => ({
        body: Buffer.from(JSON.stringify({ webhookId: id })),
        messageId: `meta-webhook-${id}`,
        contentType: 'application/json',
      })),
    );
    o.logger.info('meta webhooks handed to the broker again', {
      count: ids.length,
      failed: results.filter((r) => !r.ok).length,
    });
    return republishEvery;
  }, republishEvery);

  return {
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      await running;
    },
  };
}
