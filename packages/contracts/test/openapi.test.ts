import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { buildOpenApiDocument } from '../src/openapi';
import { SEND_MESSAGE_TYPES } from '../src/messages';
import { parseSendMessageRequest } from '../src/validator';

const doc = buildOpenApiDocument();
const send = doc.paths['/api/v1/public/messages/send']?.post;

/** Resolves a local `$ref` such as `#/components/schemas/ErrorEnvelope`. */
function resolve(ref: string): unknown {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<unknown>(
      (node, key) =>
        typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined,
      doc,
    );
}

function collectRefs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => collectRefs(n, out));
  else if (typeof node === 'object' && node !== null)
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else collectRefs(v, out);
    }
  return out;
}

describe('buildOpenApiDocument', () => {
  it('is an OpenAPI 3.1.0 document whose paths are absolute (the server is the host)', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers.map((s) => s.url)).toEqual(['/']);
    expect(doc.info.title).toBeTruthy();
  });

  it('covers the partner, admin and probe routes', () => {
    const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`),
    );
    expect(operations.sort()).toEqual(
      [
        'POST /api/v1/public/messages/send sendMessage',
        'GET /api/v1/public/messages/{id} getMessage',
        'GET /api/v1/public/templates listTemplates',
        'GET /api/v1/public/openapi.json getOpenApiDocument',
        'POST /api/v1/auth/login login',
        'GET /api/v1/workspaces/{workspaceId}/api-keys listApiKeys',
        'POST /api/v1/workspaces/{workspaceId}/api-keys createApiKey',
        'DELETE /api/v1/workspaces/{workspaceId}/api-keys/{keyId} revokeApiKey',
        'POST /api/v1/workspaces/{workspaceId}/templates/sync syncTemplates',
        'GET /healthz health',
        'GET /readyz readiness',
        'GET /metrics metrics',
        'GET /docs docs',
        'GET /api/v1/public/contacts listContacts',
        'GET /api/v1/public/contacts/{id} getContact',
        'GET /api/v1/public/conversations listConversations',
        'GET /api/v1/public/conversations/{id}/messages listConversationMessages',
        'GET /api/v1/webhooks/meta metaWebhookHandshake',
        'POST /api/v1/webhooks/meta metaWebhook',
        'GET /api/v1/public/webhooks listWebhooks',
        'POST /api/v1/public/contacts createContact',
        'PATCH /api/v1/public/contacts/{id} updateContact',
        'DELETE /api/v1/public/contacts/{id} deleteContact',
        'GET /api/v1/public/account getAccount',
        'GET /api/v1/public/broadcasts listBroadcasts',
        'POST /api/v1/public/broadcasts createBroadcast',
        'GET /api/v1/public/broadcasts/{id} getBroadcast',
        'POST /api/v1/public/broadcasts/{id}/cancel cancelBroadcast',
        'GET /api/v1/public/templates/{id} getTemplate',
        'POST /api/v1/public/messages/send-media fliokSendMedia',
        'POST /api/v1/public/messages/send-template fliokSendTemplate',
        'POST /api/v1/public/messages/send-buttons fliokSendButtons',
        'POST /api/v1/public/messages/send-location fliokSendLocation',
        'POST /api/v1/public/webhooks createWebhook',
        'PATCH /api/v1/public/webhooks/{id} updateWebhook',
        'DELETE /api/v1/public/webhooks/{id} deleteWebhook',
        'GET /api/v1/public/webhooks/{id}/deliveries listWebhookDeliveries',
        'POST /api/v1/public/webhooks/{id}/deliveries/{deliveryId}/redeliver redeliverWebhook',
        'POST /api/v1/public/webhooks/{id}/test testWebhook',
        'POST /api/v1/public/webhooks/{id}/rotate-secret rotateWebhookSecret',
        // The dashboard (docs/contracts.md §13, ADR 0045).
        'POST /api/v1/auth/session createSession',
        'DELETE /api/v1/auth/session deleteSession',
        'GET /api/v1/auth/me getSession',
        'GET /api/v1/workspaces/{workspaceId}/messages listWorkspaceMessages',
        'GET /api/v1/workspaces/{workspaceId}/phone-numbers listWorkspacePhoneNumbers',
        'GET / home',
        'GET /dashboard/ dashboard',
        'GET /api/v1/workspaces/{workspaceId}/webhooks workspaceListWebhooks',
        'POST /api/v1/workspaces/{workspaceId}/webhooks workspaceCreateWebhook',
        'PATCH /api/v1/workspaces/{workspaceId}/webhooks/{id} workspaceUpdateWebhook',
        'DELETE /api/v1/workspaces/{workspaceId}/webhooks/{id} workspaceDeleteWebhook',
        'GET /api/v1/workspaces/{workspaceId}/webhooks/{id}/deliveries workspaceListWebhookDeliveries',
        'POST /api/v1/workspaces/{workspaceId}/webhooks/{id}/deliveries/{deliveryId}/redeliver workspaceRedeliverWebhook',
        'POST /api/v1/workspaces/{workspaceId}/webhooks/{id}/test workspaceTestWebhook',
        'POST /api/v1/workspaces/{workspaceId}/webhooks/{id}/rotate-secret workspaceRotateWebhookSecret',
        'GET /api/v1/workspaces/{workspaceId}/contacts workspaceListContacts',
        'POST /api/v1/workspaces/{workspaceId}/contacts workspaceCreateContact',
        'GET /api/v1/workspaces/{workspaceId}/contacts/{id} workspaceGetContact',
        'PATCH /api/v1/workspaces/{workspaceId}/contacts/{id} workspaceUpdateContact',
        'DELETE /api/v1/workspaces/{workspaceId}/contacts/{id} workspaceDeleteContact',
        'GET /api/v1/workspaces/{workspaceId}/conversations workspaceListConversations',
        'GET /api/v1/workspaces/{workspaceId}/conversations/{id}/messages workspaceListConversationMessages',
        'GET /api/v1/workspaces/{workspaceId}/messages/{id} workspaceGetMessage',
        'GET /api/v1/workspaces/{workspaceId}/templates workspaceListTemplates',
        'GET /api/v1/workspaces/{workspaceId}/broadcasts workspaceListBroadcasts',
        'GET /api/v1/workspaces/{workspaceId}/broadcasts/{id} workspaceGetBroadcast',
        'POST /api/v1/workspaces/{workspaceId}/broadcasts/{id}/cancel workspaceCancelBroadcast',
      ].sort(),
    );
  });

  it('asks for partner credentials on partner routes, a session token on key management, nothing on login, probes and itself', () => {
    const security = (path: string, method: string) => doc.paths[path]?.[method]?.security;
    expect(security('/api/v1/public/messages/send', 'post')).toBeUndefined(); // the document's own
    // The admin JWT or the dashboard's cookie (ADR 0045).
    const admin = [{ adminBearer: [] }, { dashboardCookie: [] }];
    expect(security('/api/v1/workspaces/{workspaceId}/api-keys', 'post')).toEqual(admin);
    expect(security('/api/v1/workspaces/{workspaceId}/api-keys/{keyId}', 'delete')).toEqual(admin);
    expect(security('/api/v1/workspaces/{workspaceId}/webhooks', 'post')).toEqual(admin);
    expect(security('/api/v1/auth/session', 'post')).toEqual([]);
    for (const [path, method] of [
      ['/api/v1/auth/login', 'post'],
      ['/healthz', 'get'],
      ['/readyz', 'get'],
      ['/api/v1/public/openapi.json', 'get'],
      ['/api/v1/webhooks/meta', 'get'],
      ['/api/v1/webhooks/meta', 'post'],
    ] as const)
      expect(security(path, method)).toEqual([]);
    expect(doc.components.securitySchemes).toMatchObject({
      adminBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
    });
  });

  it('documents path parameters from the params schemas the routes validate with', () => {
    expect(doc.paths['/api/v1/public/messages/{id}']?.get?.parameters).toEqual([
      expect.objectContaining({
        name: 'id',
        in: 'path',
        required: true,
        schema: expect.objectContaining({ type: 'string', format: 'uuid', pattern: expect.any(String) }),
      }),
    ]);
    expect(
      (doc.paths['/api/v1/workspaces/{workspaceId}/api-keys/{keyId}']?.delete?.parameters ?? []).map(
        (p) => (p as { name: string }).name,
      ),
    ).toEqual(['workspaceId', 'keyId']);
  });

  it('offers all four authentication forms', () => {
    expect(doc.components.securitySchemes).toMatchObject({
      apiKeyHeader: { type: 'apiKey', in: 'header', name: 'apiKey' },
      apiSecretHeader: { type: 'apiKey', in: 'header', name: 'apiSecret' },
      xApiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      xApiSecretHeader: { type: 'apiKey', in: 'header', name: 'X-API-Secret' },
      basicAuth: { type: 'http', scheme: 'basic' },
      bearerToken: { type: 'http', scheme: 'bearer' },
    });
    expect(doc.security).toEqual([
      { apiKeyHeader: [], apiSecretHeader: [] },
      { xApiKeyHeader: [], xApiSecretHeader: [] },
      { basicAuth: [] },
      { bearerToken: [] },
    ]);
  });

  it('documents the Idempotency-Key header on send', () => {
    expect(send?.parameters).toContainEqual({ $ref: '#/components/parameters/IdempotencyKey' });
    expect(doc.components.parameters.IdempotencyKey).toMatchObject({
      name: 'Idempotency-Key',
      in: 'header',
      schema: { minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7E]+$' },
    });
  });

  it('answers 201 on send and lists every error status with the error envelope', () => {
    const responses = send?.responses ?? {};
    expect(Object.keys(responses).sort()).toEqual([
      '201',
      '400',
      '401',
      '404',
      '409',
      '413',
      '415',
      '422',
      '429',
      '500',
      '503',
    ]);
    for (const status of ['400', '401', '404', '409', '413', '415', '422', '429', '500', '503']) {
      const ref = (responses[status] as { $ref: string }).$ref;
      expect(resolve(ref)).toMatchObject({
        content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorEnvelope' } } },
      });
    }
    expect(resolve('#/components/responses/TooManyRequests')).toHaveProperty(['headers', 'Retry-After']);
  });

  it('resolves every $ref', () => {
    const refs = collectRefs(doc);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(resolve(ref)).toBeDefined();
  });

  it('has an example for every send type, each of which parses', () => {
    const examples = Object.values(send?.requestBody?.content['application/json']?.examples ?? {});
    const types = new Set<string>();
    for (const ex of examples) {
      const r = parseSendMessageRequest(ex.value);
      expect(r).toEqual(expect.objectContaining({ ok: true }));
      if (r.ok) types.add(r.value.type);
    }
    expect([...types].sort()).toEqual([...SEND_MESSAGE_TYPES].sort());
  });

  it('is plain JSON whose schemas compile under JSON Schema 2020-12, and whose response examples match them', () => {
    const plain = JSON.parse(JSON.stringify(doc)) as typeof doc;
    expect(plain).toEqual(doc);
    const ajv = new Ajv2020({ strict: true, strictRequired: false, discriminator: true, allErrors: true });
    addFormats(ajv);
    ajv.addKeyword({ keyword: 'x-messages', schemaType: 'object' });
    const schemas = Object.fromEntries(
      Object.entries(doc.components.schemas).map(([name, schema]) => [name, ajv.compile(schema as object)]),
    );

    for (const response of Object.values(doc.components.responses)) {
      const example = (response as { content: Record<string, { example: unknown }> }).content[
        'application/json'
      ]?.example;
      expect(schemas.ErrorEnvelope?.(example)).toBe(true);
    }
    const created = send?.responses['201'] as { content: Record<string, { example: unknown }> };
    expect(schemas.SendMessageResponse?.(created.content['application/json']?.example)).toBe(true);
    for (const ex of Object.values(send?.requestBody?.content['application/json']?.examples ?? {}))
      expect(schemas.SendMessageBody?.(ex.value)).toBe(true);
  });
});
