/**
 * Revocation against the verifier's cache (ADR 0003, ADR 0009), through HTTP, with two API
 * instances on the shared database, each with its own cache and its own LISTEN connection.
 */
import request from 'supertest';
import { createPgRevocationBus } from '@flowgate/core';
import { createApiKey, createWorkspace } from '@flowgate/testing';
import { TcpProxy } from '@flowgate/testing';
import { capturingLogger, TEST_DATABASE_URL, testDatabase } from '@flowgate/testing';
import { waitFor } from '@flowgate/testing';
import { createTestApp, type TestApp } from '@flowgate/testing';

const TEMPLATES = '/api/v1/public/templates';
/** Polls every 10 ms: an argon2 check in flight lasts only ~30 ms. */
const poll = (what: string, check: () => boolean | Promise<boolean>): Promise<void> =>
  waitFor(what, check, 15_000, 10);

async function login(t: TestApp, email: string, password: string): Promise<string> {
  const res = await request(t.app).post('/api/v1/auth/login').send({ email, password });
  expect(res.status).toBe(200);
  return (res.body as { data: { token: string } }).data.token;
}

describe('revoking a key while instances verify or cache it', () => {
  it('when a revoke lands while another instance is still running argon2 for the key, then that check is void and nothing is cached', async () => {
    // A slow hash (argon2id t=100, about 2 s here) holds the window between reading the key row
    // and caching the result open long enough to revoke inside it.
    const a = await createTestApp({ ARGON2_TIME_COST: '100' });
    const b = await createTestApp();
    try {
      const ws = await createWorkspace(a.runtime.db);
      const auth = { Authorization: `Bearer ${await login(a, ws.ownerEmail, ws.password)}` };
      const created = await request(a.app)
        .post(`/api/v1/workspaces/${ws.workspaceId}/api-keys`)
        .set(auth)
        .send({});
      expect(created.status).toBe(201);
      const key = (created.body as { data: { id: string; apiKey: string; apiSecret: string } }).data;
      const headers = { apiKey: key.apiKey, apiSecret: key.apiSecret };
      // B's listener must be up, or B caches nothing at all and the test proves nothing.
      await poll('B to be ready', async () => (await request(b.app).get('/readyz')).status === 200);

      const inFlight = request(b.app)
        .get(TEMPLATES)
        .set(headers)
        .then((r) => r);
      // B has read the (still active) row and is inside argon2.
      await poll('B to start argon2', () => b.runtime.deps.verifier.stats.inFlight === 1);
      const revoke = await request(a.app)
        .delete(`/api/v1/workspaces/${ws.workspaceId}/api-keys/${key.id}`)
        .set(auth);
      expect(revoke.status).toBe(200);
      const stillRunning = b.runtime.deps.verifier.stats.inFlight === 1;

      const first = await inFlight;
      const after = await request(b.app).get(TEMPLATES).set(headers);
      process.stdout.write(
        `revocation race: revoke answered while B's argon2 was ${stillRunning ? 'still running' : 'done'}; B answered ${first.status}, then ${after.status}\n`,
      );
      expect(stillRunning).toBe(true);
      // The check began before the revoke but ends after it: B does not vouch for the key …
      expect(first.status).toBe(401);
      // … and has not cached it (before the fix: 200 until AUTH_CACHE_TTL_SECONDS ran out).
      expect(after.status).toBe(401);
      expect(b.runtime.deps.verifier.stats.cacheSize).toBe(0);
    } finally {
      await b.close();
      await a.close();
    }
  });

  it('when a key is revoked through an instance, then that instance refuses it at once, without waiting for its own notice', async () => {
    // This instance's LISTEN connection runs through a proxy that we stall: its notices are held.
    const url = new URL(TEST_DATABASE_URL);
    const proxy = await TcpProxy.start(url.hostname, Number(url.port || 5432));
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    const { logger } = capturingLogger('revocation-bus');
    const db = testDatabase();
    const bus = createPgRevocationBus({ connectionString: url.toString(), db, logger });
    const a = await createTestApp({}, { revocationBus: bus });
    try {
      const ws = await createWorkspace(a.runtime.db);
      const key = await createApiKey(a.runtime.db, ws.workspaceId);
      const headers = { apiKey: key.apiKey, apiSecret: key.apiSecret };
      await poll('the listener to be up and the pair cached', async () => {
        expect((await request(a.app).get(TEMPLATES).set(headers)).status).toBe(200);
        return a.runtime.deps.verifier.stats.cacheSize === 1;
      });
      proxy.stall();
      const auth = { Authorization: `Bearer ${await login(a, ws.ownerEmail, ws.password)}` };
      const revoke = await request(a.app)
        .delete(`/api/v1/workspaces/${ws.workspaceId}/api-keys/${key.id}`)
        .set(auth);
      expect(revoke.status).toBe(200);
      // The notice is stuck in the proxy; the cache entry must already be gone.
      const res = await request(a.app).get(TEMPLATES).set(headers);
      expect(res.status).toBe(401);
      proxy.unstall();
    } finally {
      await a.close();
      await proxy.close();
      await db.destroy();
    }
  });
});
