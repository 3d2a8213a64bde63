import type { DeliveryHandler } from '@flowgate/messaging';
import type { StoredEvent, WebhookDeliveryWorker } from '@flowgate/core';
import type { Logger } from '@flowgate/logger';

/** The event the relay put in the job, if it is one (else the worker reads it from the outbox). */
function carriedEvent(raw: unknown): StoredEvent | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const e = raw as Record<string, unknown>;
  if (
    typeof e['id'] !== 'string' ||
    typeof e['workspaceId'] !== 'string' ||
    typeof e['type'] !== 'string' ||
    typeof e['occurredAt'] !== 'string' ||
    typeof e['data'] !== 'object' ||
    e['data'] === null
  )
    return undefined;
  return {
    id: e['id'],
    workspaceId: e['workspaceId'],
    type: e['type'],
    data: e['data'] as Record<string, unknown>,
    occurredAt: new Date(e['occurredAt']),
  };
}

/** An endpoint busy with its own deliveries hands the job back for about this long (not an attempt). */
const BUSY_DEFER_MS = 1000;

/**
 * The broker's side of partner webhooks (ADR 0039): one delivery job, `{eventId, endpointId}`,
 * whose attempt is the broker's attempt count; retries go through the hop's delay tiers (the
 * Standard Webhooks schedule). A database outage retries the job without counting an attempt.
 */
export function webhookDeliveryHandler(worker: WebhookDeliveryWorker, logger: Logger): DeliveryHandler {
  return async (delivery) => {
    let job: { eventId?: unknown; endpointId?: unknown; event?: unknown } = {};
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
        event: carriedEvent(job.event),
        attempt: delivery.attempt,
      });
      if (outcome.kind === 'done') return 'ack';
      if (outcome.kind === 'busy') return { deferInMs: BUSY_DEFER_MS };
      if (outcome.kind === 'early') return { deferInMs: outcome.inMs };
      return { retryInMs: outcome.inMs };
    } catch (err) {
      logger.warn('webhook delivery could not be recorded; handing it back', { eventId: job.eventId, err });
      return { deferInMs: 5000 };
    }
  };
}
