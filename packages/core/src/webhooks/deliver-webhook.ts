import { Batcher } from '@flowgate/db';
import type { Logger } from '@flowgate/logger';
import { record as recordMetric } from '@flowgate/metrics';
import { LRUCache } from 'lru-cache';
import { newId } from '../ids';
import type { Poster } from './post-delivery';
import { deliveryBody, signDelivery } from './sign-delivery';
import { signingSecrets, type SecretCipher } from './webhook.service';
import type { DeliveryRecord, StoredEvent, WebhookEndpoint, WebhookStore } from './webhook-store';

export interface DeliveryJob {
  eventId: string;
  endpointId: string;
  /** The event as the relay read it (absent on redelivery: read from the outbox). */
  event?: StoredEvent | undefined;
  /** 1 for the first attempt (the broker's attempt count). */
  attempt: number;
  /** How long it may wait for its endpoint's turn before it is handed back (default 250 ms). */
  turnWaitMs?: number | undefined;
}

/** What the queue should do with the job next. */
export type JobOutcome =
  | { kind: 'done' }
  | { kind: 'retry'; inMs: number }
  | { kind: 'busy' }
  /** Back before its retry is due (a wait longer than the queue's largest delay): not an attempt. */
  | { kind: 'early'; inMs: number };

export interface DeliveryWorkerOptions {
  store: WebhookStore;
  cipher: SecretCipher;
  poster: Poster;
  logger: Logger;
  /** The delay before each attempt (index 0: the first, normally 0); its length bounds the attempts. */
  retryScheduleMs: readonly number[];
  disableAfterMs: number;
  concurrencyPerEndpoint: number;
}

/** How long a delivery waits for its endpoint's turn before it is handed back to the queue. */
const TURN_WAIT_MS = 250;
/** A retry back this much before it is due is sent anyway (tier rounding). */
const EARLY_MS = 100;

/**
 * Delivers one event to one endpoint (docs/contracts.md §10, ADR 0039): signs it, posts it, records
 * the attempt, and decides the next step: done (2xx, 410 disabling the endpoint, the last attempt,
 * or the endpoint failing for `disableAfterMs`), or a retry on the schedule (Retry-After honoured).
 * At most `concurrencyPerEndpoint` deliveries per endpoint run at once in this process; others wait
 * briefly and then go back to the queue, so a slow endpoint never holds the worker's slots.
 */
