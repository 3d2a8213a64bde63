/**
 * docs/contracts.md §6: "A 201 means the message is durably stored and will reach the provider: a broker
 * that is down … may delay it, never lose it." The API's connections go through TCP proxies, so
 * RabbitMQ and PostgreSQL can be cut off for this app alone while the shared servers keep running
 * for every other test.
 *
 * The app gets a database of its own: the outbox relay of any other API process on the same
 * database would otherwise publish this test's held messages to *its* queues (and mark them
 * QUEUED), which is right in production (one prefix) but would make this test depend on what
 * else runs in parallel.
 */
import http from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { addPhoneNumber, createApiKey, createWorkspace } from '@flowgate/testing';
import { drainWorkQueue } from '@flowgate/testing';
import { TcpProxy } from '@flowgate/testing';
import { isolatedDatabase, TEST_AMQP_URL, TEST_DATABASE_URL } from '@flowgate/testing';
import { inPool, sleep, waitFor } from '@flowgate/testing';
import { createTestApp, type TestApp } from '@flowgate/testing';

const SEND = '/api/v1/public/messages/send';
const MESSAGES = 1000;
const CONCURRENCY = 25;

/** `url` with its port (and optionally database) replaced. */
function withPort(url: string, port: number, database?: string): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  if (database !== undefined) u.pathname = `/${database}`;
  return u.toString();
}

interface Partner {
  workspaceId: string;
  headers: Record<string, string>;
}

async function partner(t: TestApp): Promise<Partner> {
  const ws = await createWorkspace(t.runtime.db);
  await addPhoneNumber(t.runtime.db, t.config.secretKey, ws.workspaceId);
  const key = await createApiKey(t.runtime.db, ws.workspaceId);
  return { workspaceId: ws.workspaceId, headers: { apiKey: key.apiKey, apiSecret: key.apiSecret } };
}

