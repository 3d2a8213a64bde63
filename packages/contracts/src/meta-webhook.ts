import { Type, type Static } from '@sinclair/typebox';

/**
 * Meta's webhook payloads as far as Flowgate reads them (docs/contracts.md §9,
 * docs/meta-cloud-api.md §5). Each piece is checked on its own: a status or message Flowgate cannot
 * use is skipped and counted, and the rest of the body is still applied. Unknown fields are
 * allowed everywhere (Meta adds fields without notice).
 */

const Digits = Type.String({ minLength: 1, maxLength: 64 });
const UnixSeconds = Type.String({ pattern: '^[0-9]{1,12}$' });

/** `entry[].changes[]`: which field changed and its value (read per field below). */
export const MetaChangeSchema = Type.Object({
  field: Type.String({ minLength: 1, maxLength: 100 }),
  value: Type.Object({}),
});
export type MetaChange = Static<typeof MetaChangeSchema>;

export const MetaEnvelopeSchema = Type.Object({
  object: Type.String({ maxLength: 100 }),
  entry: Type.Array(
    Type.Object({
      id: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Number()])),
      time: Type.Optional(Type.Number()),
      changes: Type.Array(Type.Unknown(), { maxItems: 1000 }),
    }),
    { maxItems: 1000 },
  ),
});
export type MetaEnvelope = Static<typeof MetaEnvelopeSchema>;

/** `value.metadata` of a `messages` change: the number the event concerns. */
export const MetaMessagesValueSchema = Type.Object({
  metadata: Type.Object({
    phone_number_id: Digits,
    display_phone_number: Type.Optional(Type.String({ maxLength: 64 })),
  }),
  statuses: Type.Optional(Type.Array(Type.Unknown())),
  messages: Type.Optional(Type.Array(Type.Unknown())),
  contacts: Type.Optional(Type.Array(Type.Unknown())),
});
export type MetaMessagesValue = Static<typeof MetaMessagesValueSchema>;

export const META_MESSAGE_STATUSES = ['sent', 'delivered', 'read', 'failed'] as const;

const MetaError = Type.Object({
  code: Type.Integer(),
  title: Type.Optional(Type.String({ maxLength: 1000 })),
  message: Type.Optional(Type.String({ maxLength: 2000 })),
  error_data: Type.Optional(Type.Object({ details: Type.Optional(Type.String({ maxLength: 4000 })) })),
});

/** `value.statuses[]` of a message (not a payment). */
export const MetaStatusSchema = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 256 }),
  status: Type.Union(META_MESSAGE_STATUSES.map((s) => Type.Literal(s))),
  timestamp: UnixSeconds,
  recipient_id: Type.Optional(Type.String({ maxLength: 64 })),
  biz_opaque_callback_data: Type.Optional(Type.String({ maxLength: 512 })),
  pricing: Type.Optional(
    Type.Object({
      billable: Type.Optional(Type.Boolean()),
      pricing_model: Type.Optional(Type.String({ maxLength: 64 })),
      category: Type.Optional(Type.String({ maxLength: 64 })),
      type: Type.Optional(Type.String({ maxLength: 64 })),
    }),
  ),
  errors: Type.Optional(Type.Array(MetaError, { maxItems: 20 })),
});
export type MetaStatus = Static<typeof MetaStatusSchema>;

/** `value.statuses[]` with `type: "payment"`. */
export const MetaPaymentStatusSchema = Type.Object({
  type: Type.Literal('payment'),
  status: Type.String({ minLength: 1, maxLength: 64 }),
  timestamp: UnixSeconds,
  recipient_id: Type.Optional(Type.String({ maxLength: 64 })),
  payment: Type.Object({
    reference_id: Type.String({ minLength: 1, maxLength: 256 }),
    amount: Type.Optional(Type.Object({ value: Type.Integer(), offset: Type.Integer() })),
    currency: Type.Optional(Type.String({ maxLength: 8 })),
    transaction: Type.Optional(Type.Object({ id: Type.Optional(Type.String({ maxLength: 256 })) })),
  }),
});
export type MetaPaymentStatus = Static<typeof MetaPaymentStatusSchema>;

/** The types of inbound messages Flowgate stores (docs/meta-cloud-api.md §5.5). */
export const INBOUND_MESSAGE_TYPES = [
  'text',
  'image',
  'video',
  'audio',
  'document',
  'sticker',
  'location',
  'contacts',
  'reaction',
  'interactive',
  'button',
  'order',
  'system',
  'unsupported',
  'unknown',
] as const;
export type InboundMessageType = (typeof INBOUND_MESSAGE_TYPES)[number];

/** `value.messages[]`: an inbound message. Its content (the object under its type) is kept as sent. */
export const MetaInboundMessageSchema = Type.Object({
  from: Type.String({ pattern: '^[0-9]{6,20}$' }),
  id: Type.String({ minLength: 1, maxLength: 256 }),
  timestamp: UnixSeconds,
  type: Type.String({ minLength: 1, maxLength: 64 }),
  context: Type.Optional(Type.Object({ id: Type.Optional(Type.String({ maxLength: 256 })) })),
});
export type MetaInboundMessage = Static<typeof MetaInboundMessageSchema> & Record<string, unknown>;

/** `value.contacts[]`: who wrote. */
export const MetaContactSchema = Type.Object({
  wa_id: Type.String({ pattern: '^[0-9]{6,20}$' }),
  profile: Type.Optional(Type.Object({ name: Type.Optional(Type.String({ maxLength: 256 })) })),
});
export type MetaContact = Static<typeof MetaContactSchema>;

/** `field: "message_template_status_update"`. */
export const MetaTemplateStatusSchema = Type.Object({
  event: Type.String({ minLength: 1, maxLength: 64 }),
  message_template_name: Type.String({ minLength: 1, maxLength: 512 }),
  message_template_language: Type.String({ minLength: 1, maxLength: 32 }),
  message_template_id: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Number()])),
  reason: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])),
});
export type MetaTemplateStatus = Static<typeof MetaTemplateStatusSchema>;
