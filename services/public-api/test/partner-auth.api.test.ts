import request from 'supertest';
import {
  createApiKey,
  createWorkspace,
  addTemplate,
  ORDER_CONFIRMATION,
  PAYMENT_THANK_YOU,
} from '../../../test/support/factories';
import { createTestApp, type TestApp } from './helpers/test-app';

describe('GET /api/v1/public/templates (partner authentication)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  async function workspaceWithTemplates() {
    const ws = await createWorkspace(t.runtime.db);
    await addTemplate(t.runtime.db, ws.workspaceId, ORDER_CONFIRMATION);
    await addTemplate(t.runtime.db, ws.workspaceId, { ...PAYMENT_THANK_YOU, status: 'PENDING' });
    const key = await createApiKey(t.runtime.db, ws.workspaceId, 'test');
    return { ...ws, key };
  }

  it.each([
    ['apiKey/apiSecret headers', (k: string, s: string) => ({ apiKey: k, apiSecret: s })],
    ['X-API-Key/X-API-Secret headers', (k: string, s: string) => ({ 'X-API-Key': k, 'X-API-Secret': s })],
    [
      'HTTP Basic',
      (k: string, s: string) => ({ Authorization: `Basic ${Buffer.from(`${k}:${s}`).toString('base64')}` }),
    ],
  ])(
    'when credentials come as %s, then 200 with only the approved templates of that workspace',
    async (_form, headers) => {
      const mine = await workspaceWithTemplates();
      const other = await createWorkspace(t.runtime.db);
      await addTemplate(t.runtime.db, other.workspaceId, {
        ...ORDER_CONFIRMATION,
        name: 'other_workspace_template',
      });

      const res = await request(t.app)
        .get('/api/v1/public/templates')
        .set(headers(mine.key.apiKey, mine.key.apiSecret));

      expect(res.status).toBe(200);
      expect(res.headers['x-request-id']).toEqual(expect.any(String));
      const body = res.body as {
        success: boolean;
        data: { templates: Array<{ name: string; status: string; variables: string[] }> };
      };
      expect(body.success).toBe(true);
      expect(body.data.templates.map((x) => x.name)).toEqual(['order_confirmation']);
      expect(body.data.templates[0]?.status).toBe('APPROVED');
      expect(body.data.templates[0]?.variables).toEqual(['1', '2', '3']);
    },
  );

  it('when the credentials are wrong, unknown, missing, malformed or revoked, then one identical 401 body', async () => {
    const ws = await workspaceWithTemplates();
    const revoked = await createApiKey(t.runtime.db, ws.workspaceId);
    await t.runtime.deps.apiKeys.revoke(ws.workspaceId, { id: revoked.id });
    const wrongSecret = 'A'.repeat(43);
    const cases: Array<Record<string, string>> = [
      { apiKey: ws.key.apiKey, apiSecret: wrongSecret },
      { apiKey: `pk_${'z'.repeat(40)}`, apiSecret: ws.key.apiSecret },
      {},
      { apiKey: ws.key.apiKey },
      { apiKey: 'not-a-key', apiSecret: 'x' },
      { Authorization: 'Basic !!!' },
      { Authorization: `Bearer ${ws.key.apiSecret}` },
      { apiKey: revoked.apiKey, apiSecret: revoked.apiSecret },
    ];
    const bodies: unknown[] = [];
    for (const headers of cases) {
      const res = await request(t.app).get('/api/v1/public/templates').set(headers);
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/application\/json/);
      const { requestId, ...rest } = (res.body as { error: { requestId: string } }).error;
      expect(requestId).toBe(res.headers['x-request-id']);
      bodies.push({ ...(res.body as object), error: rest });
    }
    for (const b of bodies) expect(b).toEqual(bodies[0]);
    expect(bodies[0]).toEqual({
      success: false,
      error: { code: 'UNAUTHORIZED', message: expect.any(String) },
    });
  });

  it('when a key is used, then last_used_at is recorded without a write per request', async () => {
    const ws = await workspaceWithTemplates();
    for (let i = 0; i < 5; i += 1) {
      const res = await request(t.app)
        .get('/api/v1/public/templates')
        .set({ apiKey: ws.key.apiKey, apiSecret: ws.key.apiSecret });
      expect(res.status).toBe(200);
    }
    const before = await t.runtime
      .db('api_keys')
      .where({ id: ws.key.id })
      .first<{ last_used_at: Date | null }>();
    expect(before?.last_used_at).toBeNull();
    await t.close(); // flushes the batch
    t = await createTestApp();
    const after = await t.runtime
      .db('api_keys')
      .where({ id: ws.key.id })
      .first<{ last_used_at: Date | null }>();
    expect(after?.last_used_at).toBeInstanceOf(Date);
  });

  it('when 200 bad secrets arrive in a burst for one key, then they are throttled, every answer is a JSON 401/429 and memory stays bounded', async () => {
    const local = await createTestApp({ AUTH_FAILURES_PER_KEY: '10', AUTH_FAILURES_PER_IP: '1000' });
    try {
      const ws = await createWorkspace(local.runtime.db);
      const key = await createApiKey(local.runtime.db, ws.workspaceId);
      const rssBefore = process.memoryUsage().rss;
      let maxQueued = 0;
      const watcher = setInterval(() => {
        maxQueued = Math.max(maxQueued, local.runtime.deps.verifier.stats.queued);
      }, 5);
      const responses = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          request(local.app)
            .get('/api/v1/public/templates')
            .set({ apiKey: key.apiKey, apiSecret: `${'B'.repeat(40)}${String(i).padStart(3, '0')}` }),
        ),
      );
      clearInterval(watcher);
      const statuses = responses.map((r) => r.status);
      expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
      for (const r of responses) expect((r.body as { success: boolean }).success).toBe(false);
      const throttled = responses.filter((r) => r.status === 429);
      expect(throttled.length).toBeGreaterThanOrEqual(150);
      for (const r of throttled) expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
      expect(maxQueued).toBeLessThanOrEqual(local.config.auth.maxQueuedVerifications);
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 1024 * 1024);
      // The right secret is locked out for this key too while it is throttled.
      const res = await request(local.app)
        .get('/api/v1/public/templates')
        .set({ apiKey: key.apiKey, apiSecret: key.apiSecret });
      expect(res.status).toBe(429);
    } finally {
      await local.close();
    }
  });
});
