import { Type, type Static } from '@sinclair/typebox';
import { errorMessages, StringEnum } from '../messages/common';
import { Id, Nullable, Success, Timestamp } from './common';

export const WORKSPACE_ROLES = ['owner', 'admin', 'member'] as const;
export type WorkspaceRole = (typeof WORKSPACE_ROLES)[number];

/** `apiKey`: `pk_` and 40 lowercase alphanumerics. */
export const API_KEY_PATTERN = '^pk_[a-z0-9]{40}$';

export const LoginRequestSchema = Type.Object(
  {
    email: Type.String({
      format: 'email',
      maxLength: 254,
      ...errorMessages({ format: 'must be an email address' }),
    }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { title: 'LoginRequest', additionalProperties: false },
);
export type LoginRequest = Static<typeof LoginRequestSchema>;

export const LoginResponseSchema = Success(
  Type.Object(
    {
      token: Type.String({ description: 'JWT; send as `Authorization: Bearer <token>`.' }),
      expiresIn: Type.Integer({ minimum: 1, description: 'Seconds until the token expires.' }),
      user: Type.Object(
        { id: Id(), email: Type.String({ format: 'email' }) },
        { additionalProperties: false },
      ),
      workspaces: Type.Array(
        Type.Object(
          { id: Id(), name: Type.String(), role: StringEnum(WORKSPACE_ROLES) },
          { additionalProperties: false },
        ),
      ),
    },
    { additionalProperties: false },
  ),
  'LoginResponse',
);
export type LoginResponse = Static<typeof LoginResponseSchema>;

/** What a key may do (docs/contracts.md §12); a key without `scopes` may do all of it. */
export const API_KEY_SCOPES = [
  'messages:send',
  'messages:read',
  'templates:read',
  'contacts:read',
  'contacts:write',
  'broadcasts:write',
  'webhooks:manage',
  'account:read',
] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

const Scopes = Type.Array(Type.Union(API_KEY_SCOPES.map((s) => Type.Literal(s))), {
  minItems: 1,
  uniqueItems: true,
  description: 'What the key may do; default: everything.',
});
const AllowedIps = Type.Array(Type.String({ minLength: 2, maxLength: 50 }), {
  minItems: 1,
  maxItems: 50,
  uniqueItems: true,
  description: 'IPv4/IPv6 addresses or CIDR blocks the key may be used from; default: any.',
});

export const CreateApiKeyRequestSchema = Type.Object(
  {
    scopes: Type.Optional(Scopes),
    allowedIps: Type.Optional(AllowedIps),
    label: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        pattern: '\\S',
        description: 'A name for the key, e.g. staging or production.',
        ...errorMessages({ pattern: 'must not be blank' }),
      }),
    ),
  },
  { title: 'CreateApiKeyRequest', additionalProperties: false },
);
export type CreateApiKeyRequest = Static<typeof CreateApiKeyRequestSchema>;

const ApiKeyValue = Type.String({ pattern: API_KEY_PATTERN, description: 'Public key id.' });

export const CreateApiKeyResponseSchema = Success(
  Type.Object(
    {
      id: Id(),
      apiKey: ApiKeyValue,
      apiSecret: Type.String({ minLength: 43, description: 'Shown only in this response; store it now.' }),
      bearerToken: Type.String({
        description: '`<apiKey>.<apiSecret>`, ready for `Authorization: Bearer …` (shown only here).',
      }),
      label: Nullable(Type.String()),
      scopes: Type.Array(Type.String(), { description: 'Every scope when created without `scopes`.' }),
      allowedIps: Nullable(Type.Array(Type.String())),
      createdAt: Timestamp(),
    },
    { additionalProperties: false },
  ),
  'CreateApiKeyResponse',
);
export type CreateApiKeyResponse = Static<typeof CreateApiKeyResponseSchema>;

/** An API key as listed: never its secret or hash. */
export const ApiKeySummarySchema = Type.Object(
  {
    id: Id(),
    label: Nullable(Type.String()),
    apiKey: ApiKeyValue,
    createdBy: Nullable(Id('User who created it; null when created from the CLI or the user was removed.')),
    scopes: Type.Array(Type.String(), { description: 'What the key may do.' }),
    allowedIps: Nullable(
      Type.Array(Type.String(), { description: 'Where it may be used from; null: anywhere.' }),
    ),
    createdAt: Timestamp(),
    lastUsedAt: Nullable(Timestamp()),
    revokedAt: Nullable(Timestamp()),
  },
  { title: 'ApiKeySummary', additionalProperties: false },
);
export type ApiKeySummary = Static<typeof ApiKeySummarySchema>;

export const ListApiKeysResponseSchema = Success(
  Type.Object({ apiKeys: Type.Array(ApiKeySummarySchema) }, { additionalProperties: false }),
  'ListApiKeysResponse',
);
export type ListApiKeysResponse = Static<typeof ListApiKeysResponseSchema>;

/** Path parameters of the workspace-scoped admin routes. */
export const WorkspaceParamsSchema = Type.Object({ workspaceId: Id() }, { additionalProperties: false });
export const ApiKeyParamsSchema = Type.Object(
  { workspaceId: Id(), keyId: Id() },
  { additionalProperties: false },
);

/** `DELETE /api-keys/:keyId`: revoked now or before (idempotent). */
export const RevokeApiKeyResponseSchema = Success(
  Type.Object({ revoked: Type.Literal(true) }, { additionalProperties: false }),
  'RevokeApiKeyResponse',
);
export type RevokeApiKeyResponse = Static<typeof RevokeApiKeyResponseSchema>;
