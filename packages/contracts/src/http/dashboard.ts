import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../messages/common';
import { Id, Nullable, Success, Timestamp } from './common';
import { WORKSPACE_ROLES } from './admin';
import { ListQuerySchema } from './inbound';
import { MESSAGE_STATUSES } from './messages';

/**
 * The dashboard's session and the admin routes it reads (docs/contracts.md §13, ADR 0045).
 * The session is an httpOnly cookie; `csrfToken` goes back in `X-CSRF-Token` on every
 * state-changing call made with it.
 */
export const SESSION_COOKIE_NAME = 'flowgate_session';
export const CSRF_HEADER_NAME = 'X-CSRF-Token';

const Workspaces = Type.Array(
  Type.Object(
    { id: Id(), name: Type.String(), role: StringEnum(WORKSPACE_ROLES) },
    { additionalProperties: false },
  ),
);

export const SessionResponseSchema = Success(
  Type.Object(
    {
      user: Type.Object(
        { id: Id(), email: Type.String({ format: 'email' }) },
        { additionalProperties: false },
      ),
      workspaces: Workspaces,
      csrfToken: Type.String({
        minLength: 20,
        description: 'Send as `X-CSRF-Token` on every POST, PATCH and DELETE made with the session cookie.',
      }),
      expiresAt: Timestamp(),
    },
    { additionalProperties: false },
  ),
  'SessionResponse',
);
export type SessionResponse = Static<typeof SessionResponseSchema>;

export const SignedOutResponseSchema = Success(
  Type.Object({ signedOut: Type.Literal(true) }, { additionalProperties: false }),
  'SignedOutResponse',
);

/** `GET /workspaces/{id}/messages`: outbound sends and inbound messages, newest first. */
export const ListWorkspaceMessagesQuerySchema = Type.Object(
  {
    ...ListQuerySchema.properties,
    status: Type.Optional(StringEnum(MESSAGE_STATUSES, { description: 'Outbound messages in this status.' })),
    direction: Type.Optional(Type.Union([Type.Literal('inbound'), Type.Literal('outbound')])),
  },
  { additionalProperties: false },
);
export type ListWorkspaceMessagesQuery = Static<typeof ListWorkspaceMessagesQuerySchema>;

export const MessageLogEntrySchema = Type.Object(
  {
    id: Id(),
    direction: Type.Union([Type.Literal('inbound'), Type.Literal('outbound')]),
    type: Type.String(),
    status: Nullable(StringEnum(MESSAGE_STATUSES, { description: 'Outbound only.' })),
    phone: Type.String({ description: 'The recipient (outbound) or the sender (inbound), digits.' }),
    templateName: Nullable(Type.String()),
    preview: Type.String(),
    createdAt: Timestamp(),
  },
  { title: 'MessageLogEntry', additionalProperties: false },
);
export type MessageLogEntry = Static<typeof MessageLogEntrySchema>;

export const ListWorkspaceMessagesResponseSchema = Success(
  Type.Object(
    {
      messages: Type.Array(MessageLogEntrySchema),
      nextCursor: Nullable(
        Type.String({ description: 'Pass as `cursor` for the next page; null on the last.' }),
      ),
    },
    { additionalProperties: false },
  ),
  'ListWorkspaceMessagesResponse',
);

export const ListPhoneNumbersResponseSchema = Success(
  Type.Object(
    {
      phoneNumbers: Type.Array(
        Type.Object(
          {
            id: Id(),
            displayPhoneNumber: Type.String(),
            isDefault: Type.Boolean(),
            messagesPerSecond: Nullable(Type.Number()),
            webhookConnected: Type.Boolean({
              description: "Meta's webhook has delivered a signed event for it.",
            }),
          },
          { additionalProperties: false },
        ),
      ),
    },
    { additionalProperties: false },
  ),
  'ListPhoneNumbersResponse',
);
