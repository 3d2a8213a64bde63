/**
 * The dashboard's server side (docs/contracts.md §13, ADR 0045) through the public doors: the
 * cookie session and its CSRF token, roles (members read, owners and admins change), the admin
 * resource routes on the partner use cases, cross-workspace isolation, hostile input, and the
 * static app with its cache headers and CSP.
 */
import { writeFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { buildApp } from '@flowgate/public-api';
import {
  addMember,
  addPhoneNumber,
  createApiKey,
  createTestApp,
  createWorkspace,
  PASSWORD,
  type TestApp,
} from '@flowgate/testing';
import { sessionOf, setCookieOf, type CookieSession } from './helpers';

type Body = { data: Record<string, unknown>; error?: { code: string; message: string } };
const body = (res: { body: unknown }): Body => res.body as Body;
const MISSING = '00000000-0000-4000-8000-000000000000';

describe('dashboard session and admin resources', () => {
  let t: TestApp;
  let ws: Awaited<ReturnType<typeof createWorkspace>>;
  let other: Awaited<ReturnType<typeof createWorkspace>>;
  let owner: CookieSession;
  let member: CookieSession;
  let otherOwner: CookieSession;
  let partner: { apiKey: string; apiSecret: string };
  beforeAll(async () => {
    t = await createTestApp();
    ws = await createWorkspace(t.runtime.db);
    other = await createWorkspace(t.runtime.db);
    await addPhoneNumber(t.runtime.db, t.config.secretKey, ws.workspaceId, { isDefault: true });
    await addPhoneNumber(t.runtime.db, t.config.secretKey, other.workspaceId, { isDefault: true });
    const m = await addMember(t.runtime.db, ws.workspaceId, 'member');
    owner = await sessionOf(t.app, ws.ownerEmail, PASSWORD);
    member = await sessionOf(t.app, m.email, PASSWORD);
    otherOwner = await sessionOf(t.app, other.ownerEmail, PASSWORD);
    const key = await createApiKey(t.runtime.db, ws.workspaceId);
    partner = { apiKey: key.apiKey, apiSecret: key.apiSecret };
  });
  afterAll(async () => {
    await t.close();
  });
  const base = () => `/api/v1/workspaces/${ws.workspaceId}`;
  const as = (s: CookieSession, csrf = true) => ({
    Cookie: s.cookie,
    ...(csrf ? { 'X-CSRF-Token': s.csrfToken } : {}),
  });

  it('when signing in, then an HttpOnly SameSite=Strict cookie with an expiry, and no token in the body', async () => {
    const res = await request(t.app)
      .post('/api/v1/auth/session')
      .send({ email: ws.ownerEmail, password: PASSWORD });
    expect(res.status).toBe(200);
    const cookie = setCookieOf(res.headers['set-cookie']).find((c) => c.startsWith('flowgate_session='));
    expect(cookie).toBeDefined();
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).toMatch(/; Path=\/api\/v1/);
    expect(cookie).toMatch(/; Max-Age=28800/);
    // PostgreSQL (not embedded, not development): Secure.
    expect(cookie).toMatch(/; Secure/);
    expect(res.headers['cache-control']).toBe('no-store');
    const data = body(res).data;
    expect(Object.keys(data).sort()).toEqual(['csrfToken', 'expiresAt', 'user', 'workspaces']);
    expect(data['workspaces']).toEqual([expect.objectContaining({ id: ws.workspaceId, role: 'owner' })]);
    expect(JSON.stringify(data)).not.toContain(cookie?.split(';')[0]?.split('=')[1]);
  });

  it('when sessions are used, then no log line holds the cookie, the CSRF token or a password', async () => {
    await request(t.app).get(`${base()}/webhooks`).set(as(owner));
    await request(t.app).post(`${base()}/api-keys`).set(as(owner, false)).send({});
    const logs = t.logs.join('\n');
    expect(logs).toContain('/api/v1/workspaces/:workspaceId');
    for (const secret of [owner.cookie.split('=')[1] ?? 'x', owner.csrfToken, member.csrfToken, PASSWORD])
      expect(logs).not.toContain(secret);
  });

  it('when the session is for development (embedded mode), then the cookie is not Secure', async () => {
    const app = buildApp({ ...t.runtime.deps, session: { ...t.runtime.deps.session, secureCookie: false } });
    const s = await sessionOf(app, ws.ownerEmail, PASSWORD);
    expect(s.setCookie).not.toMatch(/Secure/);
    expect(s.setCookie).toMatch(/HttpOnly/);
  });

  it('when asking who is signed in, then the user, workspaces with roles and the CSRF token; 401 without or with a forged cookie', async () => {
    const me = await request(t.app).get('/api/v1/auth/me').set('Cookie', member.cookie);
    expect(me.status).toBe(200);
    expect(body(me).data['workspaces']).toEqual([
      expect.objectContaining({ id: ws.workspaceId, role: 'member' }),
    ]);
    expect(body(me).data['csrfToken']).toBe(member.csrfToken);
    expect((await request(t.app).get('/api/v1/auth/me')).status).toBe(401);
    const forged = await request(t.app)
      .get('/api/v1/auth/me')
      .set('Cookie', 'flowgate_session=eyJhbGciOiJub25lIn0.e30.');
    expect(forged.status).toBe(401);
    expect(body(forged).error?.code).toBe('UNAUTHORIZED');
    // A Bearer JWT of /auth/login is not a session cookie (another audience).
    const login = await request(t.app)
      .post('/api/v1/auth/login')
      .send({ email: ws.ownerEmail, password: PASSWORD });
    const jwtToken = String(body(login).data['token']);
    expect(
      (await request(t.app).get('/api/v1/auth/me').set('Cookie', `flowgate_session=${jwtToken}`)).status,
    ).toBe(401);
  });

  it('when a state-changing call comes with the cookie but without the CSRF token (a cross-site POST), then 403 JSON and nothing changes', async () => {
    const before = await t.runtime
      .db('api_keys')
      .where({ workspace_id: ws.workspaceId })
      .count<[{ count: string }]>('* as count');
    const cross = await request(t.app)
      .post(`${base()}/api-keys`)
      .set('Cookie', owner.cookie)
      .set('Origin', 'https://evil.example')
      .send({ label: 'csrf' });
    expect(cross.status).toBe(403);
    expect(cross.headers['content-type']).toMatch(/application\/json/);
    expect(body(cross).error?.code).toBe('FORBIDDEN');
    const wrong = await request(t.app)
      .post(`${base()}/api-keys`)
      .set({ Cookie: owner.cookie, 'X-CSRF-Token': member.csrfToken })
      .send({ label: 'csrf' });
    expect(wrong.status).toBe(403);
    for (const [method, path] of [
      ['delete', `${base()}/api-keys/${MISSING}`],
      ['post', `${base()}/webhooks`],
      ['patch', `${base()}/webhooks/${MISSING}`],
      ['delete', '/api/v1/auth/session'],
    ] as const) {
      const res = await request(t.app)[method](path).set('Cookie', owner.cookie).send({});
      expect([method, path, res.status]).toEqual([method, path, 403]);
    }
    const after = await t.runtime
      .db('api_keys')
      .where({ workspace_id: ws.workspaceId })
      .count<[{ count: string }]>('* as count');
    expect(after[0]?.count).toBe(before[0]?.count);
    const ok = await request(t.app).post(`${base()}/api-keys`).set(as(owner)).send({ label: 'with csrf' });
    expect(ok.status).toBe(201);
  });

  it('when a member signs in, then they read every page and every change is 403', async () => {
    for (const path of [
      'api-keys',
      'webhooks',
      'messages',
      'contacts',
      'templates',
      'phone-numbers',
      'broadcasts',
    ]) {
      const res = await request(t.app).get(`${base()}/${path}`).set(as(member, false));
      expect([path, res.status]).toEqual([path, 200]);
    }
    for (const [method, path, payload] of [
      ['post', 'api-keys', { label: 'x' }],
      ['post', 'webhooks', { url: 'https://example.com/hook', events: ['*'] }],
      ['post', 'contacts', { phone: '447700900111' }],
      ['delete', `api-keys/${MISSING}`, {}],
      ['post', `broadcasts/${MISSING}/cancel`, {}],
    ] as const) {
      const res = await request(t.app)[method](`${base()}/${path}`).set(as(member)).send(payload);
      expect([method, path, res.status, body(res).error?.code]).toEqual([method, path, 403, 'FORBIDDEN']);
    }
  });

  it('when templates are synced from the dashboard, then the cookie with its CSRF token works (owners), members get 403', async () => {
    const sync = `${base()}/templates/sync`;
    const ok = await request(t.app).post(sync).set(as(owner)).send({});
    expect(ok.status).toBe(200);
    // The test numbers have no WABA id: nothing to read.
    expect(body(ok).data['wabaIds']).toEqual([]);
    expect((await request(t.app).post(sync).set(as(owner, false)).send({})).status).toBe(403);
    expect((await request(t.app).post(sync).set(as(member)).send({})).status).toBe(403);
    expect((await request(t.app).post(sync).send({})).status).toBe(401);
  });

  it('when another workspace is named, then 403 on every route; its resources by id are 404 from one’s own', async () => {
    const otherBase = `/api/v1/workspaces/${other.workspaceId}`;
    for (const path of [
      'api-keys',
      'webhooks',
      'messages',
      'contacts',
      'templates',
      'phone-numbers',
      'broadcasts',
    ]) {
      const res = await request(t.app).get(`${otherBase}/${path}`).set(as(owner));
      expect([path, res.status]).toEqual([path, 403]);
    }
    expect((await request(t.app).post(`${otherBase}/api-keys`).set(as(owner)).send({})).status).toBe(403);
    // The other workspace's webhook and message, reached through one's own workspace: 404.
    const hook = await request(t.app)
      .post(`${otherBase}/webhooks`)
      .set(as(otherOwner))
      .send({ url: 'https://example.com/other', events: ['*'] });
    expect(hook.status).toBe(201);
    const hookId = String(body(hook).data['id']);
    expect((await request(t.app).get(`${base()}/webhooks/${hookId}/deliveries`).set(as(owner))).status).toBe(
      404,
    );
    expect((await request(t.app).delete(`${base()}/webhooks/${hookId}`).set(as(owner))).status).toBe(404);
    // Nobody signs in as the other workspace with a cookie of this one.
    expect((await request(t.app).get(`${otherBase}/webhooks`).set(as(member))).status).toBe(403);
  });

  it('when ids, bodies and queries are hostile, then 4xx JSON, never 5xx', async () => {
    const cases: Array<[string, () => request.Test, number]> = [
      [
        'workspace not a uuid',
        () => request(t.app).get('/api/v1/workspaces/nope/messages').set(as(owner)),
        404,
      ],
      ['message not a uuid', () => request(t.app).get(`${base()}/messages/1%27;drop`).set(as(owner)), 404],
      ['message unknown', () => request(t.app).get(`${base()}/messages/${MISSING}`).set(as(owner)), 404],
      ['bad status', () => request(t.app).get(`${base()}/messages?status=LOST`).set(as(owner)), 400],
      [
        'bad direction',
        () => request(t.app).get(`${base()}/messages?direction=sideways`).set(as(owner)),
        400,
      ],
      ['bad cursor', () => request(t.app).get(`${base()}/messages?cursor=AAAA`).set(as(owner)), 400],
      ['bad limit', () => request(t.app).get(`${base()}/messages?limit=1000`).set(as(owner)), 400],
      ['extra query', () => request(t.app).get(`${base()}/messages?x=1`).set(as(owner)), 400],
      [
        'bad template status',
        () => request(t.app).get(`${base()}/templates?status=A&status=B`).set(as(owner)),
        400,
      ],
      [
        'long search',
        () =>
          request(t.app)
            .get(`${base()}/contacts?search=${'a'.repeat(300)}`)
            .set(as(owner)),
        400,
      ],
      [
        'webhook bad body',
        () => request(t.app).post(`${base()}/webhooks`).set(as(owner)).send({ url: 5 }),
        400,
      ],
      [
        'webhook ftp url',
        () =>
          request(t.app)
            .post(`${base()}/webhooks`)
            .set(as(owner))
            .send({ url: 'ftp://example.com/x', events: ['*'] }),
        400,
      ],
      ['webhook id', () => request(t.app).post(`${base()}/webhooks/zzz/test`).set(as(owner)), 404],
      ['session bad body', () => request(t.app).post('/api/v1/auth/session').send({ email: 'x' }), 400],
      ['session array', () => request(t.app).post('/api/v1/auth/session').send([1]), 400],
      ['broadcast id', () => request(t.app).get(`${base()}/broadcasts/zzz`).set(as(owner)), 404],
      [
        'broadcast unknown',
        () => request(t.app).post(`${base()}/broadcasts/${MISSING}/cancel`).set(as(owner)),
        404,
      ],
      ['broadcast status', () => request(t.app).get(`${base()}/broadcasts?status=NOPE`).set(as(owner)), 400],
      [
        'key label too long',
        () =>
          request(t.app)
            .post(`${base()}/api-keys`)
            .set(as(owner))
            .send({ label: 'x'.repeat(101) }),
        400,
      ],
    ];
    for (const [name, call, expected] of cases) {
      const res = await call();
      expect([name, res.status]).toEqual([name, expected]);
      expect(res.headers['content-type']).toMatch(/application\/json/);
    }
  });

  it('when the partner sends, then the message log lists it, filters by status and shows its history; phone numbers and templates are listed', async () => {
    const sent = await request(t.app).post('/api/v1/public/messages/send').set(partner).send({
      type: 'template',
      phone: '919876543210',
      templateName: 'missing_template',
      templateLanguage: 'en_US',
    });
    // No such template: a message the log never shows. Now a real one.
    expect(sent.status).toBeGreaterThanOrEqual(400);
    await t.runtime.db('contacts').where({ workspace_id: ws.workspaceId }).delete();
    const contact = await request(t.app)
      .post(`${base()}/contacts`)
      .set(as(owner))
      .send({ phone: '447700900222', name: 'Ann Dashboard' });
    expect(contact.status).toBe(201);
    const found = await request(t.app).get(`${base()}/contacts?search=dashboard`).set(as(member));
    expect((body(found).data['contacts'] as unknown[]).length).toBe(1);

    const numbers = await request(t.app).get(`${base()}/phone-numbers`).set(as(member));
    expect(numbers.status).toBe(200);
    expect(body(numbers).data['phoneNumbers']).toEqual([
      expect.objectContaining({ isDefault: true, webhookConnected: false }),
    ]);
    const templates = await request(t.app).get(`${base()}/templates`).set(as(member));
    expect(templates.status).toBe(200);

    const list = await request(t.app).get(`${base()}/messages`).set(as(member));
    expect(list.status).toBe(200);
    const none = await request(t.app)
      .get(`${base()}/messages?status=FAILED&direction=outbound`)
      .set(as(member));
    expect(none.status).toBe(200);
  });

  it('when the log is paged, then every send appears once, newest first, with its history one click away; a status filter keeps that status only', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const sent = await request(t.app)
        .post('/api/v1/public/messages/send')
        .set(partner)
        .send({ type: 'text', phone: `4477009004${i}0`, content: `Log line ${i}` });
      expect(sent.status).toBe(201);
      ids.push(String(body(sent).data['id']));
    }
    const seen: Array<{ id: string; createdAt: string; status: string; preview: string }> = [];
    let cursor: string | null = null;
    do {
      const res = await request(t.app)
        .get(`${base()}/messages?limit=2&direction=outbound${cursor === null ? '' : `&cursor=${cursor}`}`)
        .set(as(member));
      expect(res.status).toBe(200);
      seen.push(...(body(res).data['messages'] as typeof seen));
      cursor = body(res).data['nextCursor'] as string | null;
    } while (cursor !== null);
    const mine = seen.filter((m) => ids.includes(m.id));
    expect(mine.map((m) => m.id).sort()).toEqual([...ids].sort());
    expect(new Set(seen.map((m) => m.id)).size).toBe(seen.length);
    const times = seen.map((m) => m.createdAt);
    expect([...times].sort().reverse()).toEqual(times);
    expect(mine.find((m) => m.id === ids[0])?.preview).toBe('Log line 0');

    const status = mine[0]?.status ?? 'ACCEPTED';
    const filtered = await request(t.app)
      .get(`${base()}/messages?status=${status}&limit=100`)
      .set(as(member));
    const rows = body(filtered).data['messages'] as typeof seen;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((m) => m.status === status)).toBe(true);

    const one = await request(t.app)
      .get(`${base()}/messages/${ids[0] ?? ''}`)
      .set(as(member));
    expect(one.status).toBe(200);
    expect((body(one).data['history'] as Array<{ status: string }>)[0]?.status).toBe('ACCEPTED');
    // Another workspace's message through this workspace: 404.
    const otherOne = await request(t.app)
      .get(`/api/v1/workspaces/${other.workspaceId}/messages/${ids[0] ?? ''}`)
      .set(as(otherOwner));
    expect(otherOne.status).toBe(404);
  });
});

