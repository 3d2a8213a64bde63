/**
 * Partner webhooks under hostile input (docs/contracts.md §10): SSRF targets refused at registration
 * with private networks not allowed, the delivery side refusing internal addresses and never
 * following a redirect, malformed bodies, ids and queries answered 4xx (never 5xx), other
 * workspaces' endpoints answered 404 on every route, and no `whsec_` secret in any log line.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { Webhook } from 'standardwebhooks';
import { createPoster } from '@flowgate/core';
import { createApiKey, createTestApp, createWorkspace, type TestApp } from '@flowgate/testing';

const BASE = '/api/v1/public/webhooks';

/** Internal targets (every notation WHATWG URL turns into one), each refused when registered. */
const HOSTILE_URLS: readonly string[] = [
  'http://example.com/hook',
  'http://8.8.8.8/hook',
  'https://user:pass@8.8.8.8/hook',
  'https://127.0.0.1/',
  'https://127.1.2.3/',
  'https://127.1/',
  'https://2130706433/',
  'https://0177.0.0.1/',
  'https://0x7f.0.0.1/',
  'https://0x7f000001/',
  'https://%31%32%37.0.0.1/',
  'https://[::1]/',
  'https://[::ffff:127.0.0.1]/',
  'https://[::ffff:10.0.0.1]/',
  'https://0.0.0.0/',
  'https://0/',
  'https://169.254.169.254/latest/meta-data',
  'https://100.64.0.1/',
  'https://10.0.0.1/',
  'https://192.168.1.1/',
  'https://172.16.0.1/',
  'https://localhost/',
  'https://LOCALHOST./',
  'https://127.0.0.1.nip.io/',
  'https://does-not-resolve.invalid/',
  'https://[fe80::1]/',
  'https://[fc00::1]/',
  'https://224.0.0.1/',
  'https://255.255.255.255/',
  'https://[::]/',
  'https://127.0.0.1:8443/',
  'https://[64:ff9b::7f00:1]/',
  'file:///etc/passwd',
];

type Headers = Record<string, string>;

async function partner(app: TestApp): Promise<Headers> {
  const ws = await createWorkspace(app.runtime.db);
  const key = await createApiKey(app.runtime.db, ws.workspaceId);
  return { apiKey: key.apiKey, apiSecret: key.apiSecret };
}

const dataOf = (res: { body: unknown }) => (res.body as { data: Record<string, unknown> }).data;

/** A JSON error envelope with a 4xx status. */
function expectClientError(res: request.Response, label: string, code?: string): void {
  const body = res.body as { success?: unknown; error?: { code?: unknown } };
  expect([label, res.status >= 400 && res.status < 500, res.type]).toEqual([label, true, 'application/json']);
  expect([label, body.success, typeof body.error?.code]).toEqual([label, false, 'string']);
  if (code !== undefined) expect([label, res.status, body.error?.code]).toEqual([label, 400, code]);
}

