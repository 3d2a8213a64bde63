/**
 * docs/contracts.md §1: `/healthz` answers 200 while the process is up; `/readyz` answers 200 only while its
 * database and broker are reachable. This app reaches PostgreSQL and RabbitMQ through TCP proxies,
 * so each can be cut off for it alone while the shared servers keep running for everyone else.
 */
import request from 'supertest';
import { createDatabase } from '@flowgate/db';
import { TcpProxy } from '@flowgate/testing';
import { TEST_AMQP_URL, TEST_DATABASE_URL } from '@flowgate/testing';
import { waitFor } from '@flowgate/testing';
import { createTestApp, type TestApp } from '@flowgate/testing';

function through(proxy: TcpProxy, url: string): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(proxy.port);
  return u.toString();
}

/** Polls /readyz every 100 ms for up to 20 s (reconnects back off for seconds). */
const waitForReady = (what: string, check: () => Promise<boolean>): Promise<void> =>
  waitFor(what, check, 20_000, 100);

describe('/healthz and /readyz', () => {
  let pgProxy: TcpProxy;
  let amqpProxy: TcpProxy;
  let t: TestApp;

  beforeAll(async () => {
    const pg = new URL(TEST_DATABASE_URL);
    const amqp = new URL(TEST_AMQP_URL);
    pgProxy = await TcpProxy.start(pg.hostname, Number(pg.port || 5432));
    amqpProxy = await TcpProxy.start(amqp.hostname, Number(amqp.port || 5672));
    const dbUrl = through(pgProxy, TEST_DATABASE_URL);
    t = await createTestApp(
      { DATABASE_URL: dbUrl, AMQP_URL: through(amqpProxy, TEST_AMQP_URL) },
      // Its own pool (through the proxy), and no outbox relay publishing other tests' messages.
      {
        db: createDatabase({ kind: 'postgres', url: dbUrl }, { poolMax: 2 }),
        relayIntervalMs: 3_600_000,
      },
    );
  });
  afterAll(async () => {
    pgProxy.accept();
    amqpProxy.accept();
    await t.close();
    await t.runtime.db.destroy();
    await pgProxy.close();
    await amqpProxy.close();
  });

  const readyz = () => request(t.app).get('/readyz');

  it('when the database and the broker answer, then both are 200 with every check ok', async () => {
    await waitForReady('the broker connection', async () => (await readyz()).status === 200);
    const res = await readyz();
    expect(res.body).toEqual({ status: 'ready', checks: { database: 'ok', broker: 'ok' } });
    expect(res.headers['x-request-id']).toEqual(expect.any(String));
    const health = await request(t.app).get('/healthz');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok' });
  });

  it('when the database is unreachable, then /readyz is 503 naming it and /healthz stays 200; then it recovers', async () => {
    pgProxy.refuse();
    try {
      const res = await readyz();
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ status: 'not_ready', checks: { database: 'down', broker: 'ok' } });
      expect((await request(t.app).get('/healthz')).status).toBe(200);
    } finally {
      pgProxy.accept();
    }
    await waitForReady('the database to be back', async () => (await readyz()).status === 200);
  });

  it('when the broker is unreachable, then /readyz is 503 naming it and /healthz stays 200; then it recovers', async () => {
    amqpProxy.refuse();
    try {
      await waitForReady('the broker to be seen down', async () => (await readyz()).status === 503);
      const res = await readyz();
      expect(res.body).toEqual({ status: 'not_ready', checks: { database: 'ok', broker: 'down' } });
      expect((await request(t.app).get('/healthz')).status).toBe(200);
    } finally {
      amqpProxy.accept();
    }
    await waitForReady('the broker to reconnect', async () => (await readyz()).status === 200);
  });
});
