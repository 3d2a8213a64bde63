import type { DeliveryHandler, HandlerOutcome } from '@flowgate/messaging';
import type { DeliveryJob, JobOutcome, StoredEvent, WebhookDeliveryWorker } from '@flowgate/core';
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
/** A job whose attempt could not be recorded (database down) comes back after about this long. */
const UNRECORDED_DEFER_MS = 5000;
/**
 * How long an event of a batch may wait for its endpoint's turn (a single job waits 250 ms): the
 * batch holds one prefetch place for all its events, so it may queue for turns longer.
 */
const BATCH_TURN_WAIT_MS = 2000;
/** Most events a batch job may carry (the relay puts at most 100 in one). */
const MAX_BATCH_EVENTS = 1000;

/** A single job to publish after a batch: an event to try again, or one whose endpoint was busy. */
export interface FollowUp {
  eventId: string;
  endpointId: string;
  event: StoredEvent;
  /** The attempt it starts at (2 after a failed first attempt, 1 when it was not attempted). */
  attempt: number;
}

export type FollowUpPublisher = (jobs: FollowUp[]) => Promise<void>;

const toQueue = (outcome: JobOutcome): HandlerOutcome => {
  if (outcome.kind === 'done') return 'ack';
  if (outcome.kind === 'busy') return { deferInMs: BUSY_DEFER_MS };
  if (outcome.kind === 'early') return { deferInMs: outcome.inMs };
  return { retryInMs: outcome.inMs };
};

/**
 * The broker's side of partner webhooks (ADR 0039, ADR 0047). Two shapes of job:
 * - a batch from the relay, `{endpointId, events: [...]}`: each event is delivered (posted on its
 *   own, under the endpoint's per-process cap); the events not done become single jobs published
 *   before the batch is acked: a failed one at attempt 2 (it waits in the delay tiers until the
 *   `next_attempt_at` its log row holds), a busy or unrecorded one at attempt 1;
 * - a single job, `{eventId, endpointId, event?, attempt?}` (redelivery, a batch's follow-up),
 *   whose attempt is its starting attempt plus the broker's count; retries go through the hop's
 *   delay tiers (the Standard Webhooks schedule). A database outage hands it back without an attempt.
 */
export function webhookDeliveryHandler(
  worker: WebhookDeliveryWorker,
  publishFollowUps: FollowUpPublisher,
  logger: Logger,
): DeliveryHandler {
  const single = async (job: DeliveryJob): Promise<HandlerOutcome> => {
    try {
      return toQueue(await worker.deliver(job));
    } catch (err) {
      logger.warn('webhook delivery could not be recorded; handing it back', { eventId: job.eventId, err });
      return { deferInMs: UNRECORDED_DEFER_MS };
    }
  };

  const batch = async (endpointId: string, events: StoredEvent[]): Promise<HandlerOutcome> => {
    const followUps: FollowUp[] = [];
    // As many lanes as the endpoint may have deliveries in flight, each taking the next event in
    // order. An event that waits BATCH_TURN_WAIT_MS for a turn means the endpoint is saturated (or
    // slow): it and the events not yet started become single jobs, and the batch lets go of its
    // prefetch place.
    let next = 0;
    let saturated = false;
    const lane = async (): Promise<void> => {
      for (;;) {
        if (saturated || next >= events.length) return;
        const event = events[next] as StoredEvent;
        next += 1;
        let outcome: JobOutcome;
        try {
          outcome = await worker.deliver({
            eventId: event.id,
            endpointId,
            event,
            attempt: 1,
            turnWaitMs: BATCH_TURN_WAIT_MS,
          });
        } catch (err) {
          logger.warn('webhook delivery could not be recorded; handing it back', { eventId: event.id, err });
          outcome = { kind: 'busy' };
        }
        if (outcome.kind === 'busy') saturated = true;
        if (outcome.kind !== 'done')
          followUps.push({ eventId: event.id, endpointId, event, attempt: outcome.kind === 'retry' ? 2 : 1 });
      }
    };
    const lanes = Math.max(1, Math.min(events.length, worker.concurrencyPerEndpoint));
    await Promise.all(Array.from({ length: lanes }, lane));
    for (const event of events.slice(next))
      followUps.push({ eventId: event.id, endpointId, event, attempt: 1 });
    if (followUps.length === 0) return 'ack';
    try {
      await publishFollowUps(followUps);
      return 'ack';
    } catch (err) {
      // The batch comes back whole: its delivered events are posted again (the receiver dedupes on
      // webhook-id), never lost.
      logger.warn('webhook follow-up jobs could not be published; handing the batch back', {
        endpointId,
        err,
      });
      return { deferInMs: UNRECORDED_DEFER_MS };
    }
  };

  return async (delivery) => {
    let job: {
      eventId?: unknown;
      endpointId?: unknown;
      event?: unknown;
      events?: unknown;
      attempt?: unknown;
    } = {};
    try {
      job = JSON.parse(delivery.body.toString('utf8')) as typeof job;
    } catch {
      job = {};
    }
    if (job === null || typeof job !== 'object') job = {};
    if (typeof job.endpointId === 'string' && Array.isArray(job.events)) {
      const events = job.events.map(carriedEvent);
      if (events.length === 0 || events.length > MAX_BATCH_EVENTS || events.some((e) => e === undefined)) {
        logger.warn('webhook delivery batch malformed: parked', { messageId: delivery.messageId });
        return 'park';
      }
      return batch(job.endpointId, events as StoredEvent[]);
    }
    const start = job.attempt === undefined ? 1 : job.attempt;
    if (
      typeof job.eventId !== 'string' ||
      typeof job.endpointId !== 'string' ||
      typeof start !== 'number' ||
      !Number.isInteger(start) ||
      start < 1 ||
      start > 100
    ) {
      logger.warn('webhook delivery job without event or endpoint: parked', {
        messageId: delivery.messageId,
      });
      return 'park';
    }
    return single({
      eventId: job.eventId,
      endpointId: job.endpointId,
      event: carriedEvent(job.event),
      attempt: start + delivery.attempt - 1,
    });
  };
}
