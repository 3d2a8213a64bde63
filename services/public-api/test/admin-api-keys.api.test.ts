import request from 'supertest';
import { addMember, createWorkspace, PASSWORD } from '../../../test/support/factories';
import { createTestApp, type TestApp } from './helpers/test-app';

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
      'apiKey',
      'createdAt',
      'createdBy',
      'id',
      'label',
      'lastUsedAt',
      'revokedAt',
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

  it('when a member manages keys, then 403; when an admin does, then it succeeds', async () => {
    const ws = await createWorkspace(t.runtime.db);
    const member = await addMember(t.runtime.db, ws.workspaceId, 'member');
    const admin = await addMember(t.runtime.db, ws.workspaceId, 'admin');
    const memberAuth = { Authorization: `Bearer ${await login(member.email)}` };
    const adminAuth = { Authorization: `Bearer ${await login(admin.email)}` };
    const base = `/api/v1/workspaces/${ws.workspaceId}/api-keys`;

    expect((await request(t.app).get(base).set(memberAuth)).status).toBe(403);
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

  it('when the bearer token is missing, forged or the body is invalid, then a JSON 4xx', async () => {
    const ws = await createWorkspace(t.runtime.db);
    const base = `/api/v1/workspaces/${ws.workspaceId}/api-keys`;
    expect((await request(t.app).get(base)).status).toBe(401);
    expect((await request(t.app).get(base).set({ Authorization: 'Bearer abc.def.ghi' })).status).toBe(401);
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
