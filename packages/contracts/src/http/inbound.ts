import { Type, type Static } from '@sinclair/typebox';
import { Id, Nullable, Success, Timestamp } from './common';
import { PHONE_INPUT_PATTERN } from '../messages/common';

/** `POST /api/v1/webhooks/meta`: 200 once the signed body is stored (docs/contracts.md §9). */
export const MetaWebhookAckSchema = Success(
  Type.Object({ received: Type.Literal(true) }, { additionalProperties: false }),
  'MetaWebhookAck',
);
export type MetaWebhookAck = Static<typeof MetaWebhookAckSchema>;

/** `limit` and `cursor` of every list (docs/contracts.md §11). */
export const ListQuerySchema = Type.Object({
  limit: Type.Optional(Type.String({ pattern: '^(100|[1-9][0-9]?)$', description: '1..100, default 20' })),
  cursor: Type.Optional(
    Type.String({ minLength: 1, maxLength: 512, description: 'nextCursor of the previous page' }),
  ),
});

export const ListContactsQuerySchema = Type.Object(
  {
    ...ListQuerySchema.properties,
    search: Type.Optional(
      Type.String({ maxLength: 200, description: 'Part of the name, phone or email (case-insensitive).' }),
    ),
    tag: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    optedOut: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
  },
  { additionalProperties: false },
);
export type ListContactsQuery = Static<typeof ListContactsQuerySchema>;