/** The app on a real port, so a thousand requests share one server instead of one each. */
async function listen(app: TestApp['app']): Promise<{ server: http.Server; close(): Promise<void> }> {
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface ErrorBody {
  success: false;
  error: { code: string; message: string; requestId: string; details?: unknown[] };
}

let database: Awaited<ReturnType<typeof isolatedDatabase>>;
beforeAll(async () => {
  database = await isolatedDatabase('outage');
});
afterAll(async () => {
  await database.drop();
});

describe('with RabbitMQ unreachable, sends still get 201 and go out once it is back', () => {
  let proxy: TcpProxy;
  let t: TestApp;
  let served: Awaited<ReturnType<typeof listen>>;
  let p: Partner;

  beforeAll(async () => {
    const amqp = new URL(TEST_AMQP_URL);
    proxy = await TcpProxy.start(amqp.hostname, Number(amqp.port || 5672));
    t = await createTestApp(
      { AMQP_URL: withPort(TEST_AMQP_URL, proxy.port), DATABASE_URL: database.url },
      { relayIntervalMs: 200, relayOlderThanMs: 500 },
    );
    served = await listen(t.app);
    // Connected once, so the topology (and the work queue this test drains) exists.
    await waitFor('the API to connect to RabbitMQ through the proxy', () => t.runtime.broker.isHealthy());
    p = await partner(t);
    // One verification up front: the key is cached, so 25 concurrent first requests do not queue on argon2.
    expect((await request(served.server).get('/api/v1/public/templates').set(p.headers)).status).toBe(200);
  });
  afterAll(async () => {
    proxy.accept();
    await served.close();
    await t.close();
    await proxy.close();
  });

  it(`when ${MESSAGES} messages are sent while the broker is cut off, then all get 201, and after it is back all ${MESSAGES} envelopes reach the work queue and every row is QUEUED`, async () => {
    proxy.refuse();
    await waitFor('the API to notice RabbitMQ is gone', () => !t.runtime.broker.isHealthy());

    const started = Date.now();
    const responses = await inPool(MESSAGES, CONCURRENCY, (i) =>
      request(served.server)
        .post(SEND)
        .set(p.headers)
        .send({ type: 'text', phone: '919876543210', content: `outage message ${i}` }),
    );
    const sendSeconds = (Date.now() - started) / 1000;

    const statuses = new Map<number, number>();
    for (const r of responses) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    expect(Object.fromEntries(statuses)).toEqual({ 201: MESSAGES });
    const ids = responses.map((r) => (r.body as { data: { id: string } }).data.id);
    expect(new Set(ids).size).toBe(MESSAGES);

    // Still cut off: every message is held in the outbox, none was marked QUEUED.
    expect(t.runtime.broker.isHealthy()).toBe(false);
    const held = await t.runtime
      .db('messages')
      .where({ workspace_id: p.workspaceId })
      .select<Array<{ status: string }>>('status');
    expect(held.map((r) => r.status)).toEqual(Array<string>(MESSAGES).fill('ACCEPTED'));

    proxy.accept();
    const restored = Date.now();
    const wanted = new Set(ids);
    const seen = new Map<string, number>();
    const foreign: string[] = [];
    let notQueued = MESSAGES;
    await waitFor(
      `all ${MESSAGES} envelopes on the work queue and all rows QUEUED`,
      async () => {
        for (const m of await drainWorkQueue(t.prefix)) {
          if (m.messageId === undefined || !wanted.has(m.messageId)) foreign.push(String(m.messageId));
          else seen.set(m.messageId, (seen.get(m.messageId) ?? 0) + 1);
        }
        const [row] = await t.runtime
          .db('messages')
          .where({ workspace_id: p.workspaceId, status: 'ACCEPTED' })
          .count<Array<{ n: number }>>('* as n');
        notQueued = Number(row?.n ?? -1);
        return seen.size === MESSAGES && notQueued === 0;
      },
      90_000,
    );
    const queuedSeconds = (Date.now() - restored) / 1000;
    // One more drain: envelopes published twice may still be arriving after the last row turned QUEUED.
    for (const m of await drainWorkQueue(t.prefix))
      if (m.messageId !== undefined && wanted.has(m.messageId))
        seen.set(m.messageId, (seen.get(m.messageId) ?? 0) + 1);
    const duplicates = [...seen.values()].reduce((n, c) => n + c - 1, 0);

    console.log(
      `broker outage: ${MESSAGES} sends, ${statuses.get(201) ?? 0} × 201 in ${sendSeconds.toFixed(2)} s ` +
        `(${Math.round(MESSAGES / sendSeconds)}/s, ${CONCURRENCY} concurrent); all ${seen.size} queued ` +
        `${queuedSeconds.toFixed(2)} s after RabbitMQ was reachable again; ${duplicates} duplicate envelope(s)`,
    );

    expect(foreign).toEqual([]);
    expect(seen.size).toBe(MESSAGES);
    const rows = await t.runtime
      .db('messages')
      .where({ workspace_id: p.workspaceId })
      .select<Array<{ id: string; status: string }>>('id', 'status');
    expect(rows).toHaveLength(MESSAGES);
    expect(new Set(rows.map((r) => r.status))).toEqual(new Set(['QUEUED']));
    // Each message moved to QUEUED exactly once, however often its envelope was published.
    const [events] = await t.runtime
      .db('message_events')
      .whereIn('message_id', ids)
      .andWhere({ status: 'QUEUED' })
      .count<Array<{ n: number }>>('* as n');
    expect(Number(events?.n)).toBe(MESSAGES);
  }, 180_000);
});

describe('with RabbitMQ down when the API starts, it still starts, answers 201, and the messages go out once the broker is up', () => {
  let proxy: TcpProxy;
  let t: TestApp;
  let p: Partner;

  beforeAll(async () => {
    const amqp = new URL(TEST_AMQP_URL);
    proxy = await TcpProxy.start(amqp.hostname, Number(amqp.port || 5672));
    proxy.refuse();
    t = await createTestApp(
      { AMQP_URL: withPort(TEST_AMQP_URL, proxy.port), DATABASE_URL: database.url },
      { relayIntervalMs: 200, relayOlderThanMs: 500 },
    );
    p = await partner(t);
  });
  afterAll(async () => {
    proxy.accept();
    await t.close();
    await proxy.close();
  });

  it('when 50 messages are sent before RabbitMQ was ever reachable, then all get 201 and all reach the work queue after it is', async () => {
    expect(t.runtime.broker.isHealthy()).toBe(false);
    const ready = await request(t.app).get('/readyz');
    expect(ready.status).toBe(503);

    const responses = await inPool(50, 10, (i) =>
      request(t.app)
        .post(SEND)
        .set(p.headers)
        .send({ type: 'text', phone: '919876543210', content: `early ${i}` }),
    );
    expect(responses.map((r) => r.status)).toEqual(Array<number>(50).fill(201));
    const ids = responses.map((r) => (r.body as { data: { id: string } }).data.id);

    proxy.accept();
    await waitFor('the API to connect to RabbitMQ', () => t.runtime.broker.isHealthy(), 30_000);
    const wanted = new Set(ids);
    const seen = new Set<string>();
    await waitFor(
      'all 50 envelopes on the work queue and every row QUEUED',
      async () => {
        for (const m of await drainWorkQueue(t.prefix))
          if (m.messageId && wanted.has(m.messageId)) seen.add(m.messageId);
        const statuses = await t.runtime
          .db('messages')
          .whereIn('id', ids)
          .select<Array<{ status: string }>>('status');
        return seen.size === 50 && statuses.every((r) => r.status === 'QUEUED');
      },
      30_000,
    );
    expect(seen.size).toBe(50);
    expect((await request(t.app).get('/readyz')).status).toBe(200);
  }, 60_000);
});

describe('with several API instances, the outbox relays split the work', () => {
  const HELD = 3000;
  let a: TestApp;
  let b: TestApp;
  const prefix = `test.relay.${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    // Two API processes' worth of runtimes on one database and one broker topology.
    const env = { DATABASE_URL: database.url, AMQP_PREFIX: prefix };
    a = await createTestApp(env, { relayIntervalMs: 50 });
    b = await createTestApp(env, { relayIntervalMs: 50, broker: a.runtime.broker });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  /** The counts an app's relay logged as published. */
  const published = (t: TestApp): number =>
    t.logs
      .map((l) => JSON.parse(l) as { message?: string; count?: number })
      .filter((l) => l.message === 'outbox relay republished messages')
      .reduce((n, l) => n + (l.count ?? 0), 0);

  it(`when ${HELD} messages wait in the outbox, then the two relays publish each exactly once between them`, async () => {
    const ws = await createWorkspace(a.runtime.db);
    const { phoneNumberId } = await addPhoneNumber(a.runtime.db, a.config.secretKey, ws.workspaceId);
    const ids: string[] = [];
    // Stored a minute ago and never published (the API died right after the commit, say).
    await a.runtime.db.transaction(async (trx) => {
      for (let i = 0; i < HELD; i += 500) {
        const rows = Array.from({ length: Math.min(500, HELD - i) }, () => {
          const id = randomUUID();
          ids.push(id);
          return {
            id,
            workspace_id: ws.workspaceId,
            phone_number_id: phoneNumberId,
            recipient: '919876543210',
            type: 'text',
            payload: JSON.stringify({ messaging_product: 'whatsapp', to: '919876543210', type: 'text' }),
            status: 'ACCEPTED',
            created_at: trx.raw("now() - interval '1 minute'"),
          };
        });
        await trx('messages').insert(rows);
      }
    });

    const wanted = new Set(ids);
    const seen = new Map<string, number>();
    await waitFor(
      `all ${HELD} held messages published and QUEUED`,
      async () => {
        for (const m of await drainWorkQueue(prefix))
          if (m.messageId !== undefined && wanted.has(m.messageId))
            seen.set(m.messageId, (seen.get(m.messageId) ?? 0) + 1);
        const [row] = await a.runtime
          .db('messages')
          .whereIn('id', ids)
          .andWhere({ status: 'ACCEPTED' })
          .count<Array<{ n: number }>>('* as n');
        return seen.size === HELD && Number(row?.n) === 0;
      },
      60_000,
    );
    await sleep(300);
    for (const m of await drainWorkQueue(prefix))
      if (m.messageId !== undefined && wanted.has(m.messageId))
        seen.set(m.messageId, (seen.get(m.messageId) ?? 0) + 1);

    const byA = published(a);
    const byB = published(b);
    console.log(`outbox relays: instance A published ${byA}, instance B ${byB} of ${HELD}`);
    expect([...seen.values()].filter((n) => n > 1)).toEqual([]);
    expect(seen.size).toBe(HELD);
    expect(byA + byB).toBe(HELD);
    expect(Math.min(byA, byB)).toBeGreaterThan(0);
  }, 90_000);
});

describe('with PostgreSQL unreachable, sends get 503 and recover without a restart', () => {
  let proxy: TcpProxy;
  let direct: TestApp;
  let t: TestApp;
  let p: Partner;
  let coldHeaders: Record<string, string>;

  beforeAll(async () => {
    const pg = new URL(TEST_DATABASE_URL);
    proxy = await TcpProxy.start(pg.hostname, Number(pg.port || 5432));
    // Data is made through a direct connection; the app under test reaches the same database only through the proxy.
    direct = await createTestApp({ DATABASE_URL: database.url });
    p = await partner(direct);
    const second = await createApiKey(direct.runtime.db, p.workspaceId);
    coldHeaders = { apiKey: second.apiKey, apiSecret: second.apiSecret };
    t = await createTestApp({ DATABASE_URL: withPort(database.url, proxy.port, database.name) });
    await waitFor('the API to connect to RabbitMQ', () => t.runtime.broker.isHealthy());
    expect((await request(t.app).get('/api/v1/public/templates').set(p.headers)).status).toBe(200);
  });
  afterAll(async () => {
    proxy.accept();
    await t.close();
    await direct.close();
    await proxy.close();
  });

  const body = (content: string) => ({ type: 'text', phone: '919876543210', content });
  const count = async (): Promise<number> => {
    const [row] = await direct.runtime
      .db('messages')
      .where({ workspace_id: p.workspaceId })
      .count<Array<{ n: number }>>('* as n');
    return Number(row?.n ?? -1);
  };

  it('when the database is cut off, then POST /messages/send answers 503 SERVICE_UNAVAILABLE with Retry-After; once it is back, sends succeed on the same app', async () => {
    const before = await request(t.app).post(SEND).set(p.headers).send(body('before the outage'));
    expect(before.status).toBe(201);

    proxy.refuse();
    for (let i = 0; i < 5; i++) {
      const res = await request(t.app)
        .post(SEND)
        .set(p.headers)
        .send(body(`during the outage ${i}`));
      const err = (res.body as ErrorBody).error;
      expect({ status: res.status, code: err?.code }).toEqual({ status: 503, code: 'SERVICE_UNAVAILABLE' });
      expect(res.headers['content-type']).toMatch(/^application\/json\b/);
      expect(res.headers['retry-after']).toMatch(/^[1-9][0-9]*$/);
      expect(err.requestId).toBe(res.headers['x-request-id']);
      expect(res.text).not.toMatch(/ECONN|Connection terminated|\bat \S+ \(|node_modules|SELECT|INSERT/);
    }
    // A key this process has not verified yet cannot be checked either: 503 too, not 401 or 500.
    const cold = await request(t.app).post(SEND).set(coldHeaders).send(body('unverified key'));
    expect({ status: cold.status, code: (cold.body as ErrorBody).error?.code }).toEqual({
      status: 503,
      code: 'SERVICE_UNAVAILABLE',
    });
    expect(cold.headers['retry-after']).toMatch(/^[1-9][0-9]*$/);
    expect(await count()).toBe(1);

    proxy.accept();
    const after = await request(t.app).post(SEND).set(p.headers).send(body('after the outage'));
    expect(after.status).toBe(201);
    const again = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        request(t.app)
          .post(SEND)
          .set(p.headers)
          .send(body(`after the outage ${i}`)),
      ),
    );
    expect(again.map((r) => r.status)).toEqual(Array<number>(10).fill(201));
    expect(await count()).toBe(12);
  }, 60_000);
});

describe('with PostgreSQL stalled (connected, answering nothing), sends get 503 within the statement timeout and recover', () => {
  const STATEMENT_TIMEOUT_MS = 1000;
  let proxy: TcpProxy;
  let direct: TestApp;
  let t: TestApp;
  let p: Partner;

  beforeAll(async () => {
    const pg = new URL(TEST_DATABASE_URL);
    proxy = await TcpProxy.start(pg.hostname, Number(pg.port || 5432));
    direct = await createTestApp({ DATABASE_URL: database.url });
    p = await partner(direct);
    const url = withPort(database.url, proxy.port, database.name);
    t = await createTestApp({
      DATABASE_URL: url,
      DATABASE_POOL_MAX: '4',
      DATABASE_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
    });
    await waitFor('the API to connect to RabbitMQ', () => t.runtime.broker.isHealthy());
    expect((await request(t.app).get('/api/v1/public/templates').set(p.headers)).status).toBe(200);
  });
  afterAll(async () => {
    proxy.unstall();
    await t.close();
    await direct.close();
    await proxy.close();
  });

  it('when every database connection stalls, then concurrent sends answer 503 SERVICE_UNAVAILABLE after about the query timeout instead of hanging; after the stall, sends succeed on the same app', async () => {
    const send = (content: string) =>
      request(t.app).post(SEND).set(p.headers).send({ type: 'text', phone: '919876543210', content });
    expect((await send('before the stall')).status).toBe(201);

    proxy.stall();
    const started = Date.now();
    const during = await Promise.all(Array.from({ length: 6 }, (_, i) => send(`during the stall ${i}`)));
    const elapsedMs = Date.now() - started;
    for (const res of during) {
      const err = (res.body as ErrorBody).error;
      expect({ status: res.status, code: err?.code }).toEqual({ status: 503, code: 'SERVICE_UNAVAILABLE' });
      expect(res.headers['retry-after']).toMatch(/^[1-9][0-9]*$/);
      expect(res.text).not.toMatch(/Query read timeout|timeout|knex|\bat \S+ \(/i);
    }
    // Bounded by the query timeout (statement timeout + 1 s; 6 sends on 4 connections queue
    // behind the first 4), not by the client giving up.
    console.log(
      `PostgreSQL stall: 6 concurrent sends answered 503 after ${elapsedMs} ms (query timeout ${STATEMENT_TIMEOUT_MS + 1000} ms)`,
    );
    expect(elapsedMs).toBeLessThan(4 * (STATEMENT_TIMEOUT_MS + 1000));

    proxy.unstall();
    let after: Awaited<ReturnType<typeof send>> | undefined;
    await waitFor('a send to succeed after the stall', async () => {
      after = await send('after the stall');
      return after.status === 201;
    });
    expect(after?.status).toBe(201);
    const again = await Promise.all(Array.from({ length: 10 }, (_, i) => send(`after the stall ${i}`)));
    expect(again.map((r) => r.status)).toEqual(Array<number>(10).fill(201));
  }, 60_000);
});
