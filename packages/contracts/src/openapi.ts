import type { TSchema } from '@sinclair/typebox';
import { ERROR_CODES, type ErrorCode } from './error-codes';
import { PARTNER_EVENT_TYPES, WEBHOOK_TEST_EVENT } from './events';
import { ErrorEnvelopeSchema, FieldErrorSchema } from './http/errors';
import {
  GetMessageResponseSchema,
  IdempotencyKeySchema,
  MessageViewSchema,
  SEND_MESSAGE_ACCEPTED_TEXT,
  SendMessageResponseSchema,
} from './http/messages';
import { ListTemplatesResponseSchema, TemplateSummarySchema } from './http/templates';
import { SEND_MESSAGE_EXAMPLES } from './messages/examples';
import { InteractiveContentSchema, MetaInteractiveSchema } from './messages/interactive';
import { SendMessageBodySchema } from './messages/send';
import { TemplateComponentSchema } from './messages/template';

/** The parts of an OpenAPI 3.1 document that callers and tests read; the rest is plain JSON. */
export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers: { url: string; description: string }[];
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
  description?: string;
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

export const PARTNER_API_BASE_PATH = '/api/v1/public';

/** Plain JSON (TypeBox schemas carry symbol keys, which a document must not). */
const json = (schema: TSchema): unknown => JSON.parse(JSON.stringify(schema)) as unknown;
const ref = (kind: 'schemas' | 'parameters' | 'headers' | 'responses', name: string) => ({
  $ref: `#/components/${kind}/${name}`,
});

const REQUEST_ID_HEADER = { 'X-Request-Id': ref('headers', 'X-Request-Id') };

/** Error responses: status → component name, description and the example code. */
const ERROR_RESPONSES = {
  '400': {
    name: 'BadRequest',
    code: 'VALIDATION_FAILED',
    description: 'The body is not valid JSON or does not match the schema; `details` names each field.',
  },
  '401': {
    name: 'Unauthorized',
    code: 'UNAUTHORIZED',
    description: 'Credentials are missing, malformed, unknown, wrong or revoked.',
  },
  '404': { name: 'NotFound', code: 'NOT_FOUND', description: 'No such route or resource in this workspace.' },
  '409': {
    name: 'Conflict',
    code: 'CONFLICT',
    description:
      'Conflicts with the current state (e.g. a request with the same Idempotency-Key is still in progress).',
  },
  '413': {
    name: 'PayloadTooLarge',
    code: 'PAYLOAD_TOO_LARGE',
    description: 'The body exceeds the size limit.',
  },
  '415': {
    name: 'UnsupportedMediaType',
    code: 'UNSUPPORTED_MEDIA_TYPE',
    description: 'The body is not `application/json`.',
  },
  '422': {
    name: 'Unprocessable',
    code: 'TEMPLATE_PARAMS_MISMATCH',
    description:
      'Well formed but cannot be carried out: unknown contact or sending number, no default number, template not found, not approved or given the wrong variables, Idempotency-Key reused with another body.',
  },
  '429': {
    name: 'TooManyRequests',
    code: 'RATE_LIMITED',
    description: 'Too many requests or failed authentication attempts; retry after `Retry-After` seconds.',
  },
  '500': {
    name: 'InternalError',
    code: 'INTERNAL_ERROR',
    description:
      'An unexpected error (a bug, never bad input); the body carries no detail of it. Quote `requestId` when reporting it.',
  },
  '503': {
    name: 'ServiceUnavailable',
    code: 'SERVICE_UNAVAILABLE',
    description: 'A dependency is unreachable; retry later.',
  },
} as const satisfies Record<string, { name: string; code: ErrorCode; description: string }>;

type ErrorStatus = keyof typeof ERROR_RESPONSES;

const errorResponses = (...statuses: ErrorStatus[]): Record<string, unknown> =>
  Object.fromEntries(statuses.map((s) => [s, ref('responses', ERROR_RESPONSES[s].name)]));

function errorResponseComponent(status: ErrorStatus): unknown {
  const { code, description } = ERROR_RESPONSES[status];
  const details =
    status === '400' ? { details: [{ path: '/content', message: 'must be at most 4096 characters' }] } : {};
  return {
    description,
    headers:
      status === '429'
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
            ...details,
            requestId: '5f0c6a3e-8d9b-4b1e-9a57-3f1f2d0c9b11',
          },
        },
      },
    },
  };
}

const DESCRIPTION = `Send WhatsApp messages from your own backend with a workspace API key.

**Authentication**: every request carries the key pair in one of three forms: headers \`apiKey\` + \`apiSecret\`; headers \`X-API-Key\` + \`X-API-Secret\`; or \`Authorization: Basic base64(apiKey:apiSecret)\` (\`curl -u pk_…:secret\`). All credential failures get the same 401.

**Errors**: every error is \`{"success": false, "error": {"code", "message", "details"?, "requestId"}}\`; \`details\` lists \`{path, message}\` per offending field, \`path\` being a JSON pointer into the body. Every response carries \`X-Request-Id\`.`;

/** The OpenAPI 3.1 document of the partner API, generated from the same schemas the API validates with. */
export function buildOpenApiDocument(): OpenApiDocument {
  return withWebhooksAndErrorCodes(buildPartnerDocument());
}

function buildPartnerDocument(): OpenApiDocument {
  const examples = Object.fromEntries(
    Object.entries(SEND_MESSAGE_EXAMPLES).map(([name, ex]) => [
      name,
      { summary: ex.summary, value: ex.value },
    ]),
  );
  return {
    openapi: '3.1.0',
    info: { title: 'Flowgate partner API', version: '1.0.0', description: DESCRIPTION },
    servers: [{ url: PARTNER_API_BASE_PATH, description: 'Partner API, relative to the deployment host' }],
    security: [
      { apiKeyHeader: [], apiSecretHeader: [] },
      { xApiKeyHeader: [], xApiSecretHeader: [] },
      { basicAuth: [] },
    ],
    paths: {
      '/messages/send': {
        post: {
          operationId: 'sendMessage',
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
                  schema: ref('schemas', 'SendMessageResponse'),
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
            ...errorResponses('400', '401', '404', '409', '413', '415', '422', '429', '500', '503'),
          },
        },
      },
      '/messages/{id}': {
        get: {
          operationId: 'getMessage',
          summary: 'Get a message and its status history',
          parameters: [
            {
              name: 'id',
              in: 'path',
              required: true,
              description: 'The id returned by POST /messages/send.',
              schema: { type: 'string', format: 'uuid' },
            },
          ],
          responses: {
            '200': {
              description: 'The message, its current status and its history.',
              headers: REQUEST_ID_HEADER,
              content: { 'application/json': { schema: ref('schemas', 'GetMessageResponse') } },
            },
            ...errorResponses('400', '401', '404', '429', '500', '503'),
          },
        },
      },
      '/templates': {
        get: {
          operationId: 'listTemplates',
          summary: "List the workspace's approved templates",
          responses: {
            '200': {
              description: 'Approved templates, each with the variables it expects.',
              headers: REQUEST_ID_HEADER,
              content: { 'application/json': { schema: ref('schemas', 'ListTemplatesResponse') } },
            },
            ...errorResponses('401', '429', '500', '503'),
          },
        },
      },
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
      },
      parameters: {
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description: IdempotencyKeySchema.description,
          schema: json(IdempotencyKeySchema),
        },
      },
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
        (Object.keys(ERROR_RESPONSES) as ErrorStatus[]).map((s) => [
          ERROR_RESPONSES[s].name,
          errorResponseComponent(s),
        ]),
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
