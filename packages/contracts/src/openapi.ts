import { Type, type TObject, type TSchema } from '@sinclair/typebox';
import { ERROR_CODES, type ErrorCode } from './error-codes';
import {
  ListPhoneNumbersResponseSchema,
  ListWorkspaceMessagesQuerySchema,
  ListWorkspaceMessagesResponseSchema,
  MessageLogEntrySchema,
  SESSION_COOKIE_NAME,
  SessionResponseSchema,
  SignedOutResponseSchema,
} from './http/dashboard';
import {
  BroadcastSchema,
  CancelBroadcastResponseSchema,
  CreateBroadcastBodySchema,
  CreateBroadcastResponseSchema,
  GetBroadcastResponseSchema,
  ListBroadcastsQuerySchema,
  ListBroadcastsResponseSchema,
} from './http/broadcasts';
import {
  ApiKeyParamsSchema,
  ApiKeySummarySchema,
  CreateApiKeyRequestSchema,
  CreateApiKeyResponseSchema,
  ListApiKeysResponseSchema,
  LoginRequestSchema,
  LoginResponseSchema,
  RevokeApiKeyResponseSchema,
  WorkspaceParamsSchema,
} from './http/admin';
import { PARTNER_EVENT_TYPES, WEBHOOK_TEST_EVENT } from './events';
import { ErrorEnvelopeSchema, FieldErrorSchema } from './http/errors';
import { HealthResponseSchema, ReadinessResponseSchema } from './http/health';
import { TemplateSyncReportSchema, TemplateSyncResponseSchema } from './http/template-sync';
import {
  GetMessageResponseSchema,
  MessageIdParamsSchema,
  MessageViewSchema,
  SEND_MESSAGE_ACCEPTED_TEXT,
  SendMessageHeadersSchema,
  SendMessageResponseSchema,
} from './http/messages';
import {
  GetTemplateResponseSchema,
  ListTemplatesQuerySchema,
  ListTemplatesResponseSchema,
  TemplateSummarySchema,
} from './http/templates';
import { FliokSendResponseSchema } from './messages/fliok';
import {
  ContactSchema,
  GetContactResponseSchema,
  ListContactsQuerySchema,
  ListContactsResponseSchema,
  ListConversationMessagesResponseSchema,
  ListConversationsQuerySchema,
  ListConversationsResponseSchema,
  ListPageQuerySchema,
  MetaWebhookAckSchema,
  CreateContactBodySchema,
  UpdateContactBodySchema,
  DeleteContactResponseSchema,
  AccountResponseSchema,
} from './http/inbound';
import {
  CreateWebhookBodySchema,
  CreateWebhookResponseSchema,
  DeliveryAttemptResponseSchema,
  DeliveryAttemptSchema,
  DeliveryIdParamsSchema,
  ListDeliveriesQuerySchema,
  ListDeliveriesResponseSchema,
  ListWebhooksResponseSchema,
  RotateSecretResponseSchema,
  UpdateWebhookBodySchema,
  WebhookEndpointSchema,
  WebhookIdParamsSchema,
  WebhookResponseSchema,
} from './http/webhooks';
import { SEND_MESSAGE_EXAMPLES } from './messages/examples';
import { InteractiveContentSchema, MetaInteractiveSchema } from './messages/interactive';
import { SendMessageBodySchema } from './messages/send';
import { TemplateComponentSchema } from './messages/template';

/** The parts of an OpenAPI 3.1 document that callers and tests read; the rest is plain JSON. */
export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers: { url: string; description: string }[];
  tags: { name: string; description: string }[];
  security: Record<string, string[]>[];
  paths: Record<string, Record<string, OpenApiOperation>>;
  /** The events Flowgate posts to partners' endpoints (OpenAPI 3.1 `webhooks`, docs/contracts.md §10). */
  webhooks?: Record<string, Record<string, OpenApiOperation>>;
  components: {
    schemas: Record<string, unknown>;
    securitySchemes: Record<string, unknown>;
    parameters: Record<string, unknown>;
    headers: Record<string, unknown>;
    responses: Record<string, unknown>;
  };
}

export interface OpenApiOperation {
  operationId: string;
  summary: string;
  tags: string[];
  description?: string;
  /** `[]` for the routes that need no credentials; absent: the document's (partner) security. */
  security?: Record<string, string[]>[];
  parameters?: unknown[];
  requestBody?: {
    required: boolean;
    content: Record<
      string,
      { schema: unknown; examples?: Record<string, { summary: string; value: unknown }> }
    >;
  };
  responses: Record<string, unknown>;
}

/**
 * What `GET /api/v1/public/openapi.json` answers, as far as the route vouches for it: the document
 * itself is checked against the OpenAPI 3.1 schema by a test (openapi-document.test.ts).
 */
export const OpenApiDocumentSchema = Type.Object(
  {
    openapi: Type.Literal('3.1.0'),
    info: Type.Object({ title: Type.String(), version: Type.String(), description: Type.String() }),
    paths: Type.Record(Type.String(), Type.Record(Type.String(), Type.Unknown())),
    components: Type.Record(Type.String(), Type.Unknown()),
  },
  { title: 'OpenApiDocument', additionalProperties: true },
);

export const PARTNER_API_BASE_PATH = '/api/v1/public';
export const ADMIN_API_BASE_PATH = '/api/v1';

/** Plain JSON (TypeBox schemas carry symbol keys, which a document must not). */
const json = (schema: TSchema): unknown => JSON.parse(JSON.stringify(schema)) as unknown;
const ref = (kind: 'schemas' | 'parameters' | 'headers' | 'responses', name: string) => ({
  $ref: `#/components/${kind}/${name}`,
});

/** Path parameters, one per property of a contracts params schema (the same schema the route validates with). */
const pathParameters = (schema: TObject, descriptions: Record<string, string>): unknown[] =>
  Object.entries(schema.properties).map(([name, property]) => ({
    name,
    in: 'path',
    required: true,
    ...(descriptions[name] === undefined ? {} : { description: descriptions[name] }),
    schema: json(property),
  }));

/** Query parameters, one per property of a contracts query schema (the same schema the route validates with). */
const queryParameters = (schema: TObject): unknown[] =>
  Object.entries(schema.properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: (schema.required ?? []).includes(name),
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
    schema: json(property),
  }));

/** Header parameters, one per property of a contracts headers schema. */
const headerParameters = (schema: TObject): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(schema.properties).map(([name, property]) => [
      name.replace(/-/g, ''),
      {
        name,
        in: 'header',
        required: (schema.required ?? []).includes(name),
        ...(typeof property.description === 'string' ? { description: property.description } : {}),
        schema: json(property),
      },
    ]),
  );