/** A local server that counts the TCP connections it accepts and answers as `answer` says. */
async function countingServer(answer: (res: http.ServerResponse) => void = (res) => res.end('ok')) {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(res));
  });
  let connections = 0;
  let requests = 0;
  let last: { headers: http.IncomingHttpHeaders; raw: string } | undefined;
  server.on('connection', () => (connections += 1));
  server.on('request', (req: http.IncomingMessage) => {
    requests += 1;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => (last = { headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    seen: () => ({ connections, requests }),
    last: () => last,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('partner webhooks: delivery side (createPoster)', () => {
  it('with private networks not allowed, refuses local targets before connecting', async () => {
    const local = await countingServer();
    const poster = createPoster({ allowPrivateNetworks: false, timeoutMs: 2000 });
    try {
      for (const url of [
        `http://127.0.0.1:${local.port}/hook`,
        `https://127.0.0.1:${local.port}/hook`,
        `http://localhost:${local.port}/hook`,
        `https://localhost:${local.port}/hook`,
        `https://[::ffff:127.0.0.1]:${local.port}/hook`,
        `https://2130706433:${local.port}/hook`,
      ]) {
        const result = await poster.post(url, '{}', {});
        expect([url, result.httpStatus, typeof result.error]).toEqual([url, null, 'string']);
      }
      expect(local.seen()).toEqual({ connections: 0, requests: 0 });
    } finally {
      poster.close();
      await local.close();
    }
  });

  it('never follows a redirect, not even to loopback with private networks allowed', async () => {
    const target = await countingServer();
    const redirecting = await countingServer((res) => {
      res.writeHead(302, { Location: `http://127.0.0.1:${target.port}/` });
      res.end();
    });
    const redirecting307 = await countingServer((res) => {
      res.writeHead(307, { Location: `http://127.0.0.1:${target.port}/` });
      res.end();
    });
    const poster = createPoster({ allowPrivateNetworks: true, timeoutMs: 2000 });
    try {
      const first = await poster.post(`http://127.0.0.1:${redirecting.port}/hook`, '{"a":1}', {});
      expect(first).toMatchObject({ httpStatus: 302, error: null });
      const second = await poster.post(`http://127.0.0.1:${redirecting307.port}/hook`, '{"a":1}', {});
      expect(second).toMatchObject({ httpStatus: 307, error: null });
      await new Promise((r) => setTimeout(r, 200));
      expect(redirecting.seen().requests).toBe(1);
      expect(target.seen()).toEqual({ connections: 0, requests: 0 });
    } finally {
      poster.close();
      await Promise.all([target.close(), redirecting.close(), redirecting307.close()]);
    }
  });
});

describe('partner webhooks: hostile input (docs/contracts.md §10)', () => {
  /** Private networks not allowed: what production runs. */
  let strict: TestApp;
  /** Private networks allowed, so `test` can deliver to a local receiver. */
  let loose: TestApp;
  let receiver: Awaited<ReturnType<typeof countingServer>>;
  const secrets: string[] = [];

  beforeAll(async () => {
    strict = await createTestApp({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'false', WEBHOOK_TIMEOUT_MS: '2000' });
    loose = await createTestApp({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_TIMEOUT_MS: '2000' });
    receiver = await countingServer();
  });
  afterAll(async () => {
    await receiver.close();
    await strict.close();
    await loose.close();
  });

  const create = async (app: TestApp, headers: Headers, body: Record<string, unknown>): Promise<string> => {
    const res = await request(app.app).post(BASE).set(headers).send(body);
    expect([res.status, res.text]).toEqual([201, expect.any(String) as unknown]);
    secrets.push(String(dataOf(res)['secret']));
    return String(dataOf(res)['id']);
  };

  it(`refuses ${HOSTILE_URLS.length} internal targets at registration (400, nothing stored)`, async () => {
    expect(HOSTILE_URLS.length).toBeGreaterThanOrEqual(25);
    const h = await partner(strict);
    for (const url of HOSTILE_URLS) {
      const res = await request(strict.app)
        .post(BASE)
        .set(h)
        .send({ url, events: ['*'] });
      expectClientError(res, url, 'VALIDATION_FAILED');
    }
    const list = await request(strict.app).get(BASE).set(h);
    expect(list.status).toBe(200);
    expect(dataOf(list)['webhooks']).toEqual([]);
    const stored = await strict.runtime
      .db('webhook_endpoints')
      .whereIn('url', [...HOSTILE_URLS])
      .count<Array<{ count: string }>>('* as count');
    expect(Number(stored[0]?.count)).toBe(0);
  });

  it('refuses the same targets in PATCH and leaves the endpoint as it was', async () => {
    const h = await partner(strict);
    const id = await create(strict, h, { url: 'https://8.8.8.8/hook', events: ['message.read'] });
    for (const url of HOSTILE_URLS) {
      const res = await request(strict.app).patch(`${BASE}/${id}`).set(h).send({ url });
      expectClientError(res, url, 'VALIDATION_FAILED');
    }
    const list = dataOf(await request(strict.app).get(BASE).set(h))['webhooks'] as Array<{ url: string }>;
    expect(list.map((w) => w.url)).toEqual(['https://8.8.8.8/hook']);
  });

  it('answers hostile bodies, ids and queries on every route with a 4xx JSON envelope', async () => {
    const h = await partner(strict);
    const id = await create(strict, h, { url: 'https://1.1.1.1/hook', events: ['*'] });
    const url = 'https://1.1.1.1/hook';
    const events = [
      'message.received',
      'message.sent',
      'message.delivered',
      'message.read',
      'message.failed',
      'broadcast.completed',
      'contact.opted_out',
      'payment.completed',
      'template.approved',
      'template.status_updated',
    ];
    const bodies: unknown[] = [
      {},
      { url },
      { events: ['*'] },
      { url: 42, events: ['*'] },
      { url: null, events: ['*'] },
      { url: ['https://1.1.1.1/'], events: ['*'] },
      { url: { href: url }, events: ['*'] },
      { url, events: '*' },
      { url, events: 'message.sent' },
      { url, events: null },
      { url, events: [] },
      { url, events: [1] },
      { url, events: [null] },
      { url, events: [{}] },
      { url, events: ['message.nope'] },
      { url, events: ['MESSAGE.SENT'] },
      { url, events: ['webhook.test'] },
      { url, events: ['message.*'] },
      { url, events: [...events, ...events, '*'] },
      { url, events: ['message.sent', 'message.sent'] },
      { url, events: ['*', '*'] },
      { url: `https://1.1.1.1/${'a'.repeat(3 * 1024)}`, events: ['*'] },
      { url: '', events: ['*'] },
      { url: ' ', events: ['*'] },
      { url, events: ['*'], description: 'd'.repeat(501) },
      { url, events: ['*'], description: 'd'.repeat(100_000) },
      { url, events: ['*'], description: 42 },
      { url, events: ['*'], extra: true },
      { url, events: ['*'], secret: 'mine' },
      { url, events: ['*'], id: randomUUID() },
      { url, events: ['*'], constructor: { prototype: { polluted: true } } },
      { url, events: ['*'], status: 'disabled' },
    ];
    expect(events.length * 2 + 1).toBe(21);
    for (const body of bodies) {
      const label = JSON.stringify(body).slice(0, 120);
      expectClientError(
        await request(strict.app)
          .post(BASE)
          .set(h)
          .send(body as object),
        `POST ${label}`,
      );
    }
    const patchBodies: unknown[] = [
      {},
      { status: 'disabled' },
      { status: 'ACTIVE' },
      { status: true },
      { url: 42 },
      { url: '' },
      { events: [] },
      { events: ['nope'] },
      { events: [...events, ...events, '*'] },
      { events: ['message.sent', 'message.sent'] },
      { description: 'd'.repeat(501) },
      { description: 7 },
      { id: randomUUID() },
      { secret: 'mine' },
      { url: `https://1.1.1.1/${'a'.repeat(3 * 1024)}` },
    ];
    for (const body of patchBodies) {
      const label = JSON.stringify(body).slice(0, 120);
      expectClientError(
        await request(strict.app)
          .patch(`${BASE}/${id}`)
          .set(h)
          .send(body as object),
        `PATCH ${label}`,
      );
    }
    // Bodies that are not objects, or not JSON at all.
    for (const [method, path] of [
      ['post', BASE],
      ['patch', `${BASE}/${id}`],
    ] as const) {
      for (const raw of [
        '[]',
        '["*"]',
        '"https://1.1.1.1/"',
        'null',
        '42',
        'true',
        '{',
        '{"url":',
        'not json',
        '\u0000',
        '{"url":"https://1.1.1.1/hook","events":["*"],"__proto__":{"polluted":true}}',
        '{"url":"https://1.1.1.1/hook","url":"https://127.0.0.1/","events":["*"]}',
      ])
        expectClientError(
          await request(strict.app)[method](path).set(h).set('content-type', 'application/json').send(raw),
          `${method} raw ${raw}`,
        );
      expectClientError(
        await request(strict.app)[method](path).set(h).set('content-type', 'text/plain').send('url=x'),
        `${method} text/plain`,
      );
      const call = () => request(strict.app)[method](path).set(h);
      expectClientError(
        await call()
          .set('content-type', 'application/x-www-form-urlencoded')
          .send('url=https%3A%2F%2F1.1.1.1%2F&events=*'),
        `${method} form`,
      );
      expectClientError(
        await call().send({ url, events: ['*'], description: 'x'.repeat(2 * 1024 * 1024) }),
        `${method} 2 MB`,
      );
    }
    // Ids that are not UUIDs (or name nothing), on every route that takes one.
    const badIds = [
      'abc',
      '123',
      'null',
      'undefined',
      "'%20OR%201%3D1%20--",
      '%00',
      '..%2F..%2Fwebhooks',
      `${randomUUID()}x`,
      randomUUID().toUpperCase(),
      '%E0%A4%A',
      'ffffffff-ffff-ffff-ffff-fffffffffffff',
      'a'.repeat(5000),
    ];
    for (const bad of badIds) {
      const label = bad.slice(0, 60);
      const routes = [
        ['patch', `${BASE}/${bad}`],
        ['delete', `${BASE}/${bad}`],
        ['get', `${BASE}/${bad}/deliveries`],
        ['post', `${BASE}/${bad}/test`],
        ['post', `${BASE}/${bad}/rotate-secret`],
        ['post', `${BASE}/${bad}/deliveries/${randomUUID()}/redeliver`],
        ['post', `${BASE}/${id}/deliveries/${bad}/redeliver`],
      ] as const;
      for (const [method, path] of routes)
        expectClientError(
          await request(strict.app)[method](path).set(h).send({ description: 'x' }),
          `${method} ${path.slice(0, 100)} (${label})`,
        );
    }
    // The deliveries query.
    const cursorOf = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
    const queries = [
      'limit=0',
      'limit=-1',
      'limit=101',
      'limit=1000000000000000000000',
      'limit=abc',
      'limit=1.5',
      'limit=1e2',
      'limit=0x10',
      'limit=',
      'limit=1&limit=2',
      'limit[]=1',
      'limit[a]=1',
      'status=nope',
      'status=',
      'status=DELIVERED',
      'status=delivered&status=failed',
      'status[]=delivered',
      'cursor=',
      'cursor=garbage',
      'cursor=%00',
      `cursor=${'A'.repeat(600)}`,
      `cursor=${cursorOf('not-a-date|' + randomUUID())}`,
      `cursor=${cursorOf('2024-13-45T99:99:99.999Z|' + randomUUID())}`,
      `cursor=${cursorOf('2024-01-01T00:00:00.000Z|not-a-uuid')}`,
      `cursor=${cursorOf("2024-01-01T00:00:00.000Z|' OR 1=1 --")}`,
      'cursor[]=x',
      'unknown=1',
      'limit=5&extra=1',
    ];
    for (const q of queries)
      expectClientError(
        await request(strict.app).get(`${BASE}/${id}/deliveries?${q}`).set(h),
        `deliveries ?${q}`,
      );
    // Cursors of our own shape at the edges of time are fine (200), never a 5xx.
    for (const at of ['0000-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z', '2024-02-30T00:00:00.000Z']) {
      const res = await request(strict.app)
        .get(`${BASE}/${id}/deliveries?cursor=${cursorOf(`${at}|${randomUUID()}`)}`)
        .set(h);
      expect([at, res.status < 500]).toEqual([at, true]);
    }
    // Nothing of all that was stored: the one endpoint is still the only one, as it was.
    const list = dataOf(await request(strict.app).get(BASE).set(h))['webhooks'] as Array<
      Record<string, unknown>
    >;
    expect(list).toEqual([
      expect.objectContaining({ id, url: 'https://1.1.1.1/hook', events: ['*'], description: null }),
    ]);
  });

  it("answers 404 for another workspace's endpoint on every route and changes nothing", async () => {
    const owner = await partner(loose);
    const other = await partner(loose);
    const url = `http://127.0.0.1:${receiver.port}/hook`;
    const id = await create(loose, owner, { url, events: ['message.read'], description: 'owner' });
    const ownSecret = secrets[secrets.length - 1];
    const tested = await request(loose.app).post(`${BASE}/${id}/test`).set(owner);
    expect(dataOf(tested)).toMatchObject({ event: 'webhook.test', outcome: 'delivered', httpStatus: 200 });
    const deliveries = dataOf(await request(loose.app).get(`${BASE}/${id}/deliveries`).set(owner))[
      'deliveries'
    ] as Array<{ id: string }>;
    const deliveryId = deliveries[0]?.id ?? '';
    expect(deliveryId).not.toBe('');
    const othersOwn = await create(loose, other, { url, events: ['*'] });
    const before = receiver.seen().requests;

    const routes: Array<readonly ['get' | 'patch' | 'delete' | 'post', string, object?]> = [
      ['get', `${BASE}/${id}/deliveries`],
      ['get', `${BASE}/${id}/deliveries?limit=5&status=delivered`],
      ['patch', `${BASE}/${id}`, { description: 'mine now' }],
      ['patch', `${BASE}/${id}`, { status: 'active' }],
      ['patch', `${BASE}/${id}`, { url: `http://127.0.0.1:${receiver.port}/stolen` }],
      ['delete', `${BASE}/${id}`],
      ['post', `${BASE}/${id}/test`],
      ['post', `${BASE}/${id}/rotate-secret`],
      ['post', `${BASE}/${id}/deliveries/${deliveryId}/redeliver`],
      // Its own endpoint with the owner's delivery id: still nothing.
      ['post', `${BASE}/${othersOwn}/deliveries/${deliveryId}/redeliver`],
    ];
    for (const [method, path, body] of routes) {
      const res = await (body === undefined
        ? request(loose.app)[method](path).set(other)
        : request(loose.app)[method](path).set(other).send(body));
      expect([method, path, res.status]).toEqual([method, path, 404]);
      expect([method, path, (res.body as { error?: { code?: string } }).error?.code]).toEqual([
        method,
        path,
        'NOT_FOUND',
      ]);
      expect(JSON.stringify(res.body)).not.toContain('whsec_');
    }
    const others = dataOf(await request(loose.app).get(BASE).set(other))['webhooks'] as Array<{ id: string }>;
    expect(others.map((w) => w.id)).toEqual([othersOwn]);
    const mine = dataOf(await request(loose.app).get(BASE).set(owner))['webhooks'] as Array<
      Record<string, unknown>
    >;
    expect(mine).toEqual([expect.objectContaining({ id, url, description: 'owner', status: 'active' })]);
    expect(receiver.seen().requests).toBe(before);
    // The owner's secret was not rotated: its own test still signs with it alone.
    const again = await request(loose.app).post(`${BASE}/${id}/test`).set(owner);
    expect(dataOf(again)).toMatchObject({ outcome: 'delivered', httpStatus: 200 });
    const got = receiver.last();
    if (!got || ownSecret === undefined) throw new Error('nothing delivered');
    const signature = String(got.headers['webhook-signature']);
    expect(signature.split(' ')).toHaveLength(1);
    expect(() =>
      new Webhook(ownSecret).verify(got.raw, {
        'webhook-id': String(got.headers['webhook-id']),
        'webhook-timestamp': String(got.headers['webhook-timestamp']),
        'webhook-signature': signature,
      }),
    ).not.toThrow();
  });

  it('never writes a whsec_ secret to the logs (create, rotate, test, redeliver, errors)', async () => {
    const h = await partner(loose);
    const url = `http://127.0.0.1:${receiver.port}/hook`;
    const ids = [
      await create(loose, h, { url, events: ['*'], description: 'logs' }),
      await create(loose, h, { url, events: ['message.sent'] }),
    ];
    for (const id of ids) {
      for (let i = 0; i < 2; i += 1) {
        const rotated = await request(loose.app).post(`${BASE}/${id}/rotate-secret`).set(h);
        expect(rotated.status).toBe(200);
        secrets.push(String(dataOf(rotated)['secret']));
      }
      expect((await request(loose.app).post(`${BASE}/${id}/test`).set(h)).status).toBe(200);
      await request(loose.app).patch(`${BASE}/${id}`).set(h).send({ url: `http://127.0.0.1:1/down` });
      expect((await request(loose.app).post(`${BASE}/${id}/test`).set(h)).status).toBe(200);
      // A body that quotes a secret is refused; the refusal must not echo it to the logs either.
      await request(loose.app).patch(`${BASE}/${id}`).set(h).send({ secret: secrets[0] });
    }
    const log = dataOf(
      await request(loose.app)
        .get(`${BASE}/${ids[0] ?? ''}/deliveries`)
        .set(h),
    )['deliveries'] as Array<{ id: string }>;
    const redo = await request(loose.app)
      .post(`${BASE}/${ids[0] ?? ''}/deliveries/${log[0]?.id ?? ''}/redeliver`)
      .set(h);
    expect(redo.status).toBe(200);
    const s = await partner(strict);
    const sid = await create(strict, s, { url: 'https://8.8.4.4/hook', events: ['*'] });
    const rotated = await request(strict.app).post(`${BASE}/${sid}/rotate-secret`).set(s);
    secrets.push(String(dataOf(rotated)['secret']));

    expect(secrets.length).toBeGreaterThanOrEqual(8);
    for (const secret of secrets) expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const lines = [...strict.logs, ...loose.logs];
    expect(lines.length).toBeGreaterThan(0);
    const leaks = lines.filter((l) => l.includes('whsec_') || secrets.some((x) => l.includes(x.slice(6))));
    expect(leaks).toEqual([]);
  });
});
