/**
 * The events Flowgate delivers to partners' webhooks (docs/contracts.md §10). They are written to the
 * `partner_events` outbox in the same transaction as the change that caused them (Meta's webhooks
 * in, the dispatcher's SENT write, broadcasts), and delivered from there.
 */
export const PARTNER_EVENT_TYPES = [
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
] as const;

export type PartnerEventType = (typeof PARTNER_EVENT_TYPES)[number];

/** The test event `POST /webhooks/{id}/test` delivers; never written by a change. */
export const WEBHOOK_TEST_EVENT = 'webhook.test';

/** Subscribing to `"*"` means every event type. */
export const ALL_PARTNER_EVENTS = '*';

export const isPartnerEventType = (value: unknown): value is PartnerEventType =>
  typeof value === 'string' && (PARTNER_EVENT_TYPES as readonly string[]).includes(value);
