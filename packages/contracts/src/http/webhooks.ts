import { Type, type Static } from '@sinclair/typebox';
import { ALL_PARTNER_EVENTS, PARTNER_EVENT_TYPES, WEBHOOK_TEST_EVENT } from '../events';
import { Id, Nullable, Success, Timestamp } from './common';

/** docs/contracts.md §10. */
const EventName = Type.Union(
  [...PARTNER_EVENT_TYPES, ALL_PARTNER_EVENTS].map((e) => Type.Literal(e)),
  { description: 'An event type, or "*" for all.' },
);

const Events = Type.Array(EventName, { minItems: 1, maxItems: 20, uniqueItems: true });
const Url = Type.String({
  minLength: 1,
  maxLength: 2048,
  description: 'https; must resolve to a public address.',
});
const Description = Type.String({ maxLength: 500 });

export const CreateWebhookBodySchema = Type.Object(
  { url: Url, events: Events, description: Type.Optional(Description) },
  { title: 'CreateWebhookBody', additionalProperties: false },
);
export type CreateWebhookBody = Static<typeof CreateWebhookBodySchema>;

export const UpdateWebhookBodySchema = Type.Object(
  {
    url: Type.Optional(Url),
    events: Type.Optional(Events),
    description: Type.Optional(Nullable(Description)),
    status: Type.Optional(Type.Literal('active', { description: 'Re-enables a disabled endpoint.' })),
  },
  { title: 'UpdateWebhookBody', additionalProperties: false, minProperties: 1 },
);
export type UpdateWebhookBody = Static<typeof UpdateWebhookBodySchema>;

export const WebhookEndpointSchema = Type.Object(
  {
    id: Id(),
    url: Type.String(),
    events: Type.Array(Type.String()),
    description: Nullable(Type.String()),
    status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]),
    disabledReason: Nullable(Type.String()),
    createdAt: Timestamp(),
    updatedAt: Timestamp(),
  },
  { title: 'WebhookEndpoint', additionalProperties: false },
);
export type WebhookEndpointView = Static<typeof WebhookEndpointSchema>;

const Secret = Type.String({
  pattern: '^whsec_[A-Za-z0-9+/]{43}=$',
  description: 'whsec_ + base64 of 32 random bytes; shown only here.',
});

export const CreateWebhookResponseSchema = Success(
  Type.Object({ ...WebhookEndpointSchema.properties, secret: Secret }, { additionalProperties: false }),
  'CreateWebhookResponse',
);
export const WebhookResponseSchema = Success(WebhookEndpointSchema, 'WebhookResponse');
export const ListWebhooksResponseSchema = Success(
  Type.Object({ webhooks: Type.Array(WebhookEndpointSchema) }, { additionalProperties: false }),
  'ListWebhooksResponse',
);
export const RotateSecretResponseSchema = Success(
  Type.Object(
    {
      ...WebhookEndpointSchema.properties,
      secret: Secret,
      previousSecretExpiresAt: Timestamp('The old secret keeps signing alongside until then.'),
    },
    { additionalProperties: false },
  ),
  'RotateSecretResponse',
);

export const DELIVERY_OUTCOMES = ['delivered', 'failed', 'retry_scheduled', 'endpoint_disabled'] as const;

export const DeliveryAttemptSchema = Type.Object(
  {
    id: Id(),
    eventId: Type.String(),
    event: Type.String({ examples: ['message.delivered', WEBHOOK_TEST_EVENT] }),
    attempt: Type.Integer({ minimum: 1 }),
    outcome: Type.Union(DELIVERY_OUTCOMES.map((o) => Type.Literal(o))),
    httpStatus: Nullable(Type.Integer()),
    durationMs: Type.Integer({ minimum: 0 }),
    error: Nullable(Type.String()),
    nextAttemptAt: Nullable(Timestamp()),
    createdAt: Timestamp(),
  },
  { title: 'DeliveryAttempt', additionalProperties: false },
);
export type DeliveryAttemptView = Static<typeof DeliveryAttemptSchema>;

export const DeliveryAttemptResponseSchema = Success(DeliveryAttemptSchema, 'DeliveryAttemptResponse');
export const ListDeliveriesResponseSchema = Success(
  Type.Object(
    { deliveries: Type.Array(DeliveryAttemptSchema), nextCursor: Nullable(Type.String()) },
    { additionalProperties: false },
  ),
  'ListDeliveriesResponse',
);

export const ListDeliveriesQuerySchema = Type.Object(
  {
    status: Type.Optional(Type.Union(DELIVERY_OUTCOMES.map((o) => Type.Literal(o)))),
    limit: Type.Optional(Type.String({ pattern: '^(100|[1-9][0-9]?)$', description: '1..100, default 20' })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  },
  { additionalProperties: false },
);
export type ListDeliveriesQuery = Static<typeof ListDeliveriesQuerySchema>;

export const WebhookIdParamsSchema = Type.Object({ id: Id() }, { additionalProperties: false });
export const DeliveryIdParamsSchema = Type.Object(
  { id: Id(), deliveryId: Id() },
  { additionalProperties: false },
);
