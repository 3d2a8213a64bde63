import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import {
  FlowgateApiError,
  FlowgateClient,
  retryAfterMs,
  verifyWebhook,
  WebhookVerificationError,
  type AuthForm,
  type SendMessageBody,
} from '@flowgate/sdk';
import {
  addPhoneNumber,
  addTemplate,
  createApiKey,
  createWorkspace,
  PAYMENT_THANK_YOU,
} from '@flowgate/testing';
import { createTestApp, type TestApp } from '@flowgate/testing';

/** @flowgate/sdk against the real API listening on a port (PostgreSQL, RabbitMQ, the real wiring). */
describe('@flowgate/sdk against a running API', () => {
  let api: TestApp;
  let server: http.Server;
  let baseUrl: string;
  let apiKey: string;
  let apiSecret: string;

  beforeAll(async () => {
    api = await createTestApp({ AUTH_FAILURES_PER_KEY: '3', AUTH_FAILURES_PER_IP: '1000' });
    server = http.createServer(api.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const ws = await createWorkspace(api.runtime.db);
    await addPhoneNumber(api.runtime.db, api.config.secretKey, ws.workspaceId, { isDefault: true });
    await addTemplate(api.runtime.db, ws.workspaceId, PAYMENT_THANK_YOU);
    ({ apiKey, apiSecret } = await createApiKey(api.runtime.db, ws.workspaceId));
  }, 60_000);

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await api.close();
  });

  it.each<AuthForm>(['headers', 'x-headers', 'basic'])(
    'sends, reads back and lists templates with the %s credentials form',
    async (auth) => {
      const client = new FlowgateClient({ baseUrl, apiKey, apiSecret, auth });
      const sent = await client.sendMessage({
        type: 'text',
        phone: '+1 555 000 9002',
        content: `hello ${auth}`,
      });
      expect(sent).toMatchObject({
        status: 'ACCEPTED',
        replayed: false,
        location: `/api/v1/public/messages/${sent.id}`,
      });
      const message = await client.getMessage(sent.id);
      expect(message).toMatchObject({ id: sent.id, type: 'text', to: '15550009002' });
      expect(message.history.map((h) => h.status)).toContain('ACCEPTED');
      const templates = await client.listTemplates();
      expect(templates.map((t) => t.name)).toContain(PAYMENT_THANK_YOU.name);
    },
  );

  it('creates, reads and cancels a broadcast; a bad recipient is a FlowgateApiError naming its index', async () => {
    const client = new FlowgateClient({ baseUrl, apiKey, apiSecret, auth: 'bearer' });
    const variables = { '1': 'Asha', '2': '₹10', '3': 'INV-1', '4': 'Flowgate' };
    // Scheduled an hour ahead: this test's database is shared with stacks whose dispatchers release broadcasts.
    const created = await client.createBroadcast({
      name: 'sdk',
      templateName: PAYMENT_THANK_YOU.name,
      scheduledAt: new Date(Date.now() + 3600_000).toISOString(),
      recipients: [
        { phone: '+1 555 000 9101', templateVariables: variables },
        { phone: '15550009101', templateVariables: variables },
      ],
    });
    expect(created).toMatchObject({ status: 'SCHEDULED', total: 1, duplicates: 1, skipped: 0 });
    expect(await client.getBroadcast(created.id)).toMatchObject({ id: created.id, counts: { pending: 1 } });
    expect(await client.cancelBroadcast(created.id)).toMatchObject({
      status: 'CANCELLED',
      counts: { cancelled: 1 },
    });
    const bad = await client
      .createBroadcast({
        name: 'sdk bad',
        templateName: PAYMENT_THANK_YOU.name,
        recipients: [{ phone: '15550009102', templateVariables: { '1': 'only one' } }],
      })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(FlowgateApiError);
    expect((bad as FlowgateApiError).code).toBe('BROADCAST_RECIPIENTS_INVALID');
    expect((bad as FlowgateApiError).body?.error.details?.[0]?.path).toMatch(/^\/recipients\/0/);
  });

  it('replays a send with the same Idempotency-Key, and the typed client reaches every route', async () => {
    const client = new FlowgateClient({ baseUrl, apiKey, apiSecret });
    const idempotencyKey = randomUUID();
    const body: SendMessageBody = { type: 'text', phone: '15550009003', content: 'once' };
    const first = await client.sendMessage(body, { idempotencyKey });
    const again = await client.sendMessage(body, { idempotencyKey });
    expect(again).toMatchObject({ id: first.id, replayed: true });
    const reused = await client
      .sendMessage({ ...body, content: 'other' }, { idempotencyKey })
      .catch((e: unknown) => e);
    expect(reused).toBeInstanceOf(FlowgateApiError);
    expect(reused).toMatchObject({ status: 422, code: 'IDEMPOTENCY_KEY_REUSED' });

    const { data, response } = await client.api.GET('/api/v1/public/messages/{id}', {
      params: { path: { id: first.id } },
    });
    expect(response.status).toBe(200);
    expect(data?.data.id).toBe(first.id);
  });

  it('turns error answers into FlowgateApiError with the code and the request id', async () => {
    const client = new FlowgateClient({ baseUrl, apiKey, apiSecret });
    const invalid = await client
      .sendMessage({ type: 'text', phone: '15550009004', content: '' })
      .catch((e: unknown) => e);
    expect(invalid).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect((invalid as FlowgateApiError).requestId).toMatch(/.+/);
    const missing = await client.getMessage(randomUUID()).catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });

  it("retries a 429 after the server's Retry-After, then gives up with the error", async () => {
    const waits: number[] = [];
    const wrong = new FlowgateClient({
      baseUrl,
      apiKey,
      apiSecret: `${apiSecret.slice(0, -4)}AAAA`,
      retry: { maxRetries: 2, maxDelayMs: 120_000 },
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    // AUTH_FAILURES_PER_KEY=3: three 401s, then the key's failure budget answers 429 + Retry-After.
    for (let i = 0; i < 3; i += 1)
      expect(await wrong.listTemplates().catch((e: unknown) => e)).toMatchObject({ status: 401 });
    const limited = await wrong.listTemplates().catch((e: unknown) => e);
    expect(limited).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    const retryAfter = Number((limited as FlowgateApiError).headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(waits).toHaveLength(2);
    for (const w of waits) expect(w).toBeLessThanOrEqual(retryAfter * 1000);
    expect(waits[0]).toBeGreaterThan(0);
  });
});

describe('@flowgate/sdk without a server', () => {
  const ok = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', ...headers },
    });
  const accepted = { success: true, data: { id: randomUUID(), status: 'ACCEPTED', message: 'ok' } };

  it('retries 503 and 429 with Retry-After in seconds or as a date, or a growing delay without one', async () => {
    const answers = [
      ok(
        503,
        { success: false, error: { code: 'SERVICE_UNAVAILABLE', message: 'x', requestId: 'r' } },
        { 'retry-after': '2' },
      ),
      ok(429, { success: false, error: { code: 'RATE_LIMITED', message: 'x', requestId: 'r' } }),
      ok(201, accepted),
    ];
    const seen: Request[] = [];
    const waits: number[] = [];
    const client = new FlowgateClient({
      baseUrl: 'https://flowgate.example/',
      apiKey: 'pk_test',
      apiSecret: 'secret',
      auth: 'bearer',
      retry: { baseDelayMs: 100 },
      fetch: (input) => {
        seen.push(input as Request);
        return Promise.resolve(answers.shift() as Response);
      },
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    const sent = await client.sendMessage({ type: 'text', phone: '15550009005', content: 'hi' });
    expect(sent.id).toBe(accepted.data.id);
    expect(waits).toEqual([2000, 200]);
    expect(seen).toHaveLength(3);
    // Every attempt is the same request: same body, same generated Idempotency-Key, bearer form.
    const keys = new Set(seen.map((r) => r.headers.get('idempotency-key')));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen[0]?.url).toBe('https://flowgate.example/api/v1/public/messages/send');
    expect(seen[0]?.headers.get('authorization')).toBe('Bearer pk_test.secret');
    expect(await Promise.all(seen.map((r) => r.text()))).toEqual(
      Array(3).fill(JSON.stringify({ type: 'text', phone: '15550009005', content: 'hi' })),
    );

    expect(retryAfterMs('5')).toBe(5000);
    expect(retryAfterMs(new Date(Date.now() + 3000).toUTCString())).toBeGreaterThan(1000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });

  it('verifyWebhook accepts a Standard Webhooks signature (also during a rotation) and refuses anything else', () => {
    const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
    const old = `whsec_${Buffer.alloc(32, 4).toString('base64')}`;
    const id = `evt_${randomUUID()}`;
    const body = JSON.stringify({
      id,
      event: 'message.delivered',
      timestamp: new Date().toISOString(),
      data: { messageId: 'm1' },
    });
    const now = new Date();
    const headers = {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': `${new Webhook(old).sign(id, now, body)} ${new Webhook(secret).sign(id, now, body)}`,
    };
    expect(verifyWebhook(body, headers, secret)).toMatchObject({
      id,
      event: 'message.delivered',
      data: { messageId: 'm1' },
    });
    expect(verifyWebhook(Buffer.from(body), new Headers(headers), old).id).toBe(id);

    expect(() => verifyWebhook(`${body} `, headers, secret)).toThrow(WebhookVerificationError);
    expect(() => verifyWebhook(body, headers, `whsec_${Buffer.alloc(32, 1).toString('base64')}`)).toThrow(
      WebhookVerificationError,
    );
    expect(() => verifyWebhook(body, { ...headers, 'webhook-signature': '' }, secret)).toThrow(
      WebhookVerificationError,
    );
    const stale = new Date(now.getTime() - 10 * 60_000);
    expect(() =>
      verifyWebhook(
        body,
        {
          ...headers,
          'webhook-timestamp': String(Math.floor(stale.getTime() / 1000)),
          'webhook-signature': new Webhook(secret).sign(id, stale, body),
        },
        secret,
      ),
    ).toThrow(WebhookVerificationError);
  });
});
