import { Type, type Static } from '@sinclair/typebox';

/**
 * The dispatch envelope (version 1). It carries ids only: the message row in PostgreSQL is the
 * source of truth (payload, status), so a stale or repeated envelope can never send stale content.
 */
export const DispatchEnvelopeV1Schema = Type.Object(
  {
    schemaVersion: Type.Literal(1),
    messageId: Type.String({ format: 'uuid' }),
    workspaceId: Type.String({ format: 'uuid' }),
    /** Our id of the sending number: the dispatcher paces per number before touching the database. */
    phoneNumberId: Type.String({ format: 'uuid' }),
    requestId: Type.Optional(Type.String({ maxLength: 128 })),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type DispatchEnvelopeV1 = Static<typeof DispatchEnvelopeV1Schema>;
