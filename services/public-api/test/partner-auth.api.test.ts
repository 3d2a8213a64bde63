import http from 'node:http';
import type { Express } from 'express';
import request from 'supertest';
import {
  createApiKey,
  createWorkspace,
  addTemplate,
  ORDER_CONFIRMATION,
  PAYMENT_THANK_YOU,
} from '@flowgate/testing';
import { createTestApp, type TestApp } from '@flowgate/testing';

/** The app on one real port (a burst through supertest would otherwise open a server per request). */
async function listenOn(app: Express): Promise<{ server: http.Server; close(): Promise<void> }> {
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function countBy(values: number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

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
      // Two forms that disagree: there is no one pair to check.
      { apiKey: ws.key.apiKey, apiSecret: ws.key.apiSecret, 'X-API-Key': revoked.apiKey },
      { apiKey: ws.key.apiKey, apiSecret: ws.key.apiSecret, 'X-API-Secret': wrongSecret },
      {
        apiKey: ws.key.apiKey,
        apiSecret: ws.key.apiSecret,
        Authorization: `Basic ${Buffer.from(`${revoked.apiKey}:${revoked.apiSecret}`).toString('base64')}`,
      },
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
      error: {
        code: 'UNAUTHORIZED',
        message: 'Missing or invalid credentials. Send apiKey and apiSecret headers.',
        details: [],
      },
    });
  });

  it('when two credential forms carry the same pair, then it is accepted', async () => {
    const ws = await workspaceWithTemplates();
    const res = await request(t.app)
      .get('/api/v1/public/templates')
      .set({
        apiKey: ws.key.apiKey,
        apiSecret: ws.key.apiSecret,
        'X-API-Key': ws.key.apiKey,
        'X-API-Secret': ws.key.apiSecret,
        Authorization: `Basic ${Buffer.from(`${ws.key.apiKey}:${ws.key.apiSecret}`).toString('base64')}`,
      });
    expect(res.status).toBe(200);
  });

  it('when a partner path is not valid percent-encoding, then 400 VALIDATION_FAILED, not 500', async () => {
    const ws = await workspaceWithTemplates();
    for (const path of [
      '/api/v1/public/messages/%E0%A4%A',
      '/api/v1/public/messages/%ZZ',
      '/api/v1/public/messages/%',
    ]) {
      const res = await request(t.app).get(path).set({ apiKey: ws.key.apiKey, apiSecret: ws.key.apiSecret });
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(res.body).toEqual({
        success: false,
        error: {
          code: 'VALIDATION_FAILED',
          message: 'The request path is not valid percent-encoded UTF-8.',
          details: [],
          requestId: res.headers['x-request-id'],
        },
      });
    }
    expect(t.logs.join('')).not.toMatch(/unhandled error/);
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

  it('when 200 bad secrets for one key arrive at once, then only AUTH_FAILURES_PER_KEY argon2 checks run and the rest get 429 from the budget', async () => {
    const local = await createTestApp({ AUTH_FAILURES_PER_KEY: '10', AUTH_FAILURES_PER_IP: '1000' });
    const { server, close } = await listenOn(local.app);
    try {
      const ws = await createWorkspace(local.runtime.db);
      const key = await createApiKey(local.runtime.db, ws.workspaceId);
      const rssBefore = process.memoryUsage().rss;
      let maxQueued = 0;
      let maxInFlight = 0;
      const watcher = setInterval(() => {
        maxQueued = Math.max(maxQueued, local.runtime.deps.verifier.stats.queued);
        maxInFlight = Math.max(maxInFlight, local.runtime.deps.verifier.stats.inFlight);
      }, 5);
      const responses = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          request(server)
            .get('/api/v1/public/templates')
            .set({ apiKey: key.apiKey, apiSecret: `${'B'.repeat(40)}${String(i).padStart(3, '0')}` }),
        ),
      );
      clearInterval(watcher);
      const byStatus = countBy(responses.map((r) => r.status));
      // A 401 here is a finished argon2 check (the key exists, the secret is well-formed): the
      // budget is reserved before each check, so exactly AUTH_FAILURES_PER_KEY of them ran.
      expect(byStatus).toEqual({ 401: 10, 429: 190 });
      process.stdout.write(
        `auth burst: 200 bad secrets for one key → ${byStatus[401]} argon2 checks (401), ${byStatus[429]} × 429; max ${maxInFlight} running, ${maxQueued} queued\n`,
      );
      for (const r of responses) expect((r.body as { success: boolean }).success).toBe(false);
      for (const r of responses.filter((x) => x.status === 429)) {
        expect((r.body as { error: { message: string } }).error.message).toBe(
          'Too many failed authentication attempts; retry later.',
        );
        const retryAfter = Number(r.headers['retry-after']);
        expect(retryAfter).toBeGreaterThan(0);
        expect(retryAfter).toBeLessThanOrEqual(60);
      }
      expect(maxInFlight).toBeLessThanOrEqual(local.config.auth.maxConcurrentVerifications);
      expect(maxQueued).toBeLessThanOrEqual(local.config.auth.maxQueuedVerifications);
      // Nothing is left behind per request once the burst is over.
      expect(local.runtime.deps.verifier.stats).toMatchObject({
        inFlight: 0,
        queued: 0,
        pendingChecks: 0,
        trackedAttempts: 0,
      });
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 1024 * 1024);
      // The right secret is locked out for this key too while it is throttled.
      const res = await request(server)
        .get('/api/v1/public/templates')
        .set({ apiKey: key.apiKey, apiSecret: key.apiSecret });
      expect(res.status).toBe(429);
    } finally {
      await close();
      await local.close();
    }
  });

  it('when the right pair arrives 50 times at once on a cold cache, then one check serves them all (no 429)', async () => {
    // A budget of one: if each request reserved its own check, 49 would be refused.
    const local = await createTestApp({ AUTH_FAILURES_PER_KEY: '1', AUTH_FAILURES_PER_IP: '1' });
    const { server, close } = await listenOn(local.app);
    try {
      const ws = await createWorkspace(local.runtime.db);
      const key = await createApiKey(local.runtime.db, ws.workspaceId);
      const responses = await Promise.all(
        Array.from({ length: 50 }, () =>
          request(server)
            .get('/api/v1/public/templates')
            .set({ apiKey: key.apiKey, apiSecret: key.apiSecret }),
        ),
      );
      expect(countBy(responses.map((r) => r.status))).toEqual({ 200: 50 });
      // Successes give their reservation back: a wrong secret still gets its one check.
      const wrong = await request(server)
        .get('/api/v1/public/templates')
        .set({ apiKey: key.apiKey, apiSecret: 'C'.repeat(43) });
      expect(wrong.status).toBe(401);
    } finally {
      await close();
      await local.close();
    }
  });

  it('when one client address sends 40 bad attempts at once, then AUTH_FAILURES_PER_IP of them are checked and other addresses are unaffected', async () => {
    // One trusted hop: the address is the right-most X-Forwarded-For entry, as a proxy would add it.
    const local = await createTestApp({
      AUTH_FAILURES_PER_KEY: '1000',
      AUTH_FAILURES_PER_IP: '5',
      TRUST_PROXY: '1',
    });
    const { server, close } = await listenOn(local.app);
    try {
      const ws = await createWorkspace(local.runtime.db);
      const key = await createApiKey(local.runtime.db, ws.workspaceId);
      const from = (address: string) => ({ 'X-Forwarded-For': address });
      const attempts: Array<Record<string, string>> = [
        ...Array.from({ length: 20 }, (_, i) => ({
          apiKey: key.apiKey,
          apiSecret: `${'D'.repeat(40)}${String(i).padStart(3, '0')}`,
        })),
        ...Array.from({ length: 10 }, (_, i) => ({
          apiKey: `pk_${String(i).padStart(40, 'q')}`,
          apiSecret: 'E'.repeat(43),
        })),
        ...Array.from({ length: 10 }, () => ({ apiKey: 'garbage', apiSecret: 'x' })),
      ];
      const responses = await Promise.all(
        attempts.map((h) =>
          request(server)
            .get('/api/v1/public/templates')
            .set({ ...h, ...from('203.0.113.7') }),
        ),
      );
      expect(countBy(responses.map((r) => r.status))).toEqual({ 401: 5, 429: 35 });
      for (const r of responses.filter((x) => x.status === 429))
        expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);

      const ok = { apiKey: key.apiKey, apiSecret: key.apiSecret };
      // The spent address is refused even with the right secret (the pair is not cached yet) …
      expect(
        (
          await request(server)
            .get('/api/v1/public/templates')
            .set({ ...ok, ...from('203.0.113.7') })
        ).status,
      ).toBe(429);
      // … while another address still gets a check: a wrong secret is a plain 401, the right one 200.
      const other = from('203.0.113.8');
      expect(
        (
          await request(server)
            .get('/api/v1/public/templates')
            .set({ apiKey: key.apiKey, apiSecret: 'F'.repeat(43), ...other })
        ).status,
      ).toBe(401);
      expect(
        (
          await request(server)
            .get('/api/v1/public/templates')
            .set({ ...ok, ...other })
        ).status,
      ).toBe(200);
    } finally {
      await close();
      await local.close();
    }
  });

  describe.each([
    ['false', 'ignored: every attempt is the socket address'],
    ['1', 'one hop: the entry our proxy appended, whatever the client put before it'],
    ['loopback', 'a trusted subnet: the right-most entry not in it'],
  ])('TRUST_PROXY=%s (%s)', (trustProxy) => {
    it('when a client rotates the X-Forwarded-For it sends, then it still spends one address budget', async () => {
      const local = await createTestApp({
        AUTH_FAILURES_PER_KEY: '1000',
        AUTH_FAILURES_PER_IP: '3',
        TRUST_PROXY: trustProxy,
      });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 6; i += 1) {
          const res = await request(local.app)
            .get('/api/v1/public/templates')
            // What a client forges, then what the (single) proxy in front appends.
            .set({ apiKey: 'nope', 'X-Forwarded-For': `198.51.100.${i}, 203.0.113.9` });
          statuses.push(res.status);
        }
        expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
        if (trustProxy !== 'false') {
          // The proxy's entry is the address: a different one has its own budget.
          const res = await request(local.app)
            .get('/api/v1/public/templates')
            .set({ apiKey: 'nope', 'X-Forwarded-For': '198.51.100.1, 203.0.113.10' });
          expect(res.status).toBe(401);
        }
      } finally {
        await local.close();
      }
    });
  });
});
