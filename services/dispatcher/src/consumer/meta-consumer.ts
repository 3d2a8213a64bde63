import type { DeliveryHandler } from '@flowgate/messaging';
import type { MetaWebhookProcessor } from '@flowgate/core';
import type { Logger } from '@flowgate/logger';

/** Attempts before a webhook that keeps failing is given up (failed, logged). */
export const MAX_ATTEMPTS = 25;

/** Most stored webhooks one delivery may name (the API's hand-off sends at most 100). */
const MAX_IDS = 500;
const WEBHOOK_ID = /^\d{1,19}$/;

/** The ids a delivery names: `{webhookIds: [...]}` (the API's hand-off) or `{webhookId}` (a sweep). */
function idsOf(body: Buffer): string[] | undefined {
  let job: { webhookId?: unknown; webhookIds?: unknown };
  try {
    job = JSON.parse(body.toString('utf8')) as typeof job;
  } catch {
    return undefined;
  }
  if (typeof job !== 'object' || job === null) return undefined;
  const ids: unknown[] = Array.isArray(job.webhookIds) ? job.webhookIds : [job.webhookId];
  if (ids.length === 0 || ids.length > MAX_IDS) return undefined;
  return ids.every((id): id is string => typeof id === 'string' && WEBHOOK_ID.test(id)) ? ids : undefined;
}

/**
 * The broker's side of Meta's webhooks (ADR 0037, ADR 0046): a delivery names stored webhooks
 * (those the API stored together); the processor applies each once (its row lock and processed
 * mark make redeliveries and second workers no-ops). A database outage retries after a delay,
 * never in a loop.
 */
export function metaWebhookHandler(processor: MetaWebhookProcessor, logger: Logger): DeliveryHandler {
  return async (delivery) => {
    const ids = idsOf(delivery.body);
    if (ids === undefined) {
      logger.warn('meta webhook delivery without valid webhook ids: parked', {
        messageId: delivery.messageId,
      });
      return 'park';
    }
    // All at once: the processor applies those that arrive together in one transaction. If any
    // fails, the whole delivery comes back; the ones processed already are no-ops then.
    const results = await Promise.allSettled(ids.map((id) => processor.process(id)));
    const failed = ids.filter((_, i) => results[i]?.status === 'rejected');
    if (failed.length === 0) return 'ack';
    const first = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    logger.warn('meta webhook processing failed; retrying', {
      webhookIds: failed.slice(0, 20),
      failed: failed.length,
      of: ids.length,
      attempt: delivery.attempt,
      err: first?.reason as unknown,
    });
    return { retryInMs: Math.min(30_000, 1000 * delivery.attempt) };
  };
}