describe('dashboard login throttle', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('100 parallel wrong sign-ins: at most the budget reaches argon2 (401), the rest 429 with Retry-After', async () => {
    const ws = await createWorkspace(t.runtime.db);
    let checks = 0;
    const verify = t.runtime.deps.verifier.withVerificationSlot.bind(t.runtime.deps.verifier);
    t.runtime.deps.verifier.withVerificationSlot = <T>(fn: () => Promise<T>): Promise<T> => {
      checks += 1;
      return verify(fn);
    };
    const app = buildApp(t.runtime.deps);
    const results = await Promise.all(
      Array.from({ length: 100 }, () =>
        request(app).post('/api/v1/auth/session').send({ email: ws.ownerEmail, password: 'wrong password!' }),
      ),
    );
    const refused = results.filter((r) => r.status === 429);
    expect(results.filter((r) => r.status === 401).length).toBeLessThanOrEqual(10);
    expect(refused.length).toBeGreaterThanOrEqual(90);
    expect(refused[0]?.headers['retry-after']).toMatch(/^\d+$/);
    expect(checks).toBeLessThanOrEqual(10);
    expect(results.every((r) => setCookieOf(r.headers['set-cookie']).length === 0)).toBe(true);
  });
});

describe('dashboard login throttle on the shared store (REDIS_URL)', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await createTestApp({ REDIS_URL: 'redis://127.0.0.1:6379' });
    b = await createTestApp({ REDIS_URL: 'redis://127.0.0.1:6379' });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('wrong sign-ins spent on one API process are spent for the other: one budget per email', async () => {
    // The address budget lives in Redis for a minute: an earlier run's spending is not this run's.
    const perAddress = a.runtime.deps.rateLimiter.budget({ keyPrefix: 'login-ip', points: 30, duration: 60 });
    for (const address of ['127.0.0.1', '::ffff:127.0.0.1', '::1']) await perAddress.delete(address);
    const ws = await createWorkspace(a.runtime.db);
    const wrong = (t: TestApp) =>
      request(t.app).post('/api/v1/auth/session').send({ email: ws.ownerEmail, password: 'wrong password!' });
    const first = [];
    for (let i = 0; i < 10; i += 1) first.push((await wrong(a)).status);
    expect(first.every((st) => st === 401)).toBe(true);
    const other = await wrong(b);
    expect(other.status).toBe(429);
    expect(other.headers['retry-after']).toMatch(/^\d+$/);
    // The right password is refused too while the email's budget is spent (no oracle).
    const right = await request(b.app)
      .post('/api/v1/auth/session')
      .send({ email: ws.ownerEmail, password: PASSWORD });
    expect(right.status).toBe(429);
  });
});

