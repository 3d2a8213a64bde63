/**
 * Partner webhooks through the public doors (docs/contracts.md §10): endpoints managed with the
 * API key, events from Meta's webhooks and the dispatcher delivered by dispatcher processes through
 * RabbitMQ to local receivers that verify every delivery with the `standardwebhooks` library and
 * with Fliok's snippet.
 */
import { createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { Webhook } from 'standardwebhooks';
import { signMetaBody } from '@flowgate/core';
import { isolatedDatabase, metaInboundText, startStack, type Stack } from '@flowgate/testing';

const APP_SECRET = 'meta-app-secret-for-webhook-tests';

interface Received {
  /** Arrival time (ms). */
  at: number;
  id: string;
  event: string;
  data: Record<string, unknown>;
  headers: http.IncomingHttpHeaders;
  raw: string;
}

/** A receiver: answers what `answer` says, records every delivery with its raw body. */
async function receiver(
  answer: (n: number) => { status: number; delayMs?: number; headers?: Record<string, string> } = () => ({
    status: 200,
  }),
) {
  const got: Received[] = [];
  let n = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const body = JSON.parse(raw) as { id: string; event: string; data: Record<string, unknown> };
      got.push({ ...body, at: Date.now(), headers: req.headers, raw });
      n += 1;
      const a = answer(n);
      setTimeout(() => {
        res.writeHead(a.status, a.headers ?? {});
        res.end('ok');
      }, a.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    got,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const until = async <T>(fn: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
};

const dataOf = (res: { body: unknown }) => (res.body as { data: Record<string, unknown> }).data;

describe('partner webhooks (docs/contracts.md §10)', () => {
  let s: Stack;
  let p: Awaited<ReturnType<Stack['partner']>> & { providerId: string };
  const partner = async () => {
    const base = await s.partner();
    const row = await s
      .db('phone_numbers')
      .where({ id: base.phoneNumberIds[0] })
      .first<{ provider_phone_number_id: string }>();
    return { ...base, providerId: row?.provider_phone_number_id ?? '' };
  };
  const inbound = (providerId: string, from: string, text: string) => {
    const body = JSON.stringify(metaInboundText(providerId, from, text, 'R'));
    return request(s.api.app)
      .post('/api/v1/webhooks/meta')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', signMetaBody(body, APP_SECRET))
      .send(body);
  };
  const create = (headers: Record<string, string>, body: Record<string, unknown>) =>
    request(s.api.app).post('/api/v1/public/webhooks').set(headers).send(body);

  let database: Awaited<ReturnType<typeof isolatedDatabase>>;
  beforeAll(async () => {
    // A database of its own: every dispatcher relays the whole outbox it sees, and another test's
    // stack (another broker prefix) could take these events to its own queues and stop.
    database = await isolatedDatabase('webhooks');
    s = await startStack({
      DATABASE_URL: database.url,
      META_APP_SECRET: APP_SECRET,
      META_WEBHOOK_VERIFY_TOKEN: 'verify-token-x',
      DISPATCH_PAIR_BURST: '1000',
    });
    p = await partner();
  });
  afterAll(async () => {
    await s.close();
    await database.drop();
  });

  it('creates an endpoint (secret shown once), lists it without the secret, and delivers signed events', async () => {
    const r = await receiver();
    try {
      const created = await create(p.headers, {
        url: r.url,
        events: ['message.received', 'message.sent'],
        description: 'crm',
      });
      expect(created.status).toBe(201);
      const secret = String(dataOf(created)['secret']);
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      const list = await request(s.api.app).get('/api/v1/public/webhooks').set(p.headers);
      expect(JSON.stringify(list.body)).not.toContain(secret);
      expect((dataOf(list)['webhooks'] as unknown[]).length).toBe(1);

      expect((await inbound(p.providerId, '447700900001', 'hello there')).status).toBe(200);
      const sent = await s.send(p.headers, { type: 'text', phone: '447700900001', content: 'hi back' });
      const got = await until(
        () => r.got,
        (g) => g.some((x) => x.event === 'message.received') && g.some((x) => x.event === 'message.sent'),
      );
      const wh = new Webhook(secret);
      for (const d of got) {
        // Standard Webhooks, as the official library verifies it …
        expect(() =>
          wh.verify(d.raw, {
            'webhook-id': String(d.headers['webhook-id']),
            'webhook-timestamp': String(d.headers['webhook-timestamp']),
            'webhook-signature': String(d.headers['webhook-signature']),
          }),
        ).not.toThrow();
        expect(d.headers['webhook-id']).toBe(d.id);
        // … and Fliok's snippet: hex HMAC-SHA256 of the re-serialised body with the whole secret.
        const fliok = createHmac('sha256', secret)
          .update(JSON.stringify(JSON.parse(d.raw)))
          .digest('hex');
        expect(d.headers['x-flowgate-signature']).toBe(fliok);
      }
      const received = got.find((x) => x.event === 'message.received');
      expect(received?.data).toMatchObject({
        phone: '447700900001',
        type: 'text',
        content: { body: 'hello there' },
      });
      expect(got.find((x) => x.event === 'message.sent')?.data).toMatchObject({
        messageId: sent,
        status: 'SENT',
      });
    } finally {
      await r.close();
    }
  });

  it('retries with the same webhook-id, logs every attempt, and redelivers on request', async () => {
    const q = await partner();
    const r = await receiver((n) => ({ status: n === 1 ? 500 : 200 }));
    try {
      const created = await create(q.headers, { url: r.url, events: ['*'] });
      const id = String(dataOf(created)['id']);
      await inbound(q.providerId, '447700900002', 'retry me');
      const got = await until(
        () => r.got,
        (g) => g.length >= 2,
      );
      expect(got).toHaveLength(2);
      expect(got[0]?.headers['webhook-id']).toBe(got[1]?.headers['webhook-id']);
      const log = await until(
        async () =>
          dataOf(await request(s.api.app).get(`/api/v1/public/webhooks/${id}/deliveries`).set(q.headers))[
            'deliveries'
          ] as Array<{ id: string; outcome: string; attempt: number; httpStatus: number }>,
        (d) => d.length >= 2,
      );
      expect(log.map((d) => [d.attempt, d.outcome, d.httpStatus])).toEqual([
        [2, 'delivered', 200],
        [1, 'retry_scheduled', 500],
      ]);
      const redo = await request(s.api.app)
        .post(`/api/v1/public/webhooks/${id}/deliveries/${log[0]?.id ?? ''}/redeliver`)
        .set(q.headers);
      expect(redo.status).toBe(200);
      const again = await until(
        () => r.got,
        (g) => g.length >= 3,
      );
      expect(again[2]?.headers['webhook-id']).toBe(got[0]?.headers['webhook-id']);
    } finally {
      await r.close();
    }
  });

  it('410 disables the endpoint; PATCH re-enables it; DELETE stops deliveries and is idempotent', async () => {
    const q = await partner();
    const r = await receiver(() => ({ status: 410 }));
    try {
      const id = String(dataOf(await create(q.headers, { url: r.url, events: ['message.received'] }))['id']);
      await inbound(q.providerId, '447700900003', 'gone?');
      const disabled = await until(
        async () =>
          dataOf(await request(s.api.app).get('/api/v1/public/webhooks').set(q.headers))[
            'webhooks'
          ] as Array<{ status: string; disabledReason: string | null }>,
        (w) => w[0]?.status === 'disabled',
      );
      expect(disabled[0]).toMatchObject({
        status: 'disabled',
        disabledReason: expect.stringMatching(/410/) as unknown,
      });
      const patched = await request(s.api.app)
        .patch(`/api/v1/public/webhooks/${id}`)
        .set(q.headers)
        .send({ status: 'active' });
      expect(dataOf(patched)['status']).toBe('active');
      const del1 = await request(s.api.app).delete(`/api/v1/public/webhooks/${id}`).set(q.headers);
      const del2 = await request(s.api.app).delete(`/api/v1/public/webhooks/${id}`).set(q.headers);
      expect([del1.status, del2.status]).toEqual([200, 200]);
      const before = r.got.length;
      await inbound(q.providerId, '447700900003', 'after delete');
      await new Promise((res) => setTimeout(res, 1500));
      expect(r.got.length).toBe(before);
    } finally {
      await r.close();
    }
  });

  it('an endpoint failing for WEBHOOK_DISABLE_AFTER_HOURS is disabled; Retry-After lengthens the wait', async () => {
    const q = await partner();
    const failing = await receiver(() => ({ status: 500 }));
    const busy = await receiver((n) =>
      n === 1 ? { status: 429, headers: { 'Retry-After': '2' } } : { status: 200 },
    );
    try {
      const failingId = String(
        dataOf(await create(q.headers, { url: failing.url, events: ['message.received'] }))['id'],
      );
      const busyId = String(
        dataOf(await create(q.headers, { url: busy.url, events: ['message.received'] }))['id'],
      );
      // Every delivery has failed for longer than the default 120 h.
      await s
        .db('webhook_endpoints')
        .where({ id: failingId })
        .update({ failing_since: new Date(Date.now() - 121 * 3600_000) });
      await inbound(q.providerId, '447700900004', 'still there?');
      const endpoints = await until(
        async () =>
          dataOf(await request(s.api.app).get('/api/v1/public/webhooks').set(q.headers))[
            'webhooks'
          ] as Array<{
            id: string;
            status: string;
            disabledReason: string | null;
          }>,
        (w) => w.find((e) => e.id === failingId)?.status === 'disabled',
      );
      expect(endpoints.find((e) => e.id === failingId)).toMatchObject({
        status: 'disabled',
        disabledReason: expect.stringMatching(/^Every delivery failed since/) as unknown,
      });
      const log = await until(
        async () =>
          dataOf(await request(s.api.app).get(`/api/v1/public/webhooks/${busyId}/deliveries`).set(q.headers))[
            'deliveries'
          ] as Array<{ outcome: string; createdAt: string; nextAttemptAt: string | null }>,
        (d) => d.some((x) => x.outcome === 'delivered'),
      );
      const retried = log.find((x) => x.outcome === 'retry_scheduled');
      // The schedule says 500 ms; Retry-After: 2 says 2 s.
      expect(
        Date.parse(retried?.nextAttemptAt ?? '') - Date.parse(retried?.createdAt ?? ''),
      ).toBeGreaterThanOrEqual(1900);
      expect(busy.got.length).toBe(2);
      expect(busy.got[1]!.at - busy.got[0]!.at).toBeGreaterThanOrEqual(1900);
    } finally {
      await failing.close();
      await busy.close();
    }
  });

  it('test delivers webhook.test now; rotation signs with both secrets', async () => {
    const q = await partner();
    const r = await receiver();
    try {
      const created = dataOf(await create(q.headers, { url: r.url, events: ['*'] }));
      const id = String(created['id']);
      const oldSecret = String(created['secret']);
      const rotated = await request(s.api.app)
        .post(`/api/v1/public/webhooks/${id}/rotate-secret`)
        .set(q.headers);
      expect(rotated.status).toBe(200);
      const newSecret = String(dataOf(rotated)['secret']);
      expect(newSecret).not.toBe(oldSecret);
      const test = await request(s.api.app).post(`/api/v1/public/webhooks/${id}/test`).set(q.headers);
      expect(test.status).toBe(200);
      expect(dataOf(test)).toMatchObject({ event: 'webhook.test', outcome: 'delivered', httpStatus: 200 });
      const d = r.got[0];
      if (!d) throw new Error('nothing delivered');
      const headers = {
        'webhook-id': String(d.headers['webhook-id']),
        'webhook-timestamp': String(d.headers['webhook-timestamp']),
        'webhook-signature': String(d.headers['webhook-signature']),
      };
      expect(() => new Webhook(oldSecret).verify(d.raw, headers)).not.toThrow();
      expect(() => new Webhook(newSecret).verify(d.raw, headers)).not.toThrow();
    } finally {
      await r.close();
    }
  });

  it('a slow endpoint does not hold up a fast one', async () => {
    const q = await partner();
    const slow = await receiver(() => ({ status: 200, delayMs: 10_000 }));
    const fast = await receiver();
    try {
      await create(q.headers, { url: slow.url, events: ['message.received'] });
      await create(q.headers, { url: fast.url, events: ['message.received'] });
      const postedAt = new Map<string, number>();
      const started = Date.now();
      for (let i = 0; i < 20; i += 1) {
        const phone = `4477009100${String(i).padStart(2, '0')}`;
        postedAt.set(phone, Date.now());
        await inbound(q.providerId, phone, `m${i}`);
      }
      await until(
        () => fast.got,
        (g) => g.length >= 20,
        15_000,
      );
      expect(fast.got).toHaveLength(20);
      // The fast endpoint got all 20 while the slow one was still sitting on its first ones
      // (it answers after 10 s): nothing of the fast one waited for the slow one.
      expect(Date.now() - started).toBeLessThan(9_000);
      const latencies = fast.got
        .map((d) => d.at - (postedAt.get(String(d.data['phone'])) ?? d.at))
        .sort((a, b) => a - b);
      console.log(
        `webhooks isolation: fast endpoint, event → arrival p50 ${latencies[10] ?? -1} ms, max ${latencies[19] ?? -1} ms, with a 10 s endpoint on the same events`,
      );
    } finally {
      await slow.close();
      await fast.close();
    }
  });

  it('refuses bad input with 400 and other workspaces’ endpoints with 404', async () => {
    const q = await partner();
    const mine = String(
      dataOf(await create(p.headers, { url: 'https://example.com/hook', events: ['message.read'] }))['id'],
    );
    for (const body of [
      { url: 'https://example.com', events: ['message.nope'] },
      { url: 'https://example.com', events: [] },
      { url: 'not a url', events: ['*'] },
      { url: 'ftp://example.com', events: ['*'] },
      { events: ['*'] },
      { url: 'https://example.com', events: ['*'], extra: 1 },
    ]) {
      const res = await create(q.headers, body);
      expect(res.status).toBe(400);
    }
    for (const [method, path] of [
      ['patch', `/api/v1/public/webhooks/${mine}`],
      ['delete', `/api/v1/public/webhooks/${mine}`],
      ['get', `/api/v1/public/webhooks/${mine}/deliveries`],
      ['post', `/api/v1/public/webhooks/${mine}/test`],
      ['post', `/api/v1/public/webhooks/${mine}/rotate-secret`],
      ['post', `/api/v1/public/webhooks/${mine}/deliveries/${randomUUID()}/redeliver`],
    ] as const) {
      const res = await request(s.api.app)[method](path).set(q.headers).send({ status: 'active' });
      expect([method, path, res.status]).toEqual([method, path, 404]);
    }
  });
});
