import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import request from 'supertest';
import { buildOpenApiDocument, ERROR_CODES, PARTNER_EVENT_TYPES } from '@flowgate/contracts';
import {
  addPhoneNumber,
  addTemplate,
  createApiKey,
  createWorkspace,
  ORDER_CONFIRMATION,
  PAYMENT_THANK_YOU,
} from '@flowgate/testing';
import { createTestApp, type TestApp } from '@flowgate/testing';

/**
 * The document's examples, sent to the API: every request example of POST /messages/send gets an
 * answer whose status the document lists for the operation, with a body that validates against
 * that status's documented schema and the documented headers. The document also lists every
 * error code and every webhook event (docs/contracts.md §10, §14).
 */
const doc = buildOpenApiDocument();
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: 'doc', components: doc.components });

type Response = {
  $ref?: string;
  headers?: Record<string, unknown>;
  content?: Record<string, { schema: { $ref: string } }>;
};
const resolveResponse = (r: Response): Response =>
  r.$ref ? (doc.components.responses[r.$ref.split('/').pop() ?? ''] as Response) : r;
const validatorOf = (r: Response) => {
  const schemaRef = r.content?.['application/json']?.schema.$ref ?? '';
  return ajv.getSchema(`doc${schemaRef}`) ?? ajv.compile({ $ref: `doc${schemaRef}` });
};

describe('the OpenAPI document against the running API', () => {
  let api: TestApp;
  let headers: Record<string, string>;
  beforeAll(async () => {
    api = await createTestApp();
    const ws = await createWorkspace(api.runtime.db);
    await addPhoneNumber(api.runtime.db, api.config.secretKey, ws.workspaceId, { isDefault: true });
    for (const t of [ORDER_CONFIRMATION, PAYMENT_THANK_YOU])
      await addTemplate(api.runtime.db, ws.workspaceId, t);
    const key = await createApiKey(api.runtime.db, ws.workspaceId);
    headers = { apiKey: key.apiKey, apiSecret: key.apiSecret };
  });
  afterAll(async () => {
    await api.close();
  });

  it('every send example gets a documented status, body and headers', async () => {
    const send = doc.paths['/api/v1/public/messages/send']?.post;
    const examples = Object.entries(send?.requestBody?.content['application/json']?.examples ?? {});
    expect(examples.length).toBeGreaterThan(5);
    const statuses: string[] = [];
    for (const [name, example] of examples) {
      const res = await request(api.app)
        .post('/api/v1/public/messages/send')
        .set(headers)
        .send(example.value as object);
      statuses.push(`${name}:${res.status}`);
      const documented = send?.responses[String(res.status)] as Response | undefined;
      expect({ name, status: res.status, documented: documented !== undefined }).toEqual({
        name,
        status: res.status,
        documented: true,
      });
      const response = resolveResponse(documented as Response);
      const validate = validatorOf(response);
      expect({ name, valid: validate(res.body), errors: validate.errors ?? null }).toEqual({
        name,
        valid: true,
        errors: null,
      });
      for (const header of Object.keys(response.headers ?? {}).filter((h) => h !== 'Idempotent-Replayed'))
        expect(res.headers[header.toLowerCase()]).toBeDefined();
    }
    // The examples whose templates this workspace has are accepted.
    expect(statuses).toEqual(expect.arrayContaining(['text:201']));
    expect(statuses.filter((s) => s.endsWith(':201')).length).toBeGreaterThanOrEqual(4);
  });

  it('the documented error examples match what the API answers', async () => {
    const bad = await request(api.app)
      .post('/api/v1/public/messages/send')
      .set(headers)
      .send({ type: 'text', phone: '15550001234', content: '' });
    expect(bad.status).toBe(400);
    expect(validatorOf(resolveResponse({ $ref: '#/components/responses/BadRequest' }))(bad.body)).toBe(true);
    const unauthorized = await request(api.app).get('/api/v1/public/templates');
    expect(unauthorized.status).toBe(401);
    const documented = resolveResponse({ $ref: '#/components/responses/Unauthorized' }) as Response & {
      content: Record<string, { example: { error: { code: string } } }>;
    };
    expect((unauthorized.body as { error: { code: string } }).error.code).toBe(
      documented.content['application/json']?.example.error.code,
    );
  });

  it('lists every error code and every webhook event', () => {
    const codes = (doc.components.schemas['ErrorCode'] as { enum: string[] }).enum;
    expect(codes.sort()).toEqual(Object.keys(ERROR_CODES).sort());
    for (const code of Object.keys(ERROR_CODES)) expect(doc.info.description).toContain(`\`${code}\``);
    expect(Object.keys(doc.webhooks ?? {}).sort()).toEqual([...PARTNER_EVENT_TYPES, 'webhook.test'].sort());
    for (const hook of Object.values(doc.webhooks ?? {})) {
      const names = (hook['post']?.parameters as Array<{ name: string }>).map((p) => p.name);
      expect(names).toEqual(['webhook-id', 'webhook-timestamp', 'webhook-signature', 'X-Flowgate-Signature']);
    }
  });
});
