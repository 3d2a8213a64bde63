import { Type, type Static } from '@sinclair/typebox';
import { Id, Nullable, Success, Timestamp } from './common';
import { ListQuerySchema } from './inbound';
import { PhoneInput, Uuid, exactlyOneOf } from '../messages/common';
import { TemplateLanguageSchema, TemplateNameSchema } from '../messages/template';
import {
  BodyParametersSchema,
  CarouselInputSchema,
  TemplateVariablesSchema,
} from '../messages/template-variables';

/** Most recipients one broadcast takes (docs/contracts.md §11). */
export const BROADCAST_MAX_RECIPIENTS = 100_000;

export const BROADCAST_STATUSES = ['SCHEDULED', 'SENDING', 'COMPLETED', 'CANCELLED'] as const;
export type BroadcastStatus = (typeof BROADCAST_STATUSES)[number];

const BroadcastRecipientSchema = Type.Object(
  {
    phone: Type.Optional(PhoneInput),
    contactId: Type.Optional(Uuid({ description: 'A contact of the same workspace (instead of `phone`).' })),
    templateVariables: Type.Optional(TemplateVariablesSchema),
    carousel: Type.Optional(CarouselInputSchema),
    bodyParameters: Type.Optional(BodyParametersSchema),
  },
  {
    title: 'BroadcastRecipient',
    additionalProperties: false,
    allOf: [exactlyOneOf(['phone', 'contactId'] as const)],
  },
);
export type BroadcastRecipient = Static<typeof BroadcastRecipientSchema>;

const common = {
  name: Type.String({ minLength: 1, maxLength: 200, description: 'Shown in lists and the dashboard.' }),
  templateName: TemplateNameSchema,
  templateLanguage: Type.Optional(TemplateLanguageSchema),
  phoneNumberId: Type.Optional(
    Uuid({ description: "Which of the workspace's numbers sends. Default: the workspace's active number." }),
  ),
  scheduledAt: Type.Optional(
    Type.String({ format: 'date-time', description: 'ISO-8601, in the future: sending starts then.' }),
  ),
};

/**
 * `POST /broadcasts` (docs/contracts.md §11): `recipients` listed, or an `audience` by tags (then
 * `templateVariables`, `carousel` and `bodyParameters` at the top apply to every contact).
 */
export const CreateBroadcastBodySchema = Type.Object(
  {
    ...common,
    recipients: Type.Optional(
      Type.Array(BroadcastRecipientSchema, {
        minItems: 1,
        maxItems: BROADCAST_MAX_RECIPIENTS,
        description: '1..100,000 recipients; duplicates (same digits) are sent once.',
      }),
    ),
    audience: Type.Optional(
      Type.Object(
        {
          tags: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
            minItems: 1,
            maxItems: 50,
            description: 'Every contact with at least one of these tags.',
          }),
        },
        { additionalProperties: false },
      ),
    ),
    templateVariables: Type.Optional(TemplateVariablesSchema),
    carousel: Type.Optional(CarouselInputSchema),
    bodyParameters: Type.Optional(BodyParametersSchema),
  },
  {
    title: 'CreateBroadcastBody',
    additionalProperties: false,
    allOf: [exactlyOneOf(['recipients', 'audience'] as const)],
  },
);
export type CreateBroadcastBody = Static<typeof CreateBroadcastBodySchema>;

export const BroadcastCountsSchema = Type.Object(
  {
    pending: Type.Integer({ minimum: 0, description: 'not yet with the provider' }),
    sent: Type.Integer({ minimum: 0 }),
    delivered: Type.Integer({ minimum: 0 }),
    read: Type.Integer({ minimum: 0 }),
    failed: Type.Integer({ minimum: 0 }),
    skipped: Type.Integer({ minimum: 0, description: 'opted out when the broadcast was created' }),
    cancelled: Type.Integer({ minimum: 0 }),
  },
  {
    title: 'BroadcastCounts',
    additionalProperties: false,
    description: 'Each recipient once, by where it is now: they add up to `total`.',
  },
);
export type BroadcastCounts = Static<typeof BroadcastCountsSchema>;

export const BroadcastSchema = Type.Object(
  {
    id: Id(),
    name: Type.String(),
    templateName: Type.String(),
    templateLanguage: Type.String(),
    phoneNumberId: Id(),
    status: Type.Union(BROADCAST_STATUSES.map((s) => Type.Literal(s))),
    total: Type.Integer({ minimum: 0, description: 'distinct recipients' }),
    duplicates: Type.Integer({ minimum: 0, description: 'recipients dropped as repeats' }),
    counts: BroadcastCountsSchema,
    scheduledAt: Nullable(Timestamp()),
    createdAt: Timestamp(),
    startedAt: Nullable(Timestamp()),
    completedAt: Nullable(Timestamp('every recipient has an outcome')),
  },
  { title: 'Broadcast', additionalProperties: false },
);
export type Broadcast = Static<typeof BroadcastSchema>;

export const CreateBroadcastResponseSchema = Success(
  Type.Object(
    {
      id: Id(),
      status: Type.Union([Type.Literal('SCHEDULED'), Type.Literal('SENDING')]),
      total: Type.Integer({ minimum: 0 }),
      duplicates: Type.Integer({ minimum: 0 }),
      skipped: Type.Integer({ minimum: 0, description: 'opted-out recipients, never sent' }),
    },
    { additionalProperties: false },
  ),
  'CreateBroadcastResponse',
);
export type CreateBroadcastResponse = Static<typeof CreateBroadcastResponseSchema>;

export const GetBroadcastResponseSchema = Success(BroadcastSchema, 'GetBroadcastResponse');
export const CancelBroadcastResponseSchema = Success(BroadcastSchema, 'CancelBroadcastResponse');

export const ListBroadcastsQuerySchema = Type.Object(
  {
    ...ListQuerySchema.properties,
    status: Type.Optional(Type.Union(BROADCAST_STATUSES.map((s) => Type.Literal(s)))),
  },
  { additionalProperties: false },
);
export type ListBroadcastsQuery = Static<typeof ListBroadcastsQuerySchema>;

export const ListBroadcastsResponseSchema = Success(
  Type.Object(
    {
      broadcasts: Type.Array(BroadcastSchema),
      nextCursor: Nullable(
        Type.String({ description: 'Pass as `cursor` for the next page; null on the last.' }),
      ),
    },
    { additionalProperties: false },
  ),
  'ListBroadcastsResponse',
);
