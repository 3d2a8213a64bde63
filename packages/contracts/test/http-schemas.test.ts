import { Type } from '@sinclair/typebox';
import {
  CreateApiKeyRequestSchema,
  CreateApiKeyResponseSchema,
  ErrorEnvelopeSchema,
  GetMessageResponseSchema,
  IdempotencyKeySchema,
  ListApiKeysResponseSchema,
  ListTemplatesResponseSchema,
  LoginRequestSchema,
  LoginResponseSchema,
  SendMessageResponseSchema,
} from '../src/http';
import { compile } from '../src/validator';

const ID = '0b9e5d7c-3f4a-4c2e-9a1b-7d6e5f4a3b2c';
const AT = '2026-11-22T10:15:30.000Z';
const API_KEY = `pk_${'a1'.repeat(20)}`;

const paths = (r: { ok: boolean; errors?: { path: string }[] }): string[] =>
  r.ok ? [] : (r.errors ?? []).map((e) => e.path).sort();

describe('compile', () => {
  const parse = compile(
    Type.Object(
      { n: Type.Integer({ minimum: 1 }), s: Type.Optional(Type.String()) },
      { additionalProperties: false },
    ),
  );

  it('when the value matches, then it is returned unchanged and typed', () => {
    const r = parse({ n: 2 });
    expect(r).toEqual({ ok: true, value: { n: 2 } });
    if (r.ok) expect(r.value.n + 1).toBe(3);
  });

  it('when the value has the wrong type, then it is not coerced', () => {
    expect(paths(parse({ n: '2' }))).toEqual(['/n']);
  });

  it('when there are several problems, then each is reported with its path and an actionable message', () => {
    const r = parse({ n: 0, extra: true });
    expect(r.ok ? [] : r.errors).toEqual(
      expect.arrayContaining([
        { path: '/n', message: 'must be at least 1' },
        { path: '/extra', message: "unknown property 'extra'" },
      ]),
    );
  });

  it('when a schema carries x-secret (as the config schema does), then it compiles in strict mode', () => {
    expect(compile(Type.String({ 'x-secret': true }))('s').ok).toBe(true);
  });
});

