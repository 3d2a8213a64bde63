import type { Broker, OutgoingMessage } from '@flowgate/messaging';
import { deliveryBatchMessages, type WebhookStore } from '@flowgate/core';
import type { Logger } from '@flowgate/logger';

/** Publishes every message with confirms; the first refused one's error is thrown. */
export async function publishAll(broker: Broker, messages: readonly OutgoingMessage[]): Promise<void> {
  const failed = (await broker.publishBatch(messages)).find((r) => !r.ok);
  if (failed && !failed.ok) throw failed.error;
}

/**
 * The partner-events relay (ADR 0039): takes outbox events not yet relayed, publishes their delivery
 * jobs, one per subscribed endpoint carrying up to 100 of its events (ADR 0047), with publisher
 * confirms, and only then marks the events relayed, in
 * the same transaction that locked them. A crash between the two publishes them again: the
 * receiver sees a duplicate with the same `webhook-id`, never a loss.
 */
export function startWebhookRelay(o: {
  store: WebhookStore;
  broker: Broker;
  logger: Logger;
  intervalMs?: number;
}): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const every = o.intervalMs ?? 100;
  const tick = (): void => {
    if (stopped) return;
    running = (async () => {
      let relayed = 0;
      try {
        relayed = await o.store.relayEvents(500, (pairs) =>
          publishAll(o.broker, deliveryBatchMessages(pairs)),
        );
      } catch (err) {
        o.logger.warn('partner events relay failed; trying again', { err });
      }
      if (stopped) return;
      timer = setTimeout(tick, relayed >= 500 ? 0 : every);
      timer.unref();
    })();
  };
  tick();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