/** Error responses: component name → status, the example code and a description. */
const ERROR_RESPONSES = {
  BadRequest: {
    status: '400',
    code: 'VALIDATION_FAILED',
    description: 'The body is not valid JSON or does not match the schema; `details` names each field.',
  },
  Unauthorized: {
    status: '401',
    code: 'UNAUTHORIZED',
    description: 'Credentials are missing, malformed, unknown, wrong or revoked.',
  },
  InvalidCredentials: {
    status: '401',
    code: 'INVALID_CREDENTIALS',
    description: 'Wrong email or password.',
  },
  Forbidden: {
    status: '403',
    code: 'FORBIDDEN',
    description: 'Logged in, but only owners and admins of the workspace manage its keys.',
  },
  NotFound: {
    status: '404',
    code: 'NOT_FOUND',
    description: 'No such route or resource in this workspace.',
  },
  Conflict: {
    status: '409',
    code: 'CONFLICT',
    description:
      'Conflicts with the current state (e.g. a request with the same Idempotency-Key is still in progress).',
  },
  PayloadTooLarge: {
    status: '413',
    code: 'PAYLOAD_TOO_LARGE',
    description: 'The body exceeds the size limit.',
  },
  UnsupportedMediaType: {
    status: '415',
    code: 'UNSUPPORTED_MEDIA_TYPE',
    description: 'The body is not `application/json`.',
  },
  Unprocessable: {
    status: '422',
    code: 'TEMPLATE_PARAMS_MISMATCH',
    description:
      'Well formed but cannot be carried out: unknown contact or sending number, no default number, template not found, not approved or given the wrong variables, Idempotency-Key reused with another body.',
  },
  TooManyRequests: {
    status: '429',
    code: 'RATE_LIMITED',
    description: 'Too many requests or failed authentication attempts; retry after `Retry-After` seconds.',
  },
  InternalError: {
    status: '500',
    code: 'INTERNAL_ERROR',
    description:
      'An unexpected error (a bug, never bad input); the body carries no detail of it. Quote `requestId` when reporting it.',
  },
  ServiceUnavailable: {
    status: '503',
    code: 'SERVICE_UNAVAILABLE',
    description: 'A dependency is unreachable; retry later.',
  },
} as const satisfies Record<string, { status: string; code: ErrorCode; description: string }>;

type ErrorResponseName = keyof typeof ERROR_RESPONSES;

const errorResponses = (...names: ErrorResponseName[]): Record<string, unknown> =>
  Object.fromEntries(names.map((n) => [ERROR_RESPONSES[n].status, ref('responses', n)]));

const REQUEST_ID_HEADER = { 'X-Request-Id': ref('headers', 'X-Request-Id') };

function errorResponseComponent(name: ErrorResponseName): unknown {
  const { status, code, description } = ERROR_RESPONSES[name];
  const details =
    status === '400' ? { details: [{ path: '/content', message: 'must be at most 4096 characters' }] } : {};
  return {
    description,
    headers:
      status === '429' || status === '503'
        ? { ...REQUEST_ID_HEADER, 'Retry-After': ref('headers', 'Retry-After') }
        : REQUEST_ID_HEADER,
    content: {
      'application/json': {
        schema: ref('schemas', 'ErrorEnvelope'),
        example: {
          success: false,
          error: {
            code,
            message: ERROR_CODES[code].meaning,
            details: [],
            ...details,
            requestId: '5f0c6a3e-8d9b-4b1e-9a57-3f1f2d0c9b11',
          },
        },
      },
    },
  };
}

/** A JSON success response of `schemaName`, with X-Request-Id (every response carries it). */
const jsonResponse = (description: string, schemaName: string, extra: Record<string, unknown> = {}) => ({
  description,
  headers: REQUEST_ID_HEADER,
  content: { 'application/json': { schema: ref('schemas', schemaName), ...extra } },
});

const jsonBody = (schemaName: string) => ({
  required: true,
  content: { 'application/json': { schema: ref('schemas', schemaName) } },
});

const NO_CREDENTIALS: Record<string, string[]>[] = [];
/** The admin JWT, or the dashboard's cookie session (ADR 0045). */
const ADMIN_SESSION: Record<string, string[]>[] = [{ adminBearer: [] }, { dashboardCookie: [] }];

const DESCRIPTION = `Send WhatsApp messages from your own backend with a workspace API key, and manage those keys.

Every path is absolute (the server URL is the deployment host). Partner routes live under \`${PARTNER_API_BASE_PATH}\`, admin routes under \`${ADMIN_API_BASE_PATH}/auth\` and \`${ADMIN_API_BASE_PATH}/workspaces\`, probes at \`/healthz\` and \`/readyz\`.

**Partner authentication**: every partner request carries the key pair in one of four forms: headers \`apiKey\` + \`apiSecret\`; headers \`X-API-Key\` + \`X-API-Secret\`; \`Authorization: Basic base64(apiKey:apiSecret)\` (\`curl -u pk_…:secret\`); or \`Authorization: Bearer <apiKey>.<apiSecret>\`. All credential failures get the same 401.

**Admin authentication**: \`POST ${ADMIN_API_BASE_PATH}/auth/login\` with email and password returns a JWT; send it as \`Authorization: Bearer <token>\`. Only owners and admins of a workspace manage its keys.

**Errors**: every error is \`{"success": false, "error": {"code", "message", "details", "requestId"}}\`; \`details\` lists \`{path, message}\` per offending field, \`path\` being a JSON pointer into the body (or a header's name). Every response carries \`X-Request-Id\`.`;