describe('HTTP schemas', () => {
  it.each([
    [
      'send response',
      SendMessageResponseSchema,
      {
        success: true,
        data: { id: ID, status: 'ACCEPTED', message: 'Message received and being sent to the recipient.' },
      },
    ],
    [
      'error envelope',
      ErrorEnvelopeSchema,
      {
        success: false,
        error: {
          code: 'VALIDATION_FAILED',
          message: 'x',
          details: [{ path: '/content', message: 'm' }],
          requestId: 'r',
        },
      },
    ],
    [
      'error envelope without details',
      ErrorEnvelopeSchema,
      { success: false, error: { code: 'UNAUTHORIZED', message: 'x', requestId: 'r' } },
    ],
    [
      'message view',
      GetMessageResponseSchema,
      {
        success: true,
        data: {
          id: ID,
          status: 'FAILED',
          type: 'template',
          to: '9198******10',
          phoneNumberId: ID,
          templateName: 'order_confirmation',
          providerMessageId: null,
          error: { code: 131026, message: 'Message undeliverable', details: 'Message Undeliverable.' },
          attempts: 1,
          pricing: null,
          createdAt: AT,
          updatedAt: AT,
          history: [
            { status: 'ACCEPTED', at: AT },
            { status: 'FAILED', at: AT, detail: '131026' },
          ],
        },
      },
    ],
    [
      'message view after a retry, given up without a provider code',
      GetMessageResponseSchema,
      {
        success: true,
        data: {
          id: ID,
          status: 'FAILED',
          type: 'text',
          to: '9198******10',
          phoneNumberId: ID,
          templateName: null,
          providerMessageId: null,
          error: { code: null, message: 'Delivery abandoned after 5 attempts' },
          attempts: 5,
          pricing: null,
          createdAt: AT,
          updatedAt: AT,
          history: [
            { status: 'ACCEPTED', at: AT },
            { status: 'QUEUED', at: AT },
            { status: 'SENDING', at: AT, detail: 'attempt 1' },
            { status: 'RETRY_SCHEDULED', at: AT, detail: '130429 Rate limit hit' },
            { status: 'FAILED', at: AT },
          ],
        },
      },
    ],
    [
      'templates list',
      ListTemplatesResponseSchema,
      {
        success: true,
        data: {
          templates: [
            {
              id: ID,
              name: 'order_confirmation',
              language: 'en_US',
              category: 'UTILITY',
              status: 'APPROVED',
              components: [{ type: 'BODY', text: 'Hi {{1}}' }],
              variables: ['1'],
            },
          ],
        },
      },
    ],
    ['login request', LoginRequestSchema, { email: 'owner@example.com', password: 'pw' }],
    [
      'login response',
      LoginResponseSchema,
      {
        success: true,
        data: {
          token: 't',
          expiresIn: 3600,
          user: { id: ID, email: 'owner@example.com' },
          workspaces: [{ id: ID, name: 'Acme', role: 'owner' }],
        },
      },
    ],
    ['api key create request', CreateApiKeyRequestSchema, { label: 'production' }],
    ['api key create request without label', CreateApiKeyRequestSchema, {}],
    [
      'api key create response',
      CreateApiKeyResponseSchema,
      {
        success: true,
        data: {
          id: ID,
          apiKey: API_KEY,
          apiSecret: 's'.repeat(43),
          bearerToken: `${API_KEY}.${'s'.repeat(43)}`,
          label: null,
          scopes: ['messages:send'],
          allowedIps: null,
          createdAt: AT,
        },
      },
    ],
    [
      'api key list',
      ListApiKeysResponseSchema,
      {
        success: true,
        data: {
          apiKeys: [
            {
              id: ID,
              label: 'staging',
              apiKey: API_KEY,
              createdBy: ID,
              createdAt: AT,
              lastUsedAt: null,
              revokedAt: AT,
              scopes: ['messages:read'],
              allowedIps: ['10.0.0.0/8'],
            },
          ],
        },
      },
    ],
  ])('when a valid %s is checked, then it passes', (_name, schema, value) => {
    expect(compile(schema)(value)).toEqual({ ok: true, value });
  });

  it.each([
    [
      'an unknown error code',
      ErrorEnvelopeSchema,
      { success: false, error: { code: 'OOPS', message: 'x', requestId: 'r' } },
      ['/error/code'],
    ],
    [
      'an error without requestId',
      ErrorEnvelopeSchema,
      { success: false, error: { code: 'NOT_FOUND', message: 'x' } },
      ['/error/requestId'],
    ],
    [
      'a send response with status SENT',
      SendMessageResponseSchema,
      { success: true, data: { id: ID, status: 'SENT', message: 'x' } },
      ['/data/status'],
    ],
    ['a login with a bad email', LoginRequestSchema, { email: 'nope', password: 'pw' }, ['/email']],
    ['a login without password', LoginRequestSchema, { email: 'a@b.co' }, ['/password']],
    ['an empty label', CreateApiKeyRequestSchema, { label: '' }, ['/label']],
    ['a blank label', CreateApiKeyRequestSchema, { label: '   ' }, ['/label']],
    ['a 101-character label', CreateApiKeyRequestSchema, { label: 'x'.repeat(101) }, ['/label']],
    [
      'an unknown property on key creation',
      CreateApiKeyRequestSchema,
      { label: 'x', scopes: [] },
      ['/scopes'],
    ],
    [
      'a key list leaking a secret hash',
      ListApiKeysResponseSchema,
      {
        success: true,
        data: {
          apiKeys: [
            {
              id: ID,
              label: null,
              apiKey: API_KEY,
              createdBy: null,
              createdAt: AT,
              lastUsedAt: null,
              revokedAt: null,
              scopes: [],
              allowedIps: null,
              secretHash: 'h',
            },
          ],
        },
      },
      ['/data/apiKeys/0/secretHash'],
    ],
    [
      'a malformed apiKey',
      CreateApiKeyResponseSchema,
      {
        success: true,
        data: {
          id: ID,
          apiKey: 'pk_ABC',
          apiSecret: 's'.repeat(43),
          bearerToken: 'x',
          label: null,
          scopes: [],
          allowedIps: null,
          createdAt: AT,
        },
      },
      ['/data/apiKey'],
    ],
    [
      'a message view with a history status nobody defined',
      GetMessageResponseSchema,
      {
        success: true,
        data: {
          id: ID,
          status: 'SENT',
          type: 'text',
          to: '9198******10',
          phoneNumberId: ID,
          templateName: null,
          providerMessageId: 'wamid.x',
          error: null,
          attempts: 1,
          pricing: null,
          createdAt: AT,
          updatedAt: AT,
          history: [{ status: 'PARKED', at: AT }],
        },
      },
      ['/data/history/0/status'],
    ],
    [
      'a message view whose status is RETRY_SCHEDULED (an event, never a status)',
      GetMessageResponseSchema,
      {
        success: true,
        data: {
          id: ID,
          status: 'RETRY_SCHEDULED',
          type: 'text',
          to: '9198******10',
          phoneNumberId: ID,
          templateName: null,
          providerMessageId: null,
          error: null,
          attempts: 1,
          pricing: null,
          createdAt: AT,
          updatedAt: AT,
          history: [],
        },
      },
      ['/data/status'],
    ],
    [
      'an unknown workspace role',
      LoginResponseSchema,
      {
        success: true,
        data: {
          token: 't',
          expiresIn: 1,
          user: { id: ID, email: 'a@b.co' },
          workspaces: [{ id: ID, name: 'A', role: 'root' }],
        },
      },
      ['/data/workspaces/0/role'],
    ],
  ])('when %s is checked, then it fails at the expected paths', (_name, schema, value, expected) => {
    expect(paths(compile(schema)(value))).toEqual(expected);
  });
});

describe('IdempotencyKeySchema', () => {
  const parse = compile(IdempotencyKeySchema);
  it.each([
    ['a UUID', '0b9e5d7c-3f4a-4c2e-9a1b-7d6e5f4a3b2c', true],
    ['255 characters', 'k'.repeat(255), true],
    ['256 characters', 'k'.repeat(256), false],
    ['empty', '', false],
    ['non-ASCII', 'clé', false],
    ['visible ASCII from ! to ~', `${'!~'.repeat(127)}k`, true],
    ['holding a space (HTTP trims them at the ends)', 'a b', false],
    ['holding a tab', 'a\tb', false],
  ])('when the key is %s, then ok is %s', (_name, key, ok) => {
    expect(parse(key).ok).toBe(ok);
  });
});