export const ListConversationsQuerySchema = Type.Object(
  {
    ...ListQuerySchema.properties,
    status: Type.Optional(
      Type.Union([Type.Literal('open'), Type.Literal('all')], {
        description: 'open: window still open (default all)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ListConversationsQuery = Static<typeof ListConversationsQuerySchema>;

export const ListPageQuerySchema = Type.Object(ListQuerySchema.properties, { additionalProperties: false });
export type ListPageQuery = Static<typeof ListPageQuerySchema>;

const NextCursor = Nullable(
  Type.String({ description: 'Pass as `cursor` for the next page; null on the last.' }),
);

export const ContactSchema = Type.Object(
  {
    id: Id(),
    phone: Type.String(),
    name: Nullable(Type.String()),
    email: Nullable(Type.String()),
    tags: Type.Array(Type.String()),
    attributes: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
    optedOut: Type.Boolean(),
    optedOutAt: Nullable(Timestamp()),
    lastInboundAt: Nullable(Timestamp('The last message the contact wrote (any of the numbers).')),
    windowOpenUntil: Nullable(Timestamp('lastInboundAt + 24 h while that is in the future, else null.')),
    createdAt: Timestamp(),
    updatedAt: Timestamp(),
  },
  { title: 'Contact', additionalProperties: false },
);
export type Contact = Static<typeof ContactSchema>;

export const ListContactsResponseSchema = Success(
  Type.Object(
    { contacts: Type.Array(ContactSchema), nextCursor: NextCursor },
    { additionalProperties: false },
  ),
  'ListContactsResponse',
);
export const GetContactResponseSchema = Success(ContactSchema, 'GetContactResponse');

export const ConversationSchema = Type.Object(
  {
    id: Id(),
    contact: Type.Object(
      { id: Id(), phone: Type.String(), name: Nullable(Type.String()) },
      { additionalProperties: false },
    ),
    phoneNumberId: Id('The sending number of this conversation.'),
    lastMessage: Nullable(
      Type.Object(
        {
          id: Id(),
          direction: Type.Union([Type.Literal('inbound'), Type.Literal('outbound')]),
          type: Type.String(),
          preview: Type.String(),
          at: Timestamp(),
        },
        { additionalProperties: false },
      ),
    ),
    lastInboundAt: Nullable(Timestamp()),
    windowOpenUntil: Nullable(Timestamp()),
  },
  { title: 'Conversation', additionalProperties: false },
);
export const ListConversationsResponseSchema = Success(
  Type.Object(
    { conversations: Type.Array(ConversationSchema), nextCursor: NextCursor },
    { additionalProperties: false },
  ),
  'ListConversationsResponse',
);

export const ConversationMessageSchema = Type.Object(
  {
    id: Id(),
    direction: Type.Union([Type.Literal('inbound'), Type.Literal('outbound')]),
    type: Type.String(),
    content: Type.Unknown({
      description: 'Inbound: the object under its type as Meta sent it. Outbound: the Cloud API body part.',
    }),
    status: Nullable(Type.String({ description: 'Outbound only.' })),
    providerMessageId: Nullable(Type.String()),
    replyTo: Nullable(
      Type.String({ description: 'The wamid of the message this one answers (context.id).' }),
    ),
    createdAt: Timestamp(),
  },
  { title: 'ConversationMessage', additionalProperties: false },
);
export const ListConversationMessagesResponseSchema = Success(
  Type.Object(
    { messages: Type.Array(ConversationMessageSchema), nextCursor: NextCursor },
    { additionalProperties: false },
  ),
  'ListConversationMessagesResponse',
);

export const ResourceIdParamsSchema = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);

const Tag = Type.String({ minLength: 1, maxLength: 64 });
const AttributeValue = Type.Union([Type.String({ maxLength: 1000 }), Type.Number(), Type.Boolean()]);

export const CreateContactBodySchema = Type.Object(
  {
    phone: Type.String({
      pattern: PHONE_INPUT_PATTERN,
      description: 'Country code and number, 8 to 15 digits; a leading +, spaces and dashes are tolerated.',
    }),
    name: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
    email: Type.Optional(Nullable(Type.String({ format: 'email', maxLength: 320 }))),
    tags: Type.Optional(Type.Array(Tag, { maxItems: 50, uniqueItems: true })),
    attributes: Type.Optional(
      Type.Record(Type.String({ minLength: 1, maxLength: 64 }), AttributeValue, { maxProperties: 50 }),
    ),
  },
  { title: 'CreateContactBody', additionalProperties: false },
);
export type CreateContactBody = Static<typeof CreateContactBodySchema>;

export const UpdateContactBodySchema = Type.Object(
  {
    name: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
    email: Type.Optional(Nullable(Type.String({ format: 'email', maxLength: 320 }))),
    tags: Type.Optional(Type.Array(Tag, { maxItems: 50, uniqueItems: true })),
    attributes: Type.Optional(
      Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Nullable(AttributeValue), {
        maxProperties: 50,
        description: 'Merged into the stored attributes; null removes a key.',
      }),
    ),
  },
  { title: 'UpdateContactBody', additionalProperties: false, minProperties: 1 },
);
export type UpdateContactBody = Static<typeof UpdateContactBodySchema>;

export const DeleteContactResponseSchema = Success(
  Type.Object({ id: Id(), deleted: Type.Literal(true) }, { additionalProperties: false }),
  'DeleteContactResponse',
);

const Count = Type.Integer({ minimum: 0 });

export const AccountResponseSchema = Success(
  Type.Object(
    {
      workspace: Type.Object(
        { id: Id(), name: Type.String(), createdAt: Timestamp() },
        { additionalProperties: false },
      ),
      phoneNumbers: Type.Array(
        Type.Object(
          {
            id: Id(),
            displayPhoneNumber: Type.String(),
            isDefault: Type.Boolean(),
            messagesPerSecond: Nullable(Type.Number({ description: 'Its own pacing; null: the default.' })),
            webhookConnected: Type.Boolean({
              description: "Meta's webhook has delivered a signed event for it.",
            }),
          },
          { additionalProperties: false },
        ),
      ),
      usage: Type.Object(
        {
          period: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}$', description: 'This calendar month (UTC).' }),
          messages: Type.Object(
            { accepted: Count, sent: Count, delivered: Count, read: Count, failed: Count },
            { additionalProperties: false },
          ),
          byCategory: Type.Object(
            { marketing: Count, utility: Count, authentication: Count, service: Count },
            { additionalProperties: false, description: "From Meta's pricing data of the messages." },
          ),
        },
        { additionalProperties: false },
      ),
      rateLimit: Type.Object(
        { requestsPerSecond: Type.Integer({ minimum: 1 }), burst: Type.Integer({ minimum: 1 }) },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
  'AccountResponse',
);