describe('the dashboard app: static files, cache headers, CSP', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    t = await createTestApp();
    dir = mkdtempSync(path.join(os.tmpdir(), 'flowgate-static-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(
      path.join(dir, 'index.html'),
      '<!doctype html><script type="module" src="/dashboard/assets/index-abc123.js"></script>',
    );
    writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1);');
  });
  afterAll(async () => {
    await t.close();
  });

  it('redirects / to /dashboard/, serves index.html no-cache and hashed assets immutable, under a CSP with no inline script', async () => {
    const app = buildApp({ ...t.runtime.deps, dashboardDir: dir });
    const root = await request(app).get('/');
    expect(root.status).toBe(302);
    expect(root.headers['location']).toBe('/dashboard/');
    expect((await request(app).get('/dashboard')).headers['location']).toBe('/dashboard/');
    const index = await request(app).get('/dashboard/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toMatch(/text\/html/);
    expect(index.headers['cache-control']).toBe('no-cache');
    const csp = String(index.headers['content-security-policy']);
    const scriptSrc = /script-src ([^;]*)/.exec(csp)?.[1] ?? '';
    expect(scriptSrc).toContain("'self'");
    expect(scriptSrc).not.toContain('unsafe-inline');
    expect(csp).toContain("script-src-attr 'none'");
    const asset = await request(app).get('/dashboard/assets/index-abc123.js');
    expect(asset.status).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await request(app).get('/dashboard/assets/nope.js')).status).toBe(404);
    expect(
      (await request(app).get('/dashboard/assets/..%2f..%2fpackage.json')).status,
    ).toBeGreaterThanOrEqual(400);
  });

  it('when the app is not built, then 503 saying how to build it', async () => {
    const app = buildApp({ ...t.runtime.deps, dashboardDir: path.join(dir, 'missing') });
    const res = await request(app).get('/dashboard/');
    expect(res.status).toBe(503);
    expect(res.text).toMatch(/pnpm build/);
  });
});
