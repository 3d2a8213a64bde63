import type { DeliveryHandler } from '@flowgate/messaging';
import type { MetaWebhookProcessor } from '@flowgate/core';
import type { Logger } from '@flowgate/logger';

/**
 * The broker's side of Meta's webhooks (ADR 0037): a delivery names a stored webhook; the
 * processor applies it once (its row lock and processed mark make redeliveries and second workers
 * no-ops). A database outage retries after a delay, never in a loop.
 */
/** Attempts before a webhook that keeps failing is given up (failed, logged). */
export const MAX_ATTEMPTS = 25;

export function metaWebhookHandler(processor: MetaWebhookProcessor, logger: Logger): DeliveryHandler {
  return async (delivery) => {
    let id: unknown;
    try {
      id = (JSON.parse(delivery.body.toString('utf8')) as { webhookId?: unknown }).webhookId;
    } catch {
      id = undefined;
    }
    if (typeof id !== 'string' || !/^\d{1,19}$/.test(id)) {
      logger.warn('meta webhook delivery without a webhook id: parked', { messageId: delivery.messageId });
      return 'park';
    }
    try {
      await processor.process(id);
      return 'ack';
    } catch (err) {
      logger.warn('meta webhook processing failed; retrying', {
        webhookId: id,
        attempt: delivery.attempt,
        err,
      });
      return { retryInMs: Math.min(30_000, 1000 * delivery.attempt) };
    }
  };
}
