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
    status: MessageStatusSchema,
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
    providerMessageId: Nullable(Type.String({ description: "WhatsApp's message id (wamid) once sent." })),
    error: Nullable(
      Type.Object(
        {
          code: Type.Union([Type.Integer(), Type.String()], {
            description: "Meta's error code (e.g. 131026) or a Flowgate code.",
          }),
          message: Type.String(),
        },
        { additionalProperties: false },
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

/** The optional `Idempotency-Key` header of `POST /messages/send`: up to 255 visible ASCII characters. */
export const IdempotencyKeySchema = Type.String({
  minLength: 1,
  maxLength: 255,
  pattern: '^[\\x20-\\x7E]+$',
  description:
    'Makes retries safe: a repeat with the same key and body (within at least 24 h) replays the first response and sends nothing; the same key with another body is 422 IDEMPOTENCY_KEY_REUSED.',
  ...errorMessages({ pattern: 'must contain only printable ASCII characters' }),
});

/** Path parameters of `GET /messages/{id}`. */
export const MessageIdParamsSchema = Type.Object({ id: Id() }, { additionalProperties: false });
