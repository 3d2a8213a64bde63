import { createHmac, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** `whsec_` + base64 of 32 random bytes (docs/contracts.md §10). */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
  'x-flowgate-signature': string;
}

/**
 * Both signatures of a delivery (docs/contracts.md §10): Standard Webhooks, made by the
 * `standardwebhooks` library (`v1,<base64>` per secret, space-separated during a rotation), and
 * `X-Flowgate-Signature` (hex HMAC-SHA256 of the body keyed with the whole current secret), what
 * Fliok's snippet checks.
 */
export function signDelivery(
  eventId: string,
  body: string,
  secrets: readonly string[],
  now: Date = new Date(),
): SignedHeaders {
  const [current] = secrets;
  if (current === undefined) throw new Error('an endpoint has at least one secret');
  return {
    'webhook-id': eventId,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': secrets.map((s) => new Webhook(s).sign(eventId, now, body)).join(' '),
    'x-flowgate-signature': createHmac('sha256', current).update(body).digest('hex'),
  };
}

/** The delivery body: compact JSON, so a receiver that re-serialises the parsed body gets the same bytes. */
export function deliveryBody(event: {
  id: string;
  type: string;
  occurredAt: Date;
  data: Record<string, unknown>;
}): string {
  return JSON.stringify({
    id: event.id,
    event: event.type,
    timestamp: event.occurredAt.toISOString(),
    data: event.data,
  });
}