/** Partner paths (docs/contracts.md §2), relative to PARTNER_API_BASE_PATH. */
function partnerPaths(): Record<string, Record<string, OpenApiOperation>> {
  const examples = Object.fromEntries(
    Object.entries(SEND_MESSAGE_EXAMPLES).map(([name, ex]) => [
      name,
      { summary: ex.summary, value: ex.value },
    ]),
  );
  return {
    '/messages/send': {
      post: {
        operationId: 'sendMessage',
        tags: ['messages'],
        summary: 'Send a message',
        description:
          'Validates the message (every WhatsApp limit is checked here), stores it durably and answers 201; delivery is asynchronous, follow it with GET /messages/{id}. ' +
          'Recipient: exactly one of `phone` or `contactId`. Templates are checked against the workspace’s approved copy.',
        parameters: [ref('parameters', 'IdempotencyKey')],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: ref('schemas', 'SendMessageBody'), examples } },
        },
        responses: {
          '201': {
            description:
              'Accepted: the message is stored and will be sent. A repeated Idempotency-Key with the same body replays this response.',
            headers: {
              ...REQUEST_ID_HEADER,
              Location: ref('headers', 'Location'),
              'Idempotent-Replayed': ref('headers', 'Idempotent-Replayed'),
            },
            content: {
              'application/json': {
                schema: {
                  oneOf: [ref('schemas', 'SendMessageResponse'), ref('schemas', 'FliokSendResponse')],
                },
                example: {
                  success: true,
                  data: {
                    id: '0b9e5d7c-3f4a-4c2e-9a1b-7d6e5f4a3b2c',
                    status: 'ACCEPTED',
                    message: SEND_MESSAGE_ACCEPTED_TEXT,
                  },
                },
              },
            },
          },
          ...errorResponses(
            'BadRequest',
            'Unauthorized',
            'NotFound',
            'Conflict',
            'PayloadTooLarge',
            'UnsupportedMediaType',
            'Unprocessable',
            'TooManyRequests',
            'InternalError',
            'ServiceUnavailable',
          ),
        },
      },
    },
    ...fliokPaths(),
    '/messages/{id}': {
      get: {
        operationId: 'getMessage',
        tags: ['messages'],
        summary: 'Get a message and its status history',
        description:
          'An id that is not a UUID, or a message of another workspace, is 404 like an id that exists nowhere.',
        parameters: pathParameters(MessageIdParamsSchema, { id: 'The id returned by POST /messages/send.' }),
        responses: {
          '200': jsonResponse('The message, its current status and its history.', 'GetMessageResponse'),
          ...errorResponses(
            'Unauthorized',
            'NotFound',
            'TooManyRequests',
            'InternalError',
            'ServiceUnavailable',
          ),
        },
      },
    },
    '/templates': {
      get: {
        operationId: 'listTemplates',
        tags: ['templates'],
        summary: "List the workspace's templates (approved unless `status` says otherwise)",
        parameters: queryParameters(ListTemplatesQuerySchema),
        responses: {
          '200': jsonResponse(
            'Approved templates, each with the variables it expects.',
            'ListTemplatesResponse',
          ),
          ...errorResponses('Unauthorized', 'TooManyRequests', 'InternalError', 'ServiceUnavailable'),
        },
      },
    },
    '/contacts': {
      get: {
        operationId: 'listContacts',
        tags: ['contacts'],
        summary: "List the workspace's contacts (newest first)",
        description:
          'Contacts are created when a customer writes (Meta webhooks) and by the contacts routes. `windowOpenUntil` is when the 24 h customer-service window closes.',
        parameters: queryParameters(ListContactsQuerySchema),
        responses: {
          '200': jsonResponse('One page of contacts.', 'ListContactsResponse'),
          ...errorResponses(
            'BadRequest',
            'Unauthorized',
            'TooManyRequests',
            'InternalError',
            'ServiceUnavailable',
          ),
        },
      },
      post: {
        operationId: 'createContact',
        tags: ['contacts'],
        summary: 'Create a contact (409 CONTACT_EXISTS with the existing id when its phone is taken)',
        requestBody: jsonBody('CreateContactBody'),
        responses: {
          '201': jsonResponse('The contact.', 'GetContactResponse'),
          ...errorResponses(
            'BadRequest',
            'Unauthorized',
            'Conflict',
            'PayloadTooLarge',
            'UnsupportedMediaType',
            'TooManyRequests',
            'InternalError',
            'ServiceUnavailable',
          ),
        },
      },
    },
    '/contacts/{id}': {
      get: {
        operationId: 'getContact',
        tags: ['contacts'],
        summary: 'Get a contact',
        parameters: pathParameters(MessageIdParamsSchema, { id: 'The contact id.' }),
        responses: {
          '200': jsonResponse('The contact.', 'GetContactResponse'),
          ...errorResponses(
            'Unauthorized',
            'NotFound',
            'TooManyRequests',
            'InternalError',
            'ServiceUnavailable',
          ),
        },
      },
      patch: {
        operationId: 'updateContact',
        tags: ['contacts'],
        summary: 'Change a contact: fields replace, `attributes` merge (null removes a key)',
        parameters: pathParameters(MessageIdParamsSchema, { id: 'The contact id.' }),
        requestBody: jsonBody('UpdateContactBody'),
        responses: {
          '200': jsonResponse('The contact.', 'GetContactResponse'),
          ...errorResponses(
            'BadRequest',
            'Unauthorized',
            'NotFound',
            'PayloadTooLarge',
            'UnsupportedMediaType',
            'TooManyRequests',
            'InternalError',
            'ServiceUnavailable',
          ),
        },
      },
      delete: {
        operationId: 'deleteContact',
        tags: ['contacts'],
        summary: 'Delete a contact',
        parameters: pathParameters(MessageIdParamsSchema, { id: 'The contact id.' }),
        responses: {
          '200': jsonResponse('Deleted.', 'DeleteContactResponse'),
          ...errorResponses(
            'Unauthorized',
            'NotFound',
            'TooManyRequests',
            'InternalError',
            'ServiceUnavailable',
          ),
        },
      },
    },
    '/broadcasts': {
      get: {
        operationId: 'listBroadcasts',
        tags: ['broadcasts'],
        summary: "List the workspace's broadcasts with their counts (newest first)",
        parameters: queryParameters(ListBroadcastsQuerySchema),
        responses: {
          '200': jsonResponse('One page of broadcasts.', 'ListBroadcastsResponse'),
          ...errorResponses(
            'BadRequest',
            'Unauthorized',
            'TooManyRequests',
            'InternalError',
            'ServiceUnavailable',
          ),
        },
      },
      post: {
        operationId: 'createBroadcast',
        tags: ['broadcasts'],
        summary: 'Send one template to up to 100,000 recipients (or every contact with one of some tags)',
        description:
          "Every recipient is checked against the template now; any invalid one makes it 422 BROADCAST_RECIPIENTS_INVALID naming the first 100 by index, and nothing is stored. Duplicates (same digits) are sent once; opted-out contacts are skipped. The body limit of this route is 32 MiB. Messages go out at the number's pace, behind its single sends; `broadcast.completed` fires once every recipient has an outcome.",
        requestBody: jsonBody('CreateBroadcastBody'),
        responses: {
          '201': jsonResponse('Stored: every recipient will get an outcome.', 'CreateBroadcastResponse'),
          ...errorResponses(
            'BadRequest',
            'Unauthorized',
            'PayloadTooLarge',
            'UnsupportedMediaType',
            'Unprocessable',
            'TooManyRequests',
            'InternalError',
            'ServiceUnavailable',
          ),
        },
      },
    },
    '/broadcasts/{id}': {
      get: {
        operationId: 'getBroadcast',
        tags: ['broadcasts'],
        summary: 'Get a broadcast with its counts',
        parameters: pathParameters(MessageIdParamsSchema, { id: 'The broadcast id.' }),
        responses: {
          '200': jsonResponse('The broadcast.', 'GetBroadcastResponse'),
          ...errorResponses(
            'Unauthorized',
            'NotFound',
            'TooManyRequests',
            'InternalError',
            'ServiceUnavailable',
          ),
        },
      },
    },
    '/broadcasts/{id}/cancel': {
      post: {
        operationId: 'cancelBroadcast',
        tags: ['broadcasts'],
        summary: 'Cancel a broadcast: recipients not yet handed to the provider are never sent',
        parameters: pathParameters(MessageIdParamsSchema, { id: 'The broadcast id.' }),
        responses: {
          '200': jsonResponse('The broadcast, CANCELLED.', 'CancelBroadcastResponse'),
          ...errorResponses(
            'Unauthorized',
            'NotFound',
            'Conflict',
            'TooManyRequests',
            'InternalError',
            'ServiceUnavailable',
          ),
        },
      },
    },
    '/account': {
      get: {
        operationId: 'getAccount',
        tags: ['account'],
        summary:
          'The workspace, its numbers, this month’s usage (from Meta’s pricing data) and its rate limit',
        responses: {
          '200': jsonResponse('The account.', 'AccountResponse'),
          ...errorResponses('Unauthorized', 'TooManyRequests', 'InternalError', 'ServiceUnavailable'),
        },
      },
    },
    '/conversations': {
      get: {
        operationId: 'listConversations',
        tags: ['contacts'],
        summary: 'List conversations (one per sending number and contact), by last activity',
        parameters: queryParameters(ListConversationsQuerySchema),
        responses: {
          '200': jsonResponse('One page of conversations.', 'ListConversationsResponse'),
          ...errorResponses(
            'BadRequest',
            'Unauthorized',
            'TooManyRequests',
            'InternalError',
            'ServiceUnavailable',
          ),
        },
      },
    },
    '/conversations/{id}/messages': {
      get: {
        operationId: 'listConversationMessages',
        tags: ['contacts'],
        summary: "A conversation's messages, both directions, newest first",
        parameters: [
          ...pathParameters(MessageIdParamsSchema, { id: 'The conversation id.' }),
          ...queryParameters(ListPageQuerySchema),
        ],
        responses: {
          '200': jsonResponse('One page of messages.', 'ListConversationMessagesResponse'),
          ...errorResponses(
            'BadRequest',
            'Unauthorized',
            'NotFound',
            'TooManyRequests',
            'InternalError',
            'ServiceUnavailable',
          ),
        },
      },
    },
    '/webhooks': {
      get: {
        operationId: 'listWebhooks',
        tags: ['webhooks'],
        summary: "List the workspace's webhook endpoints (never a secret)",
        responses: {
          '200': jsonResponse('The endpoints.', 'ListWebhooksResponse'),
          ...errorResponses('Unauthorized', 'TooManyRequests', 'InternalError', 'ServiceUnavailable'),
        },
      },
      post: {
        operationId: 'createWebhook',
        tags: ['webhooks'],
        summary: 'Register an endpoint; its secret is shown only in this answer',
        description:
          'The URL must be https and resolve to a public address (`WEBHOOK_ALLOW_PRIVATE_NETWORKS` allows http and local addresses for development). An unknown event name is 400; `"*"` subscribes to all.',
        requestBody: jsonBody('CreateWebhookBody'),
        responses: {
          '201': jsonResponse('The endpoint, with its `secret`.', 'CreateWebhookResponse'),
          ...errorResponses(
            'BadRequest',
            'Unauthorized',
            'PayloadTooLarge',
            'UnsupportedMediaType',
            'TooManyRequests',
            'InternalError',
            'ServiceUnavailable',
          ),
        },
      },
    },
    '/webhooks/{id}': {
      patch: {
        operationId: 'updateWebhook',
        tags: ['webhooks'],
        summary: 'Change an endpoint, or re-enable a disabled one (`status: "active"`)',
        parameters: pathParameters(WebhookIdParamsSchema, { id: 'The endpoint id.' }),
        requestBody: jsonBody('UpdateWebhookBody'),
        responses: {
          '200': jsonResponse('The endpoint.', 'WebhookResponse'),
          ...errorResponses(
            'BadRequest',
            'Unauthorized',
            'NotFound',
            'PayloadTooLarge',
            'UnsupportedMediaType',
            'TooManyRequests',
            'InternalError',
            'ServiceUnavailable',
          ),
        },
      },
      delete: {
        operationId: 'deleteWebhook',
        tags: ['webhooks'],
        summary: 'Remove an endpoint: nothing more is delivered to it (idempotent)',
        parameters: pathParameters(WebhookIdParamsSchema, { id: 'The endpoint id.' }),
        responses: {
          '200': jsonResponse('The removed endpoint.', 'WebhookResponse'),
          ...errorResponses(
            'Unauthorized',
            'NotFound',
            'TooManyRequests',
            'InternalError',
            'ServiceUnavailable',
          ),
        },
      },
    },
    '/webhooks/{id}/deliveries': {
      get: {
        operationId: 'listWebhookDeliveries',
        tags: ['webhooks'],
        summary: 'Every delivery attempt, newest first',
        parameters: [
          ...pathParameters(WebhookIdParamsSchema, { id: 'The endpoint id.' }),
          ...queryParameters(ListDeliveriesQuerySchema),
        ],
        responses: {
          '200': jsonResponse('One page of attempts.', 'ListDeliveriesResponse'),
          ...errorResponses(
            'BadRequest',
            'Unauthorized',
            'NotFound',
            'TooManyRequests',
            'InternalError',
            'ServiceUnavailable',
          ),
        },
      },
    },
    '/webhooks/{id}/deliveries/{deliveryId}/redeliver': {
      post: {
        operationId: 'redeliverWebhook',
        tags: ['webhooks'],
        summary: "Send that attempt's event again now (same webhook-id)",
        parameters: pathParameters(DeliveryIdParamsSchema, {
          id: 'The endpoint id.',
          deliveryId: 'An attempt of this endpoint.',
        }),
        responses: {
          '200': jsonResponse('The attempt whose event is sent again.', 'DeliveryAttemptResponse'),
          ...errorResponses(
            'Unauthorized',
            'NotFound',
            'TooManyRequests',
            'InternalError',
            'ServiceUnavailable',
          ),
        },
      },
    },
    '/webhooks/{id}/test': {
      post: {
        operationId: 'testWebhook',
        tags: ['webhooks'],
        summary: 'Deliver a `webhook.test` event now',
        parameters: pathParameters(WebhookIdParamsSchema, { id: 'The endpoint id.' }),
        responses: {
          '200': jsonResponse('The attempt (also in the deliveries log).', 'DeliveryAttemptResponse'),
          ...errorResponses(
            'Unauthorized',
            'NotFound',
            'TooManyRequests',
            'InternalError',
            'ServiceUnavailable',
          ),
        },
      },
    },
    '/webhooks/{id}/rotate-secret': {
      post: {
        operationId: 'rotateWebhookSecret',
        tags: ['webhooks'],
        summary: 'A new secret; the old one keeps signing alongside for 24 h',
        parameters: pathParameters(WebhookIdParamsSchema, { id: 'The endpoint id.' }),
        responses: {
          '200': jsonResponse('The endpoint with its new `secret`.', 'RotateSecretResponse'),
          ...errorResponses(
            'Unauthorized',
            'NotFound',
            'TooManyRequests',
            'InternalError',
            'ServiceUnavailable',
          ),
        },
      },
    },
    '/templates/{id}': {
      get: {
        operationId: 'getTemplate',
        tags: ['templates'],
        summary: 'One template of the workspace, whatever its status',
        parameters: pathParameters(MessageIdParamsSchema, { id: 'The template id.' }),
        responses: {
          '200': jsonResponse('The template.', 'GetTemplateResponse'),
          ...errorResponses(
            'Unauthorized',
            'NotFound',
            'TooManyRequests',
            'InternalError',
            'ServiceUnavailable',
          ),
        },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'getOpenApiDocument',
        tags: ['meta'],
        summary: 'This document',
        security: NO_CREDENTIALS,
        responses: {
          '200': {
            description: 'The OpenAPI 3.1 description of every route.',
            headers: REQUEST_ID_HEADER,
            content: { 'application/json': { schema: { type: 'object' } } },
          },
          ...errorResponses('InternalError'),
        },
      },
    },
  };
}

