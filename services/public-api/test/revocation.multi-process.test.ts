import { createApiKey, createWorkspace } from '@flowgate/testing';
import { freePort, startProcess, waitForHttp, type ServiceProcess } from '@flowgate/testing';
import { testDatabase, testEnv } from '@flowgate/testing';
import type { Database } from '@flowgate/db';

describe('revocation across API processes', () => {
  let db: Database;
  const procs: ServiceProcess[] = [];
  beforeAll(() => {
    db = testDatabase();
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await db.destroy();
  });

  it('when a key is revoked through one process, then the other rejects it within one second', async () => {
    const env = testEnv({ LOG_LEVEL: 'warn' });
    const ports = [await freePort(), await freePort()];
    for (const port of ports)
      procs.push(
        startProcess('services/public-api/src/main.ts', { ...env, PORT: String(port), HOST: '127.0.0.1' }),
      );
    const [a, b] = ports.map((p) => `http://127.0.0.1:${p}`) as [string, string];
    await Promise.all([waitForHttp(`${a}/healthz`, procs[0]), waitForHttp(`${b}/healthz`, procs[1])]);

    const ws = await createWorkspace(db);
    const key = await createApiKey(db, ws.workspaceId);
    const headers = { apiKey: key.apiKey, apiSecret: key.apiSecret };
    // Warm both caches: after this, neither process runs argon2 or reads the key row again.
    for (const base of [a, b])
      expect((await fetch(`${base}/api/v1/public/templates`, { headers })).status).toBe(200);
    for (const base of [a, b])
      expect((await fetch(`${base}/api/v1/public/templates`, { headers })).status).toBe(200);

    const login = await fetch(`${a}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: ws.ownerEmail, password: ws.password }),
    });
    const token = ((await login.json()) as { data: { token: string } }).data.token;
    const revokedAt = Date.now();
    const revoke = await fetch(`${a}/api/v1/workspaces/${ws.workspaceId}/api-keys/${key.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(revoke.status).toBe(200);

    let rejectedAfterMs = Number.POSITIVE_INFINITY;
    while (Date.now() - revokedAt < 3000) {
      const res = await fetch(`${b}/api/v1/public/templates`, { headers });
      if (res.status === 401) {
        rejectedAfterMs = Date.now() - revokedAt;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    process.stdout.write(
      `revocation: the other process rejected the key ${rejectedAfterMs} ms after the revoke answered\n`,
    );
    expect(rejectedAfterMs).toBeLessThan(1000);
    expect((await fetch(`${a}/api/v1/public/templates`, { headers })).status).toBe(401);
  });
});
