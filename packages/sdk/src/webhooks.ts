import { Webhook, WebhookVerificationError } from 'standardwebhooks';

/** The partner event names (docs/contracts.md §10). */
export const WEBHOOK_EVENTS = [
  'message.received',
  'message.sent',
  'message.delivered',
  'message.read',
  'message.failed',
  'broadcast.completed',
  'contact.opted_out',
  'payment.completed',
  'template.approved',
  'template.status_updated',
  'webhook.test',
] as const;
export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];

/** A delivery's body: `{"id": "evt_…", "event": "message.delivered", "timestamp", "data": {…}}`. */
export interface WebhookEvent<TData = Record<string, unknown>> {
  id: string;
  event: WebhookEventName;
  timestamp: string;
  data: TData;
}

export { WebhookVerificationError };

/**
 * Verifies a Flowgate webhook delivery with the Standard Webhooks scheme (`webhook-id`,
 * `webhook-timestamp`, `webhook-signature`; the official `standardwebhooks` library) and returns
 * the parsed event. Throws WebhookVerificationError when a header is missing, the signature does
 * not match (any of the space-separated signatures may, during a secret rotation), or the
 * timestamp is more than 5 minutes away (replays).
 *
 * `payload` must be the raw body bytes or text exactly as received (not re-serialised JSON);
 * `secret` is the endpoint's `whsec_…` secret.
 */
export function verifyWebhook(
  payload: string | Buffer,
  headers: Record<string, string | string[] | undefined> | Headers,
  secret: string,
): WebhookEvent {
  const get = (name: string): string => {
    const value =
      headers instanceof Headers ? headers.get(name) : (headers[name] ?? headers[name.toLowerCase()]);
    return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
  };
  const event = new Webhook(secret).verify(payload, {
    'webhook-id': get('webhook-id'),
    'webhook-timestamp': get('webhook-timestamp'),
    'webhook-signature': get('webhook-signature'),
  });
  if (typeof event !== 'object' || event === null || !('event' in event) || !('id' in event))
    throw new WebhookVerificationError('The body is not a Flowgate event');
  return event as WebhookEvent;
}