const FLIOK_EXAMPLES: Record<string, { summary: string; body: Record<string, unknown> }> = {
  'send-media': {
    summary: 'Send an image, video, audio, document or sticker',
    body: {
      to: '+919876543210',
      type: 'document',
      mediaUrl: 'https://example.com/invoice.pdf',
      caption: 'Your invoice',
    },
  },
  'send-template': {
    summary: 'Send an approved template (`components` as the Cloud API takes them, or `templateVariables`)',
    body: {
      to: '+919876543210',
      templateName: 'order_confirmation',
      language: 'en_US',
      components: [
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Rahul' },
            { type: 'text', text: 'ORD-12345' },
            { type: 'text', text: 'Friday' },
          ],
        },
      ],
    },
  },
  'send-buttons': {
    summary: 'Send up to three reply buttons',
    body: {
      to: '+919876543210',
      body: 'Confirm your slot?',
      buttons: [
        { id: 'yes', title: 'Yes' },
        { id: 'no', title: 'No' },
      ],
    },
  },
  'send-location': {
    summary: 'Send a location pin',
    body: { to: '+919876543210', latitude: 19.076, longitude: 72.8777, name: 'Store', address: 'Mumbai' },
  },
};

/** Fliok-compatible sends (docs/contracts.md §12): the same use case as /messages/send. */
function fliokPaths(): Record<string, Record<string, OpenApiOperation>> {
  return Object.fromEntries(
    Object.entries(FLIOK_EXAMPLES).map(([route, ex]) => [
      `/messages/${route}`,
      {
        post: {
          operationId: `fliok${route.replace(/(^|-)([a-z])/g, (_m, _d: string, c: string) => c.toUpperCase())}`,
          tags: ['messages'],
          summary: `${ex.summary} (Fliok-compatible)`,
          description:
            'Fliok’s body, rewritten into a `POST /messages/send` body and checked, stored and sent exactly like one (`to` may carry `+`, spaces and dashes).',
          parameters: [ref('parameters', 'IdempotencyKey')],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { type: 'object' }, example: ex.body } },
          },
          responses: {
            '201': {
              description: 'Accepted.',
              headers: { ...REQUEST_ID_HEADER, Location: ref('headers', 'Location') },
              content: { 'application/json': { schema: ref('schemas', 'FliokSendResponse') } },
            },
            ...errorResponses(
              'BadRequest',
              'Unauthorized',
              'PayloadTooLarge',
              'UnsupportedMediaType',
              'Unprocessable',
              'TooManyRequests',
              'InternalError',
              'ServiceUnavailable',
            ),
          },
        },
      },
    ]),
  );
}