export function webhookDeliveryWorker(o: DeliveryWorkerOptions) {
  const endpoints = new LRUCache<string, { endpoint: WebhookEndpoint; secrets: string[] }>({
    max: 10_000,
    ttl: 5_000,
  });
  const events = new LRUCache<string, StoredEvent>({ max: 20_000, ttl: 60_000 });
  const inFlight = new Map<string, number>();
  const waiters = new Map<string, Array<() => void>>();
  const attempts = new Batcher<DeliveryRecord, void>(
    async (records) => {
      await o.store.recordAttempts(records);
      return records.map(() => undefined);
    },
    // The log row of an attempt: only the job's ack waits on it (ADR 0046).
    { maxBatch: 200, maxConcurrent: 4, lingerMs: 10 },
  );

  async function endpointOf(id: string) {
    const cached = endpoints.get(id);
    if (cached) return cached;
    const endpoint = await o.store.byId(id);
    if (!endpoint) return undefined;
    const entry = { endpoint, secrets: signingSecrets(endpoint, o.cipher) };
    endpoints.set(id, entry);
    return entry;
  }

  async function eventOf(id: string): Promise<StoredEvent | undefined> {
    const cached = events.get(id);
    if (cached) return cached;
    const event = await o.store.event(id);
    if (event) events.set(id, event);
    return event;
  }

  async function takeTurn(endpointId: string, waitMs: number): Promise<boolean> {
    if ((inFlight.get(endpointId) ?? 0) < o.concurrencyPerEndpoint) {
      inFlight.set(endpointId, (inFlight.get(endpointId) ?? 0) + 1);
      return true;
    }
    return new Promise<boolean>((resolve) => {
      const list = waiters.get(endpointId) ?? [];
      const wake = (): void => {
        clearTimeout(timer);
        inFlight.set(endpointId, (inFlight.get(endpointId) ?? 0) + 1);
        resolve(true);
      };
      const timer = setTimeout(() => {
        const i = list.indexOf(wake);
        if (i >= 0) list.splice(i, 1);
        resolve(false);
      }, waitMs);
      list.push(wake);
      waiters.set(endpointId, list);
    });
  }

  function giveTurn(endpointId: string): void {
    const n = (inFlight.get(endpointId) ?? 1) - 1;
    if (n <= 0) inFlight.delete(endpointId);
    else inFlight.set(endpointId, n);
    const next = waiters.get(endpointId)?.shift();
    if (next) next();
    if (waiters.get(endpointId)?.length === 0) waiters.delete(endpointId);
  }

  const log = (r: DeliveryRecord): Promise<void> => attempts.add(r);

  return {
    /** Deliveries in flight to one endpoint in this process. */
    concurrencyPerEndpoint: o.concurrencyPerEndpoint,
    async deliver(job: DeliveryJob): Promise<JobOutcome> {
      const entry = await endpointOf(job.endpointId);
      // Deleted or disabled since the event was queued: nothing more is delivered to it.
      if (!entry || entry.endpoint.status !== 'active') return { kind: 'done' };
      const event = job.event?.id === job.eventId ? job.event : await eventOf(job.eventId);
      if (!event || event.workspaceId !== entry.endpoint.workspaceId) return { kind: 'done' };
      // A retry waits in the queue's delay tiers, which end at the schedule's longest delay; a
      // longer Retry-After brings the job back early, and it waits again without an attempt.
      if (job.attempt > 1) {
        const due = await o.store.nextAttemptAt(job.eventId, job.endpointId);
        if (due !== null && due.getTime() - Date.now() > EARLY_MS)
          return { kind: 'early', inMs: due.getTime() - Date.now() };
      }
      if (!(await takeTurn(job.endpointId, job.turnWaitMs ?? TURN_WAIT_MS))) return { kind: 'busy' };
      let result;
      try {
        const body = deliveryBody(event);
        result = await o.poster.post(entry.endpoint.url, body, {
          ...signDelivery(event.id, body, entry.secrets),
        });
      } finally {
        giveTurn(job.endpointId);
      }
      const base = {
        id: newId(),
        endpointId: job.endpointId,
        eventId: event.id,
        eventType: event.type,
        attempt: job.attempt,
        httpStatus: result.httpStatus,
        durationMs: result.durationMs,
      };
      const status = result.httpStatus;
      if (status !== null && status >= 200 && status < 300) {
        recordMetric.partnerDelivery('delivered');
        await log({ ...base, outcome: 'delivered', error: null, nextAttemptAt: null });
        if (entry.endpoint.failingSince !== null) {
          await o.store.markSuccess(job.endpointId);
          endpoints.delete(job.endpointId);
        }
        return { kind: 'done' };
      }
      const error = result.error ?? `HTTP ${String(status)}`;
      if (status === 410) {
        recordMetric.partnerDelivery('endpoint_disabled');
        await o.store.disable(job.endpointId, 'The endpoint answered 410 Gone.');
        endpoints.delete(job.endpointId);
        await log({ ...base, outcome: 'endpoint_disabled', error, nextAttemptAt: null });
        return { kind: 'done' };
      }
      const failingSince = await o.store.markFailure(job.endpointId);
      endpoints.delete(job.endpointId);
      if (Date.now() - failingSince.getTime() >= o.disableAfterMs) {
        recordMetric.partnerDelivery('endpoint_disabled');
        await o.store.disable(job.endpointId, `Every delivery failed since ${failingSince.toISOString()}.`);
        await log({ ...base, outcome: 'endpoint_disabled', error, nextAttemptAt: null });
        return { kind: 'done' };
      }
      const nextDelay = o.retryScheduleMs[job.attempt];
      if (nextDelay === undefined) {
        recordMetric.partnerDelivery('failed');
        await log({ ...base, outcome: 'failed', error, nextAttemptAt: null });
        o.logger.warn('partner webhook: every attempt failed', {
          eventId: event.id,
          endpointId: job.endpointId,
          attempts: job.attempt,
        });
        return { kind: 'done' };
      }
      const inMs = Math.max(nextDelay, result.retryAfterMs ?? 0);
      recordMetric.partnerDelivery('retry_scheduled');
      await log({ ...base, outcome: 'retry_scheduled', error, nextAttemptAt: new Date(Date.now() + inMs) });
      return { kind: 'retry', inMs };
    },
    close(): void {
      o.poster.close();
    },
  };
}

export type WebhookDeliveryWorker = ReturnType<typeof webhookDeliveryWorker>;
