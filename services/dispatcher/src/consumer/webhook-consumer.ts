import type { DeliveryHandler } from '@flowgate/messaging';
import type { WebhookDeliveryWorker } from '@flowgate/core';
import type { Logger } from '@flowgate/logger';

/** An endpoint busy with its own deliveries hands the job back for about this long (not an attempt). */
const BUSY_DEFER_MS = 1000;

/**
 * The broker's side of partner webhooks (ADR 0039): one delivery job, `{eventId, endpointId}`,
 * whose attempt is the broker's attempt count; retries go through the hop's delay tiers (the
 * Standard Webhooks schedule). A database outage retries the job without counting an attempt.
 */
export function webhookDeliveryHandler(worker: WebhookDeliveryWorker, logger: Logger): DeliveryHandler {
  return async (delivery) => {
    let job: { eventId?: unknown; endpointId?: unknown } = {};
    try {
      job = JSON.parse(delivery.body.toString('utf8')) as typeof job;
    } catch {
      job = {};
    }
    if (typeof job.eventId !== 'string' || typeof job.endpointId !== 'string') {
      logger.warn('webhook delivery job without event or endpoint: parked', {
        messageId: delivery.messageId,
      });
      return 'park';
    }
    try {
      const outcome = await worker.deliver({
        eventId: job.eventId,
        endpointId: job.endpointId,
        attempt: delivery.attempt,
      });
      if (outcome.kind === 'done') return 'ack';
      if (outcome.kind === 'busy') return { deferInMs: BUSY_DEFER_MS };
      return { retryInMs: outcome.inMs };
    } catch (err) {
      logger.warn('webhook delivery could not be recorded; handing it back', { eventId: job.eventId, err });
      return { deferInMs: 5000 };
    }
  };
}