/** Admin paths (docs/contracts.md §3), relative to ADMIN_API_BASE_PATH. */
function adminPaths(): Record<string, Record<string, OpenApiOperation>> {
  const workspaceParameters = pathParameters(WorkspaceParamsSchema, {
    workspaceId: 'A workspace the logged-in user is an owner or admin of.',
  });
  const adminErrors = errorResponses(
    'Unauthorized',
    'Forbidden',
    'NotFound',
    'InternalError',
    'ServiceUnavailable',
  );
  return {
    '/auth/login': {
      post: {
        operationId: 'login',
        tags: ['admin'],
        summary: 'Log in with email and password',
        description:
          'Returns a JWT for the admin routes and the workspaces the user belongs to, with the role in each.',
        security: NO_CREDENTIALS,
        requestBody: jsonBody('LoginRequest'),
        responses: {
          '200': jsonResponse('Logged in.', 'LoginResponse'),
          ...errorResponses(
            'BadRequest',
            'InvalidCredentials',
            'PayloadTooLarge',
            'UnsupportedMediaType',
            'TooManyRequests',
            'InternalError',
            'ServiceUnavailable',
          ),
        },
      },
    },
    '/workspaces/{workspaceId}/api-keys': {
      get: {
        operationId: 'listApiKeys',
        tags: ['admin'],
        summary: "List the workspace's API keys",
        description: 'Never a secret or a hash. Revoked keys are listed with `revokedAt`.',
        security: ADMIN_SESSION,
        parameters: workspaceParameters,
        responses: { '200': jsonResponse('The keys.', 'ListApiKeysResponse'), ...adminErrors },
      },
      post: {
        operationId: 'createApiKey',
        tags: ['admin'],
        summary: 'Create an API key',
        description: 'The answer holds `apiSecret`: the only time it is shown.',
        security: ADMIN_SESSION,
        parameters: workspaceParameters,
        requestBody: jsonBody('CreateApiKeyRequest'),
        responses: {
          '201': jsonResponse('Created.', 'CreateApiKeyResponse'),
          ...errorResponses('BadRequest', 'PayloadTooLarge', 'UnsupportedMediaType'),
          ...adminErrors,
        },
      },
    },
    '/workspaces/{workspaceId}/api-keys/{keyId}': {
      delete: {
        operationId: 'revokeApiKey',
        tags: ['admin'],
        summary: 'Revoke an API key',
        description: 'At once, on every running instance; revoking a revoked key answers the same.',
        security: ADMIN_SESSION,
        parameters: pathParameters(ApiKeyParamsSchema, {
          workspaceId: 'A workspace the logged-in user is an owner or admin of.',
          keyId: 'The `id` of the key (not its `apiKey`).',
        }),
        responses: { '200': jsonResponse('Revoked.', 'RevokeApiKeyResponse'), ...adminErrors },
      },
    },
    '/workspaces/{workspaceId}/templates/sync': {
      post: {
        operationId: 'syncTemplates',
        tags: ['admin'],
        summary: "Sync the workspace's templates from Meta",
        description:
          "Reads `GET /{waba-id}/message_templates` (every page) for each WhatsApp Business Account of the workspace's numbers, creates or updates templates by name and language, and marks those Meta no longer lists DELETED (sends refuse them), except templates a SCHEDULED or SENDING broadcast uses: those are kept and listed in `kept`. No body. Meta's rate limit is 429, its outage 503, a refused token 422 `PROVIDER_REQUEST_FAILED`. Also `pnpm cli template:sync --workspace W --json`.",
        security: ADMIN_SESSION,
        parameters: workspaceParameters,
        responses: {
          '200': jsonResponse('The sync report.', 'TemplateSyncResponse'),
          ...errorResponses('Unprocessable', 'TooManyRequests'),
          ...adminErrors,
        },
      },
    },
  };
}

