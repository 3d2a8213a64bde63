import { NotFoundError, ValidationError } from '@flowgate/errors';
import type { CreateWebhookBody, UpdateWebhookBody } from '@flowgate/contracts';
import { newId } from '../ids';
import { newPartnerEventId } from '../partner-events/knex-partner-event-store';
import { checkUrlTarget } from './ssrf-guard';
import { deliveryBody, newWebhookSecret, signDelivery } from './sign-delivery';
import type { Poster } from './post-delivery';
import type {
  DeliveryOutcome,
  DeliveryView,
  FanOut,
  StoredEvent,
  WebhookEndpoint,
  WebhookStore,
} from './webhook-store';
import type { PageCursor } from '../knex-pagination';

/** How long a rotated-out secret keeps signing alongside the new one (docs/contracts.md §10). */
export const PREVIOUS_SECRET_VALID_MS = 24 * 3600_000;

export interface SecretCipher {
  encrypt(plaintext: string, aad: string): string;
  decrypt(encoded: string, aad: string): string;
}

/** The secrets an endpoint signs with now: its own, and the rotated-out one while it is valid. */
export function signingSecrets(e: WebhookEndpoint, cipher: SecretCipher, now = Date.now()): string[] {
  const current = cipher.decrypt(e.secretEncrypted, e.workspaceId);
  if (
    e.previousSecretEncrypted !== null &&
    e.previousSecretExpiresAt !== null &&
    e.previousSecretExpiresAt.getTime() > now
  )
    return [current, cipher.decrypt(e.previousSecretEncrypted, e.workspaceId)];
  return [current];
}

/**
 * The queue message of one delivery job: redelivery on request, and the follow-ups of a batch (an
 * event to try again, or one whose endpoint was busy). `attempt` is the attempt it starts at (1 when
 * absent); the broker's own count adds to it.
 */
export const deliveryJobMessage = (j: {
  eventId: string;
  endpointId: string;
  event?: StoredEvent | undefined;
  attempt?: number | undefined;
}) => ({
  body: Buffer.from(
    JSON.stringify({
      eventId: j.eventId,
      endpointId: j.endpointId,
      event: j.event,
      ...(j.attempt !== undefined && j.attempt > 1 ? { attempt: j.attempt } : {}),
    }),
  ),
  messageId: `${j.eventId}:${j.endpointId}`,
  contentType: 'application/json',
});

/** Most events one batch job carries (ADR 0047). */
export const DELIVERY_BATCH_MAX = 100;

/**
 * The relay's queue messages (ADR 0047): one job per endpoint carrying its events in outbox order,
 * `{endpointId, events: [...]}`, up to {@link DELIVERY_BATCH_MAX} each. Each event is still posted on
 * its own (one Standard Webhooks request per event); only the broker trip is shared.
 */
export function deliveryBatchMessages(pairs: readonly FanOut[]) {
  const byEndpoint = new Map<string, StoredEvent[]>();
  for (const pair of pairs) {
    if (pair.event === undefined) continue;
    const list = byEndpoint.get(pair.endpointId) ?? [];
    list.push(pair.event);
    byEndpoint.set(pair.endpointId, list);
  }
  const messages = pairs.filter((pair) => pair.event === undefined).map((pair) => deliveryJobMessage(pair));
  for (const [endpointId, events] of byEndpoint)
    for (let i = 0; i < events.length; i += DELIVERY_BATCH_MAX) {
      const chunk = events.slice(i, i + DELIVERY_BATCH_MAX);
      messages.push({
        body: Buffer.from(JSON.stringify({ endpointId, events: chunk })),
        messageId: `${endpointId}:${chunk[0]?.id ?? ''}:${chunk.length}`,
        contentType: 'application/json',
      });
    }
  return messages;
}

/** Publishes one delivery job (an event for an endpoint) to the webhook queue. */
export type DeliveryPublisher = (
  jobs: ReadonlyArray<{ eventId: string; endpointId: string }>,
) => Promise<void>;

export interface WebhookServiceDeps {
  store: WebhookStore;
  cipher: SecretCipher;
  poster: Poster;
  publish: DeliveryPublisher;
  allowPrivateNetworks: boolean;
}

async function checkedUrl(url: string, allowPrivate: boolean): Promise<string> {
  const check = await checkUrlTarget(url, allowPrivate);
  if (!check.ok)
    throw new ValidationError('VALIDATION_FAILED', `The webhook URL ${check.reason}.`, [
      { path: '/url', message: check.reason },
    ]);
  return check.url.toString();
}

