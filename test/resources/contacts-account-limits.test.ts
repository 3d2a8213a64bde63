/**
 * Partner resources through the public doors (docs/contracts.md §11, §12): the contacts write
 * routes and their pagination, GET /account, and per-key rate limits shared through Redis.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import {
  addPhoneNumber,
  createApiKey,
  createTestApp,
  createWorkspace,
  TcpProxy,
  type TestApp,
} from '@flowgate/testing';

type Headers = Record<string, string>;
const body = (res: { body: unknown }) =>
  res.body as {
    data: Record<string, unknown>;
    error?: { code: string; details?: Array<{ path: string; message: string }> };
  };

async function partnerOf(t: TestApp): Promise<{ workspaceId: string; headers: Headers }> {
  const ws = await createWorkspace(t.runtime.db);
  await addPhoneNumber(t.runtime.db, t.config.secretKey, ws.workspaceId, { isDefault: true });
  const key = await createApiKey(t.runtime.db, ws.workspaceId);
  return { workspaceId: ws.workspaceId, headers: { apiKey: key.apiKey, apiSecret: key.apiSecret } };
}

describe('contacts and account', () => {
  let t: TestApp;
  let p: { workspaceId: string; headers: Headers };
  let other: { workspaceId: string; headers: Headers };
  beforeAll(async () => {
    t = await createTestApp();
    p = await partnerOf(t);
    other = await partnerOf(t);
  });
  afterAll(async () => {
    await t.close();
  });

  it('creates, refuses a duplicate phone with 409 naming the existing contact, merges attributes, deletes', async () => {
    const created = await request(t.app)
      .post('/api/v1/public/contacts')
      .set(p.headers)
      .send({
        phone: '+44 7700-900123',
        name: 'Ann',
        tags: ['vip'],
        attributes: { plan: 'gold', visits: 3 },
      });
    expect(created.status).toBe(201);
    const id = String(body(created).data['id']);
    expect(body(created).data).toMatchObject({
      phone: '447700900123',
      name: 'Ann',
      tags: ['vip'],
      optedOut: false,
    });
    const dup = await request(t.app)
      .post('/api/v1/public/contacts')
      .set(p.headers)
      .send({ phone: '447700900123' });
    expect(dup.status).toBe(409);
    expect(body(dup).error?.code).toBe('CONTACT_EXISTS');
    expect(body(dup).error?.details?.[0]?.message).toContain(id);
    // The same phone in another workspace is another contact.
    expect(
      (
        await request(t.app)
          .post('/api/v1/public/contacts')
          .set(other.headers)
          .send({ phone: '447700900123' })
      ).status,
    ).toBe(201);

    const patched = await request(t.app)
      .patch(`/api/v1/public/contacts/${id}`)
      .set(p.headers)
      .send({ tags: ['vip', 'b2b'], attributes: { visits: 4, plan: null, city: 'Leeds' } });
    expect(patched.status).toBe(200);
    expect(body(patched).data).toMatchObject({
      tags: ['vip', 'b2b'],
      attributes: { visits: 4, city: 'Leeds' },
    });
    expect(body(patched).data['attributes']).not.toHaveProperty('plan');

    const many = Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`k${i}`, i]));
    const tooMany = await request(t.app)
      .patch(`/api/v1/public/contacts/${id}`)
      .set(p.headers)
      .send({ attributes: many });
    expect(tooMany.status).toBe(400);

    for (const [method, send] of [
      ['get', undefined],
      ['patch', { name: 'x' }],
      ['delete', undefined],
    ] as const) {
      const res = await request(t.app)[method](`/api/v1/public/contacts/${id}`).set(other.headers).send(send);
      expect([method, res.status]).toEqual([method, 404]);
    }
    expect((await request(t.app).delete(`/api/v1/public/contacts/${id}`).set(p.headers)).status).toBe(200);
    expect((await request(t.app).get(`/api/v1/public/contacts/${id}`).set(p.headers)).status).toBe(404);
    expect((await request(t.app).delete(`/api/v1/public/contacts/${id}`).set(p.headers)).status).toBe(404);
  });

  it.each([
    [{}],
    [{ phone: '12' }],
    [{ phone: '447700900124', tags: Array.from({ length: 51 }, (_, i) => `t${i}`) }],
    [{ phone: '447700900124', tags: ['x'.repeat(65)] }],
    [{ phone: '447700900124', attributes: { a: { nested: true } } }],
    [{ phone: '447700900124', email: 'not-an-email' }],
    [{ phone: '447700900124', extra: 1 }],
    [[]],
  ])('refuses %j with 400', async (bad) => {
    const res = await request(t.app).post('/api/v1/public/contacts').set(p.headers).send(bad);
    expect(res.status).toBe(400);
  });

  it('pages through 250 contacts newest first with no duplicate or gap while rows are inserted', async () => {
    const q = await partnerOf(t);
    const phones = Array.from({ length: 250 }, (_, i) => `4420${String(i).padStart(8, '0')}`);
    for (let i = 0; i < phones.length; i += 25)
      await Promise.all(
        phones
          .slice(i, i + 25)
          .map((phone) => request(t.app).post('/api/v1/public/contacts').set(q.headers).send({ phone })),
      );
    const seen: string[] = [];
    let cursor: string | null = null;
    let extra = 0;
    do {
      const res = await request(t.app)
        .get('/api/v1/public/contacts')
        .query({ limit: 37, ...(cursor ? { cursor } : {}) })
        .set(q.headers);
      expect(res.status).toBe(200);
      const data = body(res).data as { contacts: Array<{ phone: string }>; nextCursor: string | null };
      seen.push(...data.contacts.map((c) => c.phone));
      cursor = data.nextCursor;
      // Inserted while paging: newer than every cursor, so never in a later page.
      await request(t.app)
        .post('/api/v1/public/contacts')
        .set(q.headers)
        .send({ phone: `4430${String(extra).padStart(8, '0')}` });
      extra += 1;
    } while (cursor);
    const original = seen.filter((ph) => phones.includes(ph));
    expect(original).toHaveLength(250);
    expect(new Set(seen).size).toBe(seen.length);
    const search = await request(t.app)
      .get('/api/v1/public/contacts')
      .query({ search: '442000000012' })
      .set(q.headers);
    expect((body(search).data['contacts'] as unknown[]).length).toBe(1);
    for (const forged of [
      'x',
      Buffer.from('2026-01-01T00:00:00.000Z|nope').toString('base64url'),
      'a'.repeat(600),
    ]) {
      const res = await request(t.app)
        .get('/api/v1/public/contacts')
        .query({ cursor: forged })
        .set(q.headers);
      expect(res.status).toBe(400);
    }
  });

  it('GET /account: the workspace, its numbers, this month’s usage and its rate limit', async () => {
    const q = await partnerOf(t);
    await request(t.app)
      .post('/api/v1/public/messages/send')
      .set(q.headers)
      .send({ type: 'text', phone: '447700900125', content: 'hi' });
    const res = await request(t.app).get('/api/v1/public/account').set(q.headers);
    expect(res.status).toBe(200);
    const data = body(res).data as {
      workspace: { id: string };
      phoneNumbers: Array<{ isDefault: boolean; webhookConnected: boolean }>;
      usage: { period: string; messages: { accepted: number } };
      rateLimit: { requestsPerSecond: number; burst: number };
    };
    expect(data.workspace.id).toBe(q.workspaceId);
    expect(data.phoneNumbers).toEqual([
      expect.objectContaining({ isDefault: true, webhookConnected: false }),
    ]);
    expect(data.usage.period).toBe(new Date().toISOString().slice(0, 7));
    expect(data.usage.messages.accepted).toBe(1);
    expect(data.rateLimit.requestsPerSecond).toBeGreaterThan(0);
  });
});

describe('partner rate limits (docs/contracts.md §12)', () => {
  const apps: TestApp[] = [];
  // Each test's apps are closed after it: their pools would otherwise add up to PostgreSQL's
  // connection limit while other test files run alongside.
  afterEach(async () => {
    for (const a of apps.splice(0)) await a.close();
  });
  const limited = async (env: Record<string, string>) => {
    const a = await createTestApp({
      PARTNER_RATE_LIMIT_PER_SECOND: '5',
      PARTNER_RATE_LIMIT_BURST: '10',
      ...env,
    });
    apps.push(a);
    return a;
  };

  it('answers RateLimit-* headers, then 429 RATE_LIMITED with Retry-After beyond the burst', async () => {
    const a = await limited({});
    const q = await partnerOf(a);
    const results = await Promise.all(
      Array.from({ length: 30 }, () => request(a.app).get('/api/v1/public/templates').set(q.headers)),
    );
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 429);
    expect(ok.length).toBeGreaterThanOrEqual(5);
    expect(ok.length).toBeLessThanOrEqual(10);
    expect(refused.length).toBe(30 - ok.length);
    expect(ok[0]?.headers['ratelimit-limit']).toBe('5');
    expect(refused[0]?.headers['retry-after']).toMatch(/^\d+$/);
    expect(body(refused[0] ?? { body: {} }).error?.code).toBe('RATE_LIMITED');
  });

  it('two API processes sharing Redis enforce one budget, not two', async () => {
    const redisEnv = { REDIS_URL: 'redis://127.0.0.1:6379' };
    const a = await limited(redisEnv);
    const b = await limited(redisEnv);
    const q = await partnerOf(a);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        request((i % 2 === 0 ? a : b).app)
          .get('/api/v1/public/templates')
          .set(q.headers),
      ),
    );
    const ok = results.filter((r) => r.status === 200).length;
    expect(ok).toBeGreaterThanOrEqual(5);
    expect(ok).toBeLessThanOrEqual(10);
  });

  it('failed-auth budgets are shared through Redis too: two processes allow one budget of wrong secrets', async () => {
    const redisEnv = {
      REDIS_URL: 'redis://127.0.0.1:6379',
      AUTH_FAILURES_PER_KEY: '6',
      AUTH_FAILURES_PER_IP: '1000',
    };
    const a = await limited(redisEnv);
    const b = await limited(redisEnv);
    const q = await partnerOf(a);
    const wrong = { apiKey: q.headers['apiKey'] ?? '', apiSecret: 'x'.repeat(43) };
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        request((i % 2 === 0 ? a : b).app)
          .get('/api/v1/public/templates')
          .set(wrong),
      ),
    );
    const checked = results.filter((r) => r.status === 401).length;
    const throttled = results.filter((r) => r.status === 429).length;
    // One budget of 6 argon2 checks for the key across both processes (two would allow 12).
    expect(checked).toBeGreaterThanOrEqual(1);
    expect(checked).toBeLessThanOrEqual(6);
    expect(checked + throttled).toBe(30);
  });

  it('Redis stopped mid-test (its connection cut and refused): requests keep working, then share again once it is back', async () => {
    const proxy = await TcpProxy.start('127.0.0.1', 6379);
    try {
      const redisEnv = { REDIS_URL: `redis://127.0.0.1:${proxy.port}` };
      const a = await limited(redisEnv);
      const b = await limited(redisEnv);
      const q = await partnerOf(a);
      const burst = async (): Promise<number[]> =>
        (
          await Promise.all(
            Array.from({ length: 40 }, (_, i) =>
              request((i % 2 === 0 ? a : b).app)
                .get('/api/v1/public/templates')
                .set(q.headers),
            ),
          )
        ).map((r) => r.status);
      // Both processes reach Redis (through the proxy) before the first burst is counted.
      await Promise.all([a, b].map((x) => request(x.app).get('/api/v1/public/templates').set(q.headers)));
      await new Promise((r) => setTimeout(r, 1500));
      const shared = await burst();
      expect(shared.filter((st) => st === 200).length).toBeLessThanOrEqual(10);
      // Redis goes away: every request still gets an answer (200 or 429), never a 5xx.
      proxy.refuse();
      await new Promise((r) => setTimeout(r, 1100));
      const during = await burst();
      expect(during.every((st) => st === 200 || st === 429)).toBe(true);
      expect(during.filter((st) => st === 200).length).toBeGreaterThan(0);
      // Back: one budget again.
      proxy.accept();
      await new Promise((r) => setTimeout(r, 3000));
      const after = await burst();
      expect(after.every((st) => st === 200 || st === 429)).toBe(true);
      expect(after.filter((st) => st === 200).length).toBeLessThanOrEqual(10);
    } finally {
      await proxy.close();
    }
  });

  it('Redis unreachable: requests keep working, limited per process', async () => {
    const a = await limited({ REDIS_URL: 'redis://127.0.0.1:9' });
    const q = await partnerOf(a);
    const first = await request(a.app).get('/api/v1/public/templates').set(q.headers);
    expect(first.status).toBe(200);
    const results = await Promise.all(
      Array.from({ length: 30 }, () => request(a.app).get('/api/v1/public/templates').set(q.headers)),
    );
    expect(results.some((r) => r.status === 429)).toBe(true);
    expect(results.every((r) => r.status === 200 || r.status === 429)).toBe(true);
  });

  it('a workspace’s own limit applies (workspace:set-rate-limit) and shows in GET /account', async () => {
    const a = await limited({});
    const q = await partnerOf(a);
    await a.infra.stores.workspaces.setRateLimit(q.workspaceId, 2, 3);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => request(a.app).get('/api/v1/public/templates').set(q.headers)),
    );
    expect(results.filter((r) => r.status === 200).length).toBeLessThanOrEqual(3);
    await new Promise((r) => setTimeout(r, 2100));
    const account = await request(a.app).get('/api/v1/public/account').set(q.headers);
    expect(body(account).data['rateLimit'] as Record<string, number>).toEqual({
      requestsPerSecond: 2,
      burst: 3,
    });
    expect(randomUUID()).toBeDefined();
  });
});

describe('scoped keys and address allowlists (docs/contracts.md §12)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });
  const keyWith = async (opts: { scopes?: string[]; allowedIps?: string[] }) => {
    const ws = await createWorkspace(t.runtime.db);
    await addPhoneNumber(t.runtime.db, t.config.secretKey, ws.workspaceId, { isDefault: true });
    const key = await t.runtime.deps.apiKeys.create({ workspaceId: ws.workspaceId, ...opts });
    return { apiKey: key.apiKey, apiSecret: key.apiSecret };
  };
  const SEND_ROUTES = ['send', 'send-media', 'send-template', 'send-buttons', 'send-location'];

  it('a key without messages:send → 403 INSUFFICIENT_SCOPE on every send route, 200 on what it has', async () => {
    const headers = await keyWith({ scopes: ['templates:read', 'account:read', 'contacts:read'] });
    for (const route of SEND_ROUTES) {
      const res = await request(t.app)
        .post(`/api/v1/public/messages/${route}`)
        .set(headers)
        .send({ to: '447700900126', message: 'x' });
      expect([route, res.status, body(res).error?.code]).toEqual([route, 403, 'INSUFFICIENT_SCOPE']);
    }
    for (const path of ['/templates', '/account', '/contacts', '/conversations'])
      expect([path, (await request(t.app).get(`/api/v1/public${path}`).set(headers)).status]).toEqual([
        path,
        200,
      ]);
    const webhooks = await request(t.app).get('/api/v1/public/webhooks').set(headers);
    expect(body(webhooks).error?.code).toBe('INSUFFICIENT_SCOPE');
    const write = await request(t.app)
      .post('/api/v1/public/contacts')
      .set(headers)
      .send({ phone: '447700900127' });
    expect(body(write).error?.code).toBe('INSUFFICIENT_SCOPE');
  });

  it('a key limited to 203.0.113.0/24 → 403 IP_NOT_ALLOWED from 127.0.0.1; one allowing loopback works', async () => {
    const far = await keyWith({ allowedIps: ['203.0.113.0/24'] });
    const res = await request(t.app).get('/api/v1/public/templates').set(far);
    expect([res.status, body(res).error?.code]).toEqual([403, 'IP_NOT_ALLOWED']);
    const near = await keyWith({ allowedIps: ['203.0.113.0/24', '127.0.0.1', '::1'] });
    expect((await request(t.app).get('/api/v1/public/templates').set(near)).status).toBe(200);
  });

  it('refuses bad scopes and addresses at creation, and lists what a key may do', async () => {
    const ws = await createWorkspace(t.runtime.db);
    await expect(
      t.runtime.deps.apiKeys.create({ workspaceId: ws.workspaceId, allowedIps: ['nope', '10.0.0.0/99'] }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await t.runtime.deps.apiKeys.create({
      workspaceId: ws.workspaceId,
      scopes: ['messages:read'],
      allowedIps: ['10.0.0.0/8'],
    });
    const [listed] = await t.runtime.deps.apiKeys.list(ws.workspaceId);
    expect(listed).toMatchObject({ scopes: ['messages:read'], allowedIps: ['10.0.0.0/8'] });
  });
});

describe('admin login throttle', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('200 parallel wrong passwords: at most the budget is checked (401), the rest 429; a right one after still works elsewhere', async () => {
    const ws = await createWorkspace(t.runtime.db);
    const results = await Promise.all(
      Array.from({ length: 200 }, () =>
        request(t.app).post('/api/v1/auth/login').send({ email: ws.ownerEmail, password: 'wrong password!' }),
      ),
    );
    const checked = results.filter((r) => r.status === 401).length;
    const refused = results.filter((r) => r.status === 429).length;
    expect(checked).toBeLessThanOrEqual(10);
    expect(checked + refused).toBe(200);
    expect(results.find((r) => r.status === 429)?.headers['retry-after']).toMatch(/^\d+$/);
    // Another account from the same address is bounded too (30 per minute per address).
    const other = await createWorkspace(t.runtime.db);
    const more = await Promise.all(
      Array.from({ length: 40 }, () =>
        request(t.app)
          .post('/api/v1/auth/login')
          .send({ email: other.ownerEmail, password: 'wrong password!' }),
      ),
    );
    expect(more.filter((r) => r.status === 401).length).toBeLessThanOrEqual(20);
  });
});

describe('templates: ?status= and GET /templates/{id} (docs/contracts.md §2.3)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('lists approved by default, one status or ALL on request, and one by id (404 for another workspace)', async () => {
    const q = await partnerOf(t);
    const other = await partnerOf(t);
    const body1 = {
      language: 'en_US',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Hi {{1}}' }],
    };
    await t.runtime.deps.templates.add(q.workspaceId, { ...body1, name: 'approved_one', status: 'APPROVED' });
    await t.runtime.deps.templates.add(q.workspaceId, { ...body1, name: 'pending_one', status: 'PENDING' });
    const names = async (query: Record<string, string>) =>
      (
        (body(await request(t.app).get('/api/v1/public/templates').query(query).set(q.headers)).data[
          'templates'
        ] as Array<{ name: string; id: string }>) ?? []
      ).map((x) => x.name);
    expect(await names({})).toEqual(['approved_one']);
    expect(await names({ status: 'PENDING' })).toEqual(['pending_one']);
    expect(await names({ status: 'ALL' })).toEqual(['approved_one', 'pending_one']);
    expect(
      (await request(t.app).get('/api/v1/public/templates').query({ status: 'bad status' }).set(q.headers))
        .status,
    ).toBe(400);
    const all = body(
      await request(t.app).get('/api/v1/public/templates').query({ status: 'ALL' }).set(q.headers),
    ).data['templates'] as Array<{ name: string; id: string }>;
    const pending = all.find((x) => x.name === 'pending_one');
    const one = await request(t.app)
      .get(`/api/v1/public/templates/${pending?.id ?? ''}`)
      .set(q.headers);
    expect(one.status).toBe(200);
    expect(body(one).data).toMatchObject({ name: 'pending_one', status: 'PENDING', variables: ['1'] });
    expect(
      (
        await request(t.app)
          .get(`/api/v1/public/templates/${pending?.id ?? ''}`)
          .set(other.headers)
      ).status,
    ).toBe(404);
  });
});