/** Meta's webhook intake (docs/contracts.md §9), relative to ADMIN_API_BASE_PATH. */
function metaWebhookPaths(): Record<string, Record<string, OpenApiOperation>> {
  return {
    '/webhooks/meta': {
      get: {
        operationId: 'metaWebhookHandshake',
        tags: ['meta-webhooks'],
        summary: "Meta's verification handshake",
        description:
          'With `hub.mode=subscribe` and `hub.verify_token` equal to META_WEBHOOK_VERIFY_TOKEN: 200 with `hub.challenge` as the text body; otherwise 403.',
        security: NO_CREDENTIALS,
        parameters: ['hub.mode', 'hub.verify_token', 'hub.challenge'].map((name) => ({
          name,
          in: 'query',
          required: false,
          schema: { type: 'string' },
        })),
        responses: {
          '200': {
            description: 'The challenge, as sent.',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
          ...errorResponses('Forbidden', 'InternalError', 'ServiceUnavailable'),
        },
      },
      post: {
        operationId: 'metaWebhook',
        tags: ['meta-webhooks'],
        summary: "Meta's webhooks: statuses, inbound messages, template reviews, payments",
        description:
          '`X-Hub-Signature-256: sha256=<hex>` (HMAC-SHA256 of the raw body with META_APP_SECRET) is checked before anything is parsed; missing or wrong: 401, nothing stored. A signed JSON body is stored and answered 200 (also when Flowgate cannot use it: stored, counted, skipped); the work happens after the answer. 503 names a missing setting.',
        security: NO_CREDENTIALS,
        parameters: [
          {
            name: 'X-Hub-Signature-256',
            in: 'header',
            required: true,
            schema: { type: 'string', pattern: '^sha256=[0-9a-f]{64}$' },
          },
        ],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
        responses: {
          '200': jsonResponse('Stored; it will be processed.', 'MetaWebhookAck'),
          ...errorResponses(
            'BadRequest',
            'Unauthorized',
            'PayloadTooLarge',
            'InternalError',
            'ServiceUnavailable',
          ),
        },
      },
    },
  };
}

/** Probes, at the root. */
function healthPaths(): Record<string, Record<string, OpenApiOperation>> {
  return {
    '/healthz': {
      get: {
        operationId: 'health',
        tags: ['health'],
        summary: 'Liveness: the process is up',
        security: NO_CREDENTIALS,
        responses: { '200': jsonResponse('Up.', 'HealthResponse'), ...errorResponses('InternalError') },
      },
    },
    '/readyz': {
      get: {
        operationId: 'readiness',
        tags: ['health'],
        summary: 'Readiness: every dependency answers',
        security: NO_CREDENTIALS,
        responses: {
          '200': jsonResponse('Ready.', 'ReadinessResponse'),
          '503': jsonResponse('Not ready: `checks` names the dependency that is down.', 'ReadinessResponse'),
          ...errorResponses('InternalError'),
        },
      },
    },
    '/metrics': {
      get: {
        operationId: 'metrics',
        tags: ['health'],
        summary: 'Prometheus metrics (docs/contracts.md §14)',
        description:
          'Prometheus text exposition. When `METRICS_TOKEN` is set, send `Authorization: Bearer <METRICS_TOKEN>`; otherwise it is open.',
        security: NO_CREDENTIALS,
        responses: {
          '200': {
            description: 'The metrics, in Prometheus text format.',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
          ...errorResponses('Unauthorized', 'InternalError'),
        },
      },
    },
    '/docs': {
      get: {
        operationId: 'docs',
        tags: ['meta'],
        summary: 'This reference, as an interactive page (rendered from openapi.json, served locally)',
        security: NO_CREDENTIALS,
        responses: {
          '200': { description: 'The HTML page.', content: { 'text/html': { schema: { type: 'string' } } } },
          ...errorResponses('InternalError'),
        },
      },
    },
  };
}

/** The partner operations the dashboard reaches under a workspace (same routers, same use cases). */
const DASHBOARD_FROM_PARTNER: Record<string, readonly string[]> = {
  '/webhooks': ['get', 'post'],
  '/webhooks/{id}': ['patch', 'delete'],
  '/webhooks/{id}/deliveries': ['get'],
  '/webhooks/{id}/deliveries/{deliveryId}/redeliver': ['post'],
  '/webhooks/{id}/test': ['post'],
  '/webhooks/{id}/rotate-secret': ['post'],
  '/contacts': ['get', 'post'],
  '/contacts/{id}': ['get', 'patch', 'delete'],
  '/conversations': ['get'],
  '/conversations/{id}/messages': ['get'],
  '/messages/{id}': ['get'],
  '/templates': ['get'],
  '/broadcasts': ['get'],
  '/broadcasts/{id}': ['get'],
  '/broadcasts/{id}/cancel': ['post'],
};

/**
 * The dashboard (docs/contracts.md §13, ADR 0045): its cookie session, and the workspace routes it
 * reads, relative to ADMIN_API_BASE_PATH. Members read; owners and admins change (403 otherwise).
 * A call made with the cookie that changes anything carries `X-CSRF-Token`.
 */
function dashboardPaths(
  partner: Record<string, Record<string, OpenApiOperation>>,
): Record<string, Record<string, OpenApiOperation>> {
  const workspaceParameters = pathParameters(WorkspaceParamsSchema, {
    workspaceId: 'A workspace the signed-in user is a member of (changes: owner or admin).',
  });
  const adminErrors = errorResponses(
    'Unauthorized',
    'Forbidden',
    'NotFound',
    'InternalError',
    'ServiceUnavailable',
  );
  const csrf =
    'With the session cookie, a call that changes anything sends `X-CSRF-Token` (the `csrfToken` of `GET /api/v1/auth/me`): 403 without it.';
  const fromPartner: Record<string, Record<string, OpenApiOperation>> = {};
  for (const [path, methods] of Object.entries(DASHBOARD_FROM_PARTNER)) {
    for (const method of methods) {
      const op = partner[path]?.[method];
      if (op === undefined) throw new Error(`no partner operation ${method} ${path}`);
      (fromPartner[`/workspaces/{workspaceId}${path}`] ??= {})[method] = {
        ...op,
        operationId: `workspace${op.operationId.charAt(0).toUpperCase()}${op.operationId.slice(1)}`,
        tags: ['admin'],
        summary: `${op.summary} (dashboard)`,
        description:
          `The partner operation \`${op.operationId}\` for a signed-in member${method === 'get' ? '' : ' (owner or admin)'}.` +
          (path === '/templates' ? ' Every status unless `status` is given.' : '') +
          (method === 'get' ? '' : ` ${csrf}`),
        security: ADMIN_SESSION,
        parameters: [...workspaceParameters, ...(op.parameters ?? [])],
        responses: { ...op.responses, ...adminErrors },
      };
    }
  }
  const sessionErrors = errorResponses('InternalError', 'ServiceUnavailable');
  return {
    '/auth/session': {
      post: {
        operationId: 'createSession',
        tags: ['admin'],
        summary: 'Sign in to the dashboard (a cookie session)',
        description: `The login of \`POST /auth/login\` (same throttle), answered with an httpOnly, SameSite=Strict cookie \`${SESSION_COOKIE_NAME}\` (Secure outside development) for 8 hours, and the CSRF token to send as \`X-CSRF-Token\` on changes.`,
        security: NO_CREDENTIALS,
        requestBody: jsonBody('LoginRequest'),
        responses: {
          '200': jsonResponse('Signed in; the cookie is set.', 'SessionResponse'),
          ...errorResponses(
            'BadRequest',
            'InvalidCredentials',
            'PayloadTooLarge',
            'UnsupportedMediaType',
            'TooManyRequests',
          ),
          ...sessionErrors,
        },
      },
      delete: {
        operationId: 'deleteSession',
        tags: ['admin'],
        summary: 'Sign out of the dashboard (clears the cookie)',
        description: csrf,
        security: [{ dashboardCookie: [] }],
        responses: {
          '200': jsonResponse('Signed out.', 'SignedOutResponse'),
          ...errorResponses('Forbidden'),
          ...sessionErrors,
        },
      },
    },
    '/auth/me': {
      get: {
        operationId: 'getSession',
        tags: ['admin'],
        summary: 'Who is signed in: user, workspaces with roles, the CSRF token',
        security: [{ dashboardCookie: [] }],
        responses: {
          '200': jsonResponse('The session.', 'SessionResponse'),
          ...errorResponses('Unauthorized'),
          ...sessionErrors,
        },
      },
    },
    ...fromPartner,
    '/workspaces/{workspaceId}/messages': {
      get: {
        operationId: 'listWorkspaceMessages',
        tags: ['admin'],
        summary: 'Sends and inbound messages, newest first (dashboard)',
        description:
          '`status` keeps outbound messages in that status; `direction` keeps one side. Cursor pagination as every list.',
        security: ADMIN_SESSION,
        parameters: [...workspaceParameters, ...queryParameters(ListWorkspaceMessagesQuerySchema)],
        responses: {
          '200': jsonResponse('One page of the log.', 'ListWorkspaceMessagesResponse'),
          ...errorResponses('BadRequest'),
          ...adminErrors,
        },
      },
    },
    '/workspaces/{workspaceId}/phone-numbers': {
      get: {
        operationId: 'listWorkspacePhoneNumbers',
        tags: ['admin'],
        summary: "The workspace's sending numbers and whether Meta's webhook is live for each (dashboard)",
        security: ADMIN_SESSION,
        parameters: workspaceParameters,
        responses: { '200': jsonResponse('The numbers.', 'ListPhoneNumbersResponse'), ...adminErrors },
      },
    },
  };
}

/** The dashboard app itself (static files). */
function dashboardAppPaths(): Record<string, Record<string, OpenApiOperation>> {
  return {
    '/': {
      get: {
        operationId: 'home',
        tags: ['meta'],
        summary: 'Redirects to the dashboard (`/dashboard/`)',
        security: NO_CREDENTIALS,
        responses: { '302': { description: 'To `/dashboard/`.' }, ...errorResponses('InternalError') },
      },
    },
    '/dashboard/': {
      get: {
        operationId: 'dashboard',
        tags: ['meta'],
        summary: 'The dashboard for workspace members (a web app; sign in with email and password)',
        description:
          'Static files: `index.html` revalidated on every load, `/dashboard/assets/*` cached for a year (hashed names). 503 when the app is not built (`pnpm build`).',
        security: NO_CREDENTIALS,
        responses: {
          '200': { description: 'The HTML page.', content: { 'text/html': { schema: { type: 'string' } } } },
          '503': { description: 'Not built.', content: { 'text/plain': { schema: { type: 'string' } } } },
          ...errorResponses('InternalError'),
        },
      },
    },
  };
}

const under = (
  base: string,
  paths: Record<string, Record<string, OpenApiOperation>>,
): Record<string, Record<string, OpenApiOperation>> =>
  Object.fromEntries(Object.entries(paths).map(([path, item]) => [`${base}${path}`, item]));

/**
 * The OpenAPI 3.1 document of every route (partner, admin, probes), generated from the same
 * schemas the API validates requests and responses with (ADR 0023).
 */
export function buildOpenApiDocument(): OpenApiDocument {
  return withWebhooksAndErrorCodes(buildRoutesDocument());
}

function buildRoutesDocument(): OpenApiDocument {
  return {
    openapi: '3.1.0',
    info: { title: 'Flowgate API', version: '1.0.0', description: DESCRIPTION },
    servers: [{ url: '/', description: 'The deployment host' }],
    tags: [
      { name: 'messages', description: 'Partner: send messages and follow their delivery.' },
      { name: 'templates', description: "Partner: the workspace's WhatsApp templates." },
      {
        name: 'contacts',
        description: 'Partner: contacts and conversations (inbound messages from Meta webhooks).',
      },
      {
        name: 'broadcasts',
        description: "Partner: one template to many recipients, at the number's pace behind single sends.",
      },
      { name: 'meta-webhooks', description: "Meta's webhooks in (configure this URL in your Meta app)." },
      { name: 'admin', description: 'Workspace members: log in and manage API keys.' },
      { name: 'health', description: 'Probes for orchestrators and load balancers.' },
      { name: 'webhooks', description: 'Events Flowgate posts to your endpoints (signed).' },
      { name: 'meta', description: 'This description.' },
    ],
    security: [
      { apiKeyHeader: [], apiSecretHeader: [] },
      { xApiKeyHeader: [], xApiSecretHeader: [] },
      { basicAuth: [] },
      { bearerToken: [] },
    ],
    paths: {
      ...under(PARTNER_API_BASE_PATH, partnerPaths()),
      ...under(ADMIN_API_BASE_PATH, adminPaths()),
      ...under(ADMIN_API_BASE_PATH, dashboardPaths(partnerPaths())),
      ...under(ADMIN_API_BASE_PATH, metaWebhookPaths()),
      ...healthPaths(),
      ...dashboardAppPaths(),
    },
    components: {
      schemas: {
        SendMessageBody: json(SendMessageBodySchema),
        InteractiveContent: json(InteractiveContentSchema),
        MetaInteractive: json(MetaInteractiveSchema),
        TemplateComponent: json(TemplateComponentSchema),
        SendMessageResponse: json(SendMessageResponseSchema),
        MessageView: json(MessageViewSchema),
        GetMessageResponse: json(GetMessageResponseSchema),
        TemplateSummary: json(TemplateSummarySchema),
        ListTemplatesResponse: json(ListTemplatesResponseSchema),
        LoginRequest: json(LoginRequestSchema),
        LoginResponse: json(LoginResponseSchema),
        CreateApiKeyRequest: json(CreateApiKeyRequestSchema),
        CreateApiKeyResponse: json(CreateApiKeyResponseSchema),
        ApiKeySummary: json(ApiKeySummarySchema),
        ListApiKeysResponse: json(ListApiKeysResponseSchema),
        RevokeApiKeyResponse: json(RevokeApiKeyResponseSchema),
        TemplateSyncReport: json(TemplateSyncReportSchema),
        TemplateSyncResponse: json(TemplateSyncResponseSchema),
        HealthResponse: json(HealthResponseSchema),
        MetaWebhookAck: json(MetaWebhookAckSchema),
        GetTemplateResponse: json(GetTemplateResponseSchema),
        CreateContactBody: json(CreateContactBodySchema),
        UpdateContactBody: json(UpdateContactBodySchema),
        DeleteContactResponse: json(DeleteContactResponseSchema),
        AccountResponse: json(AccountResponseSchema),
        FliokSendResponse: json(FliokSendResponseSchema),
        CreateWebhookBody: json(CreateWebhookBodySchema),
        UpdateWebhookBody: json(UpdateWebhookBodySchema),
        WebhookEndpoint: json(WebhookEndpointSchema),
        CreateWebhookResponse: json(CreateWebhookResponseSchema),
        WebhookResponse: json(WebhookResponseSchema),
        ListWebhooksResponse: json(ListWebhooksResponseSchema),
        RotateSecretResponse: json(RotateSecretResponseSchema),
        DeliveryAttempt: json(DeliveryAttemptSchema),
        DeliveryAttemptResponse: json(DeliveryAttemptResponseSchema),
        ListDeliveriesResponse: json(ListDeliveriesResponseSchema),
        Contact: json(ContactSchema),
        ListContactsResponse: json(ListContactsResponseSchema),
        CreateBroadcastBody: json(CreateBroadcastBodySchema),
        CreateBroadcastResponse: json(CreateBroadcastResponseSchema),
        Broadcast: json(BroadcastSchema),
        GetBroadcastResponse: json(GetBroadcastResponseSchema),
        CancelBroadcastResponse: json(CancelBroadcastResponseSchema),
        ListBroadcastsResponse: json(ListBroadcastsResponseSchema),
        GetContactResponse: json(GetContactResponseSchema),
        ListConversationsResponse: json(ListConversationsResponseSchema),
        ListConversationMessagesResponse: json(ListConversationMessagesResponseSchema),
        ReadinessResponse: json(ReadinessResponseSchema),
        SessionResponse: json(SessionResponseSchema),
        SignedOutResponse: json(SignedOutResponseSchema),
        MessageLogEntry: json(MessageLogEntrySchema),
        ListWorkspaceMessagesResponse: json(ListWorkspaceMessagesResponseSchema),
        ListPhoneNumbersResponse: json(ListPhoneNumbersResponseSchema),
        ErrorEnvelope: json(ErrorEnvelopeSchema),
        FieldError: json(FieldErrorSchema),
      },
      securitySchemes: {
        apiKeyHeader: {
          type: 'apiKey',
          in: 'header',
          name: 'apiKey',
          description: 'Public key id (pk_…); use with apiSecret.',
        },
        apiSecretHeader: {
          type: 'apiKey',
          in: 'header',
          name: 'apiSecret',
          description: 'The secret shown once at key creation.',
        },
        xApiKeyHeader: {
          type: 'apiKey',
          in: 'header',
          name: 'X-API-Key',
          description: 'Alternative to the apiKey header.',
        },
        xApiSecretHeader: {
          type: 'apiKey',
          in: 'header',
          name: 'X-API-Secret',
          description: 'Alternative to the apiSecret header.',
        },
        basicAuth: {
          type: 'http',
          scheme: 'basic',
          description: 'apiKey as user name, apiSecret as password.',
        },
        bearerToken: {
          type: 'http',
          scheme: 'bearer',
          description:
            '`<apiKey>.<apiSecret>` as one token (the key creation answer gives it as `bearerToken`).',
        },
        adminBearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: `Admin session token from POST ${ADMIN_API_BASE_PATH}/auth/login.`,
        },
        dashboardCookie: {
          type: 'apiKey',
          in: 'cookie',
          name: SESSION_COOKIE_NAME,
          description: `The dashboard's session from POST ${ADMIN_API_BASE_PATH}/auth/session; changes also send X-CSRF-Token.`,
        },
      },
      parameters: headerParameters(SendMessageHeadersSchema),
      headers: {
        'X-Request-Id': {
          description: 'Identifies the request in logs; quote it when reporting a problem.',
          schema: { type: 'string' },
        },
        'Retry-After': {
          description: 'Seconds to wait before retrying.',
          schema: { type: 'integer', minimum: 0 },
        },
        Location: {
          description: 'URL of the new message: /api/v1/public/messages/{id}.',
          schema: { type: 'string' },
        },
        'Idempotent-Replayed': {
          description: '`true` when this is the replay of an earlier response for the same Idempotency-Key.',
          schema: { type: 'string', enum: ['true'] },
        },
      },
      responses: Object.fromEntries(
        (Object.keys(ERROR_RESPONSES) as ErrorResponseName[]).map((n) => [n, errorResponseComponent(n)]),
      ),
    },
  };
}

/** What every delivery carries (docs/contracts.md §10): the Standard Webhooks headers and Fliok's. */
const WEBHOOK_HEADERS = [
  {
    name: 'webhook-id',
    in: 'header',
    required: true,
    description: 'The event id (`evt_…`), the same on every retry: deduplicate on it.',
    schema: { type: 'string' },
  },
  {
    name: 'webhook-timestamp',
    in: 'header',
    required: true,
    description: 'Unix seconds of this attempt; refuse deliveries more than 5 minutes away.',
    schema: { type: 'string', pattern: '^\\d+$' },
  },
  {
    name: 'webhook-signature',
    in: 'header',
    required: true,
    description:
      '`v1,<base64 HMAC-SHA256>` of `<webhook-id>.<webhook-timestamp>.<body>`, keyed with the base64-decoded part of the secret after `whsec_`; during a secret rotation two, space-separated. The `standardwebhooks` libraries (and `verifyWebhook` of @flowgate/sdk) check it.',
    schema: { type: 'string' },
  },
  {
    name: 'X-Flowgate-Signature',
    in: 'header',
    required: true,
    description:
      'Hex HMAC-SHA256 of the body keyed with the whole secret string (the check in Fliok’s documentation).',
    schema: { type: 'string', pattern: '^[0-9a-f]{64}$' },
  },
];

/** The documented event envelope of one event type. */
function webhookEventSchema(event: string): unknown {
  return {
    type: 'object',
    required: ['id', 'event', 'timestamp', 'data'],
    additionalProperties: false,
    properties: {
      id: { type: 'string', pattern: '^evt_', description: 'Event id, equal to the webhook-id header.' },
      event: { const: event },
      timestamp: {
        type: 'string',
        format: 'date-time',
        description: 'When the change happened; orders events.',
      },
      data: {
        type: 'object',
        description:
          'What the event is about, in camelCase: messageId, contactId, status, type, content, errorCode, errorMessage, broadcastId and its counts, templateId, name, category, language, paymentId, amount, currency, timestamp, as fit the event; message events also carry phone, phoneNumberId and, for partner-sent messages, the requestId and Idempotency-Key of the send.',
        additionalProperties: true,
      },
    },
  };
}

const webhookName = (event: string): string =>
  event.replace(/[._](\w)/g, (_m, c: string) => c.toUpperCase()).replace(/^\w/, (c) => c.toUpperCase());

/**
 * Adds the `webhooks` (one per partner event, docs/contracts.md §10), the `ErrorCode` schema and
 * the error-code table of the description (every code of ERROR_CODES, with its status).
 */
function withWebhooksAndErrorCodes(doc: OpenApiDocument): OpenApiDocument {
  const events = [...PARTNER_EVENT_TYPES, WEBHOOK_TEST_EVENT];
  const webhooks: Record<string, Record<string, OpenApiOperation>> = {};
  const schemas: Record<string, unknown> = {};
  for (const event of events) {
    const schemaName = `${webhookName(event)}Event`;
    schemas[schemaName] = webhookEventSchema(event);
    webhooks[event] = {
      post: {
        operationId: `on${webhookName(event)}`,
        tags: ['webhooks'],
        summary: `${event} (delivered to your endpoint)`,
        description:
          'Flowgate posts the event as compact JSON to every active endpoint subscribed to it (or to `*`), at least once, retried on a timeout (15 s), a network error or a non-2xx answer (at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h; Retry-After honoured on 429/503); 410 disables the endpoint. Verify the signature before trusting the body.',
        parameters: WEBHOOK_HEADERS,
        requestBody: {
          required: true,
          content: { 'application/json': { schema: ref('schemas', schemaName) } },
        },
        responses: {
          '2XX': { description: 'Received: not delivered again.' },
          '410': { description: 'Gone: the endpoint is disabled; nothing more is delivered to it.' },
          default: { description: 'Any other answer, or none within 15 s: delivered again later.' },
        },
      },
    };
  }
  const codes = Object.keys(ERROR_CODES) as ErrorCode[];
  const table = [
    '| code | HTTP | meaning |',
    '| --- | --- | --- |',
    ...codes.map((c) => `| \`${c}\` | ${ERROR_CODES[c].status} | ${ERROR_CODES[c].meaning} |`),
  ].join('\n');
  return {
    ...doc,
    info: { ...doc.info, description: `${doc.info.description}\n\n**Error codes**\n\n${table}` },
    webhooks: { ...doc.webhooks, ...webhooks },
    components: {
      ...doc.components,
      schemas: {
        ...doc.components.schemas,
        ...schemas,
        ErrorCode: {
          type: 'string',
          enum: codes,
          description: 'Every error code the API answers with (the `error.code` of the error envelope).',
        },
      },
    },
  };
}
