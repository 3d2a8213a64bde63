import jwt from 'jsonwebtoken';
import request from 'supertest';
import { addMember, createWorkspace, PASSWORD } from '@flowgate/testing';
import { createTestApp, type TestApp } from '@flowgate/testing';

/** The access log writes on `finish`, which can come a tick after supertest has the answer. */
async function waitForLog(found: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !found(); i += 1) await new Promise((r) => setTimeout(r, 10));
}

describe('admin API: login and API keys', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  async function login(email: string, password = PASSWORD): Promise<string> {
    const res = await request(t.app).post('/api/v1/auth/login').send({ email, password });
    expect(res.status).toBe(200);
    return (res.body as { data: { token: string } }).data.token;
  }

  it('when the password is wrong, then 401 INVALID_CREDENTIALS', async () => {
    const ws = await createWorkspace(t.runtime.db);
    const res = await request(t.app)
      .post('/api/v1/auth/login')
      .send({ email: ws.ownerEmail, password: 'wrong password here' });
    expect(res.status).toBe(401);
    expect((res.body as { error: { code: string } }).error.code).toBe('INVALID_CREDENTIALS');
  });

  it('when an owner creates, lists and revokes keys, then the secret is shown once and only its argon2id hash is stored', async () => {
    const ws = await createWorkspace(t.runtime.db);
    const token = await login(ws.ownerEmail);
    const auth = { Authorization: `Bearer ${token}` };

    const created = await request(t.app)
      .post(`/api/v1/workspaces/${ws.workspaceId}/api-keys`)
      .set(auth)
      .send({ label: 'production' });
    expect(created.status).toBe(201);
    const key = (
      created.body as {
        data: { id: string; apiKey: string; apiSecret: string; label: string; createdAt: string };
      }
    ).data;
    expect(key.apiKey).toMatch(/^pk_[a-z0-9]{40}$/);
    expect(Buffer.from(key.apiSecret, 'base64url').length).toBeGreaterThanOrEqual(32);
    expect(key.label).toBe('production');

    const second = await request(t.app)
      .post(`/api/v1/workspaces/${ws.workspaceId}/api-keys`)
      .set(auth)
      .send({});
    expect(second.status).toBe(201);

    const row = await t.runtime.db('api_keys').where({ id: key.id }).first<{ secret_hash: string }>();
    expect(row?.secret_hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(JSON.stringify(row)).not.toContain(key.apiSecret);

    const list = await request(t.app).get(`/api/v1/workspaces/${ws.workspaceId}/api-keys`).set(auth);
    expect(list.status).toBe(200);
    const keys = (list.body as { data: { apiKeys: Array<Record<string, unknown>> } }).data.apiKeys;
    expect(keys).toHaveLength(2);
    expect(JSON.stringify(list.body)).not.toContain(key.apiSecret);
    expect(JSON.stringify(list.body)).not.toContain('argon2');
    expect(Object.keys(keys[0] ?? {}).sort()).toEqual([
      'allowedIps',
      'apiKey',
      'createdAt',
      'createdBy',
      'id',
      'label',
      'lastUsedAt',
      'revokedAt',
      'scopes',
    ]);

    const ok = await request(t.app)
      .get('/api/v1/public/templates')
      .set({ apiKey: key.apiKey, apiSecret: key.apiSecret });
    expect(ok.status).toBe(200);

    const revoke = await request(t.app)
      .delete(`/api/v1/workspaces/${ws.workspaceId}/api-keys/${key.id}`)
      .set(auth);
    expect(revoke.status).toBe(200);
    const again = await request(t.app)
      .delete(`/api/v1/workspaces/${ws.workspaceId}/api-keys/${key.id}`)
      .set(auth);
    expect(again.status).toBe(200);

    const denied = await request(t.app)
      .get('/api/v1/public/templates')
      .set({ apiKey: key.apiKey, apiSecret: key.apiSecret });
    expect(denied.status).toBe(401);

    for (const line of t.logs) {
      expect(line).not.toContain(key.apiSecret);
      expect(line).not.toContain(token);
      expect(line).not.toContain(PASSWORD);
    }
  });

  it('when a member manages keys, then 403 (they may list them, docs/contracts.md §13); when an admin does, then it succeeds', async () => {
    const ws = await createWorkspace(t.runtime.db);
    const member = await addMember(t.runtime.db, ws.workspaceId, 'member');
    const admin = await addMember(t.runtime.db, ws.workspaceId, 'admin');
    const memberAuth = { Authorization: `Bearer ${await login(member.email)}` };
    const adminAuth = { Authorization: `Bearer ${await login(admin.email)}` };
    const base = `/api/v1/workspaces/${ws.workspaceId}/api-keys`;

    expect((await request(t.app).get(base).set(memberAuth)).status).toBe(200);
    expect((await request(t.app).post(base).set(memberAuth).send({})).status).toBe(403);
    const created = await request(t.app).post(base).set(adminAuth).send({ label: 'staging' });
    expect(created.status).toBe(201);
    const id = (created.body as { data: { id: string } }).data.id;
    expect((await request(t.app).delete(`${base}/${id}`).set(memberAuth)).status).toBe(403);
    expect((await request(t.app).get(base).set(adminAuth)).status).toBe(200);
    expect((await request(t.app).delete(`${base}/${id}`).set(adminAuth)).status).toBe(200);
  });

  it('when a user reaches for another workspace, then 403 and nothing of it leaks', async () => {
    const mine = await createWorkspace(t.runtime.db);
    const theirs = await createWorkspace(t.runtime.db);
    const auth = { Authorization: `Bearer ${await login(mine.ownerEmail)}` };
    const theirToken = await login(theirs.ownerEmail);
    const theirKey = await request(t.app)
      .post(`/api/v1/workspaces/${theirs.workspaceId}/api-keys`)
      .set({ Authorization: `Bearer ${theirToken}` })
      .send({});
    const theirKeyId = (theirKey.body as { data: { id: string } }).data.id;

    expect(
      (await request(t.app).get(`/api/v1/workspaces/${theirs.workspaceId}/api-keys`).set(auth)).status,
    ).toBe(403);
    expect(
      (await request(t.app).post(`/api/v1/workspaces/${theirs.workspaceId}/api-keys`).set(auth).send({}))
        .status,
    ).toBe(403);
    expect(
      (
        await request(t.app)
          .delete(`/api/v1/workspaces/${theirs.workspaceId}/api-keys/${theirKeyId}`)
          .set(auth)
      ).status,
    ).toBe(403);
    // Their key id through my workspace: not found, and still active.
    expect(
      (await request(t.app).delete(`/api/v1/workspaces/${mine.workspaceId}/api-keys/${theirKeyId}`).set(auth))
        .status,
    ).toBe(404);
    const row = await t.runtime.db('api_keys').where({ id: theirKeyId }).first<{ revoked_at: Date | null }>();
    expect(row?.revoked_at).toBeNull();
  });

  it('when the bearer token is missing, forged, expired or of the wrong kind, then one admin 401 that says how to log in', async () => {
    const ws = await createWorkspace(t.runtime.db);
    const base = `/api/v1/workspaces/${ws.workspaceId}/api-keys`;
    const expired = jwt.sign({}, t.config.jwtSecret, {
      subject: ws.ownerId,
      algorithm: 'HS256',
      expiresIn: -10,
      issuer: 'flowgate',
      audience: 'flowgate-admin',
    });
    const otherSecret = jwt.sign({}, 'x'.repeat(40), {
      subject: ws.ownerId,
      issuer: 'flowgate',
      audience: 'flowgate-admin',
    });
    const cases: Array<Record<string, string>> = [
      {},
      { Authorization: 'Bearer abc.def.ghi' },
      { Authorization: `Bearer ${expired}` },
      { Authorization: `Bearer ${otherSecret}` },
      { Authorization: 'Basic dXNlcjpwYXNz' },
      // Partner credentials are not an admin session.
      { apiKey: `pk_${'a'.repeat(40)}`, apiSecret: 'A'.repeat(43) },
    ];
    for (const headers of cases) {
      const res = await request(t.app).get(base).set(headers);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({
        success: false,
        error: {
          code: 'UNAUTHORIZED',
          message:
            'Missing, invalid or expired session token. Log in with POST /api/v1/auth/login and send Authorization: Bearer <token>.',
          details: [],
          requestId: res.headers['x-request-id'],
        },
      });
      expect(res.text).not.toMatch(/apiKey|apiSecret/);
    }
  });

  it('when an admin path is not valid percent-encoding, then 400 VALIDATION_FAILED, not 500', async () => {
    const ws = await createWorkspace(t.runtime.db);
    const auth = { Authorization: `Bearer ${await login(ws.ownerEmail)}` };
    // A bad workspace id fails before authentication; a bad key id after it.
    const cases: Array<['get' | 'delete', string, Record<string, string>]> = [
      ['get', '/api/v1/workspaces/%E0%A4%A/api-keys', {}],
      ['get', '/api/v1/workspaces/%E0%A4%A/api-keys', auth],
      ['get', '/api/v1/workspaces/%/api-keys', auth],
      ['delete', `/api/v1/workspaces/${ws.workspaceId}/api-keys/%E0%A4%A`, auth],
    ];
    for (const [method, path, headers] of cases) {
      const res = await request(t.app)[method](path).set(headers);
      expect({ path, status: res.status, body: res.body as unknown }).toEqual({
        path,
        status: 400,
        body: {
          success: false,
          error: {
            code: 'VALIDATION_FAILED',
            message: 'The request path is not valid percent-encoded UTF-8.',
            details: [],
            requestId: res.headers['x-request-id'],
          },
        },
      });
    }
    expect(t.logs.join('')).not.toMatch(/unhandled error/);
  });

  it('when admin and partner routes answer, then the access log names each by its route pattern, never by its ids', async () => {
    const ws = await createWorkspace(t.runtime.db);
    const member = await addMember(t.runtime.db, ws.workspaceId, 'member');
    const auth = { Authorization: `Bearer ${await login(ws.ownerEmail)}` };
    const memberAuth = { Authorization: `Bearer ${await login(member.email)}` };
    const base = `/api/v1/workspaces/${ws.workspaceId}/api-keys`;
    const created = await request(t.app).post(base).set(auth).send({});
    const key = (created.body as { data: { id: string; apiKey: string; apiSecret: string } }).data;
    const partner = { apiKey: key.apiKey, apiSecret: key.apiSecret };
    const missingMessage = '00000000-0000-4000-8000-000000000000';
    const cases: Array<[string, () => request.Test, number, string]> = [
      ['list', () => request(t.app).get(base).set(auth), 200, '/api/v1/workspaces/:workspaceId/api-keys'],
      [
        'create, bad body',
        () => request(t.app).post(base).set(auth).send({ label: 1 }),
        400,
        '/api/v1/workspaces/:workspaceId/api-keys',
      ],
      [
        'revoke unknown',
        () => request(t.app).delete(`${base}/${missingMessage}`).set(auth),
        404,
        '/api/v1/workspaces/:workspaceId/api-keys/:keyId',
      ],
      [
        'member',
        () => request(t.app).post(base).set(memberAuth).send({}),
        403,
        '/api/v1/workspaces/:workspaceId/*',
      ],
      ['no token', () => request(t.app).get(base), 401, '/api/v1/workspaces/:workspaceId/*'],
      [
        'login',
        () => request(t.app).post('/api/v1/auth/login').send({ email: ws.ownerEmail, password: PASSWORD }),
        200,
        '/api/v1/auth/login',
      ],
      [
        'templates',
        () => request(t.app).get('/api/v1/public/templates').set(partner),
        200,
        '/api/v1/public/templates',
      ],
      [
        'message 404',
        () => request(t.app).get(`/api/v1/public/messages/${missingMessage}`).set(partner),
        404,
        '/api/v1/public/messages/:id',
      ],
      ['partner 401', () => request(t.app).get('/api/v1/public/templates'), 401, '/api/v1/public/*'],
      [
        'openapi',
        () => request(t.app).get('/api/v1/public/openapi.json'),
        200,
        '/api/v1/public/openapi.json',
      ],
      ['healthz', () => request(t.app).get('/healthz'), 200, '/healthz'],
      ['no such route', () => request(t.app).get('/nope'), 404, 'unmatched'],
      [
        'revoke',
        () => request(t.app).delete(`${base}/${key.id}`).set(auth),
        200,
        '/api/v1/workspaces/:workspaceId/api-keys/:keyId',
      ],
    ];
    for (const [name, send, status, route] of cases) {
      const res = await send();
      expect({ name, status: res.status }).toEqual({ name, status });
      const requestId = String(res.headers['x-request-id']);
      await waitForLog(() => t.logs.some((l) => l.includes(requestId) && l.includes('"message":"request"')));
      const line = t.logs.find((l) => l.includes(requestId) && l.includes('"message":"request"')) ?? '{}';
      expect({ name, route: (JSON.parse(line) as { route?: string }).route }).toEqual({ name, route });
    }
    const accessLines = t.logs.filter((l) => l.includes('"message":"request"'));
    for (const line of accessLines) {
      const route = String((JSON.parse(line) as { route?: string }).route);
      expect(route).not.toContain(ws.workspaceId);
      expect(route).not.toContain(key.id);
      expect(route).not.toContain(missingMessage);
    }
  });

  it('when the body is invalid, then a JSON 4xx', async () => {
    const ws = await createWorkspace(t.runtime.db);
    const base = `/api/v1/workspaces/${ws.workspaceId}/api-keys`;
    const auth = { Authorization: `Bearer ${await login(ws.ownerEmail)}` };
    const bad = await request(t.app).post(base).set(auth).send({ label: 42 });
    expect(bad.status).toBe(400);
    expect(
      (bad.body as { error: { code: string; details: Array<{ path: string }> } }).error.details[0]?.path,
    ).toBe('/label');
    const notJson = await request(t.app)
      .post(base)
      .set(auth)
      .set('Content-Type', 'text/plain')
      .send('label=x');
    expect(notJson.status).toBe(415);
    const malformed = await request(t.app)
      .post(base)
      .set(auth)
      .set('Content-Type', 'application/json')
      .send('{"label":');
    expect(malformed.status).toBe(400);
    expect((malformed.body as { error: { code: string } }).error.code).toBe('MALFORMED_JSON');
  });
});