/** Partners' endpoint management (docs/contracts.md §10): the use cases behind the routes. */
export function webhookService(deps: WebhookServiceDeps) {
  const { store, cipher } = deps;
  const mustGet = async (workspaceId: string, id: string): Promise<WebhookEndpoint> => {
    const e = await store.get(workspaceId, id);
    if (!e) throw new NotFoundError('NOT_FOUND', 'Webhook not found.');
    return e;
  };

  return {
    async create(
      workspaceId: string,
      body: CreateWebhookBody,
    ): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
      const url = await checkedUrl(body.url, deps.allowPrivateNetworks);
      const secret = newWebhookSecret();
      const endpoint = await store.insert({
        id: newId(),
        workspaceId,
        url,
        events: [...body.events],
        description: body.description ?? null,
        secretEncrypted: cipher.encrypt(secret, workspaceId),
      });
      return { endpoint, secret };
    },

    list: (workspaceId: string) => store.list(workspaceId),
    get: mustGet,

    async update(workspaceId: string, id: string, body: UpdateWebhookBody): Promise<WebhookEndpoint> {
      await mustGet(workspaceId, id);
      const url = body.url === undefined ? undefined : await checkedUrl(body.url, deps.allowPrivateNetworks);
      const updated = await store.update(workspaceId, id, {
        ...(url === undefined ? {} : { url }),
        ...(body.events === undefined ? {} : { events: [...body.events] }),
        ...(body.description === undefined ? {} : { description: body.description }),
        ...(body.status === 'active' ? { reactivate: true } : {}),
      });
      if (!updated) throw new NotFoundError('NOT_FOUND', 'Webhook not found.');
      return updated;
    },

    /** Idempotent for the workspace's own endpoints: deleting twice answers the same. */
    async remove(workspaceId: string, id: string): Promise<WebhookEndpoint> {
      const removed = await store.remove(workspaceId, id);
      if (!removed) throw new NotFoundError('NOT_FOUND', 'Webhook not found.');
      return removed;
    },

    async rotate(workspaceId: string, id: string): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
      await mustGet(workspaceId, id);
      const secret = newWebhookSecret();
      const endpoint = await store.rotateSecret(
        workspaceId,
        id,
        cipher.encrypt(secret, workspaceId),
        PREVIOUS_SECRET_VALID_MS,
      );
      if (!endpoint) throw new NotFoundError('NOT_FOUND', 'Webhook not found.');
      return { endpoint, secret };
    },

    async deliveries(
      workspaceId: string,
      id: string,
      outcome: DeliveryOutcome | undefined,
      limit: number,
      cursor: PageCursor | undefined,
    ): Promise<DeliveryView[]> {
      const rows = await store.deliveries(workspaceId, id, outcome, limit, cursor);
      if (!rows) throw new NotFoundError('NOT_FOUND', 'Webhook not found.');
      return rows;
    },

    /** Sends that delivery's event again now, through the queue; answers with the attempt it repeats. */
    async redeliver(workspaceId: string, id: string, deliveryId: string): Promise<DeliveryView> {
      const d = await store.delivery(workspaceId, id, deliveryId);
      if (!d) throw new NotFoundError('NOT_FOUND', 'Delivery not found.');
      await deps.publish([{ eventId: d.eventId, endpointId: id }]);
      return d;
    },

    /** Delivers a `webhook.test` event now and answers with the attempt (recorded in the log). */
    async test(workspaceId: string, id: string): Promise<DeliveryView> {
      const e = await mustGet(workspaceId, id);
      const event = {
        id: newPartnerEventId(),
        type: 'webhook.test',
        occurredAt: new Date(),
        data: { webhookId: e.id, message: 'This is a test event from Flowgate.' },
      };
      const body = deliveryBody(event);
      const result = await deps.poster.post(e.url, body, {
        ...signDelivery(event.id, body, signingSecrets(e, cipher)),
      });
      const ok = result.httpStatus !== null && result.httpStatus >= 200 && result.httpStatus < 300;
      const record = {
        id: newId(),
        endpointId: e.id,
        eventId: event.id,
        eventType: event.type,
        attempt: 1,
        outcome: (ok ? 'delivered' : 'failed') as DeliveryOutcome,
        httpStatus: result.httpStatus,
        durationMs: result.durationMs,
        error: ok ? null : (result.error ?? `HTTP ${String(result.httpStatus)}`),
        nextAttemptAt: null,
      };
      await store.recordAttempt(record);
      const now = new Date();
      return { ...record, createdAt: now, cursorUs: String(now.getTime() * 1000) };
    },
  };
}

export type WebhookService = ReturnType<typeof webhookService>;
