import { Type, type Static } from '@sinclair/typebox';
import { errorMessages, StringEnum } from '../messages/common';
import { SEND_MESSAGE_TYPES } from '../messages/send';
import { Id, Nullable, Success, Timestamp } from './common';

/** Message statuses, in the order a message moves through them (FAILED can follow any but READ). */
export const MESSAGE_STATUSES = [
  'ACCEPTED',
  'QUEUED',
  'SENDING',
  'SENT',
  'DELIVERED',
  'READ',
  'FAILED',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export const MessageStatusSchema = StringEnum(MESSAGE_STATUSES, { title: 'MessageStatus' });

/**
 * What a history entry can record: every status, plus `RETRY_SCHEDULED` (a retryable provider
 * failure; the message stays SENDING and is tried again after a delay). A history entry is
 * an event, not a status: the message's own `status` never takes the value RETRY_SCHEDULED.
 */
export const MESSAGE_HISTORY_STATUSES = [...MESSAGE_STATUSES, 'RETRY_SCHEDULED'] as const;
export type MessageHistoryStatus = (typeof MESSAGE_HISTORY_STATUSES)[number];

/** 201 response of `POST /messages/send` (also replayed for a repeated `Idempotency-Key`). */
export const SendMessageResponseSchema = Success(
  Type.Object(
    {
      id: Id('The message id; poll GET /messages/{id}.'),
      status: Type.Literal('ACCEPTED'),
      message: Type.String({ examples: ['Message received and being sent to the recipient.'] }),
    },
    { additionalProperties: false },
  ),
  'SendMessageResponse',
);
export type SendMessageResponse = Static<typeof SendMessageResponseSchema>;

export const SEND_MESSAGE_ACCEPTED_TEXT = 'Message received and being sent to the recipient.';

export const MessageHistoryEntrySchema = Type.Object(
  {
    status: StringEnum(MESSAGE_HISTORY_STATUSES, {
      description: 'The status reached, or RETRY_SCHEDULED for a failed attempt that will be retried.',
    }),
    at: Timestamp('When the message reached this status.'),
    detail: Type.Optional(
      Type.String({ description: 'Extra context, e.g. the provider error of a retried attempt.' }),
    ),
  },
  { title: 'MessageHistoryEntry', additionalProperties: false },
);

/** `GET /messages/{id}`: one message of the key's workspace. */
export const MessageViewSchema = Type.Object(
  {
    id: Id(),
    status: MessageStatusSchema,
    type: StringEnum(SEND_MESSAGE_TYPES),
    to: Type.String({ description: 'Recipient number, masked (e.g. 9198******10).' }),
    phoneNumberId: Id('The connected number that sends it.'),
    templateName: Nullable(Type.String({ description: 'The template sent (template messages only).' })),
    providerMessageId: Nullable(Type.String({ description: "WhatsApp's message id (wamid) once sent." })),
    error: Nullable(
      Type.Object(
        {
          code: Nullable(
            Type.Integer({
              description:
                "Meta's error code (e.g. 131026); null when Flowgate gave up without one (e.g. the message was parked).",
            }),
          ),
          message: Type.String({ description: "The error's title, e.g. 'Message undeliverable'." }),
          details: Type.Optional(
            Type.String({ description: "Meta's longer explanation, when it gave one." }),
          ),
        },
        { additionalProperties: false, description: 'Why the message failed (null unless it did).' },
      ),
    ),
    attempts: Type.Integer({ minimum: 0, description: 'Provider calls made so far.' }),
    pricing: Nullable(
      Type.Object(
        {
          category: Nullable(
            Type.String({ description: "Meta's pricing category (marketing, utility, service, …)." }),
          ),
          type: Nullable(
            Type.String({ description: "Meta's pricing type (regular, free_customer_service, …)." }),
          ),
          billable: Nullable(Type.Boolean()),
        },
        {
          additionalProperties: false,
          description: "Meta's pricing of this message, from its status webhooks.",
        },
      ),
    ),
    createdAt: Timestamp(),
    updatedAt: Timestamp(),
    history: Type.Array(MessageHistoryEntrySchema, {
      description: 'Every status the message went through, oldest first.',
    }),
  },
  { title: 'MessageView', additionalProperties: false },
);
export type MessageView = Static<typeof MessageViewSchema>;

export const GetMessageResponseSchema = Success(MessageViewSchema, 'GetMessageResponse');
export type GetMessageResponse = Static<typeof GetMessageResponseSchema>;

/**
 * The optional `Idempotency-Key` header of `POST /messages/send`: 1 to 255 visible ASCII
 * characters (0x21-0x7E). No spaces: HTTP strips them at either end of a header value, so a key
 * with spaces would not round-trip through every client and proxy (ADR 0023).
 */
export const IdempotencyKeySchema = Type.String({
  minLength: 1,
  maxLength: 255,
  pattern: '^[\\x21-\\x7E]+$',
  description:
    'Makes retries safe: a repeat with the same key and body (within at least 24 h) replays the first response and sends nothing; the same key with another body is 422 IDEMPOTENCY_KEY_REUSED.',
  ...errorMessages({ pattern: 'must contain only visible ASCII characters (no spaces)' }),
});

/** The request headers of `POST /messages/send` that the route reads (credentials aside). */
export const SendMessageHeadersSchema = Type.Object(
  { 'Idempotency-Key': Type.Optional(IdempotencyKeySchema) },
  { additionalProperties: false },
);
export type SendMessageHeaders = Static<typeof SendMessageHeadersSchema>;

/** Path parameters of `GET /messages/{id}`. */
export const MessageIdParamsSchema = Type.Object({ id: Id() }, { additionalProperties: false });
