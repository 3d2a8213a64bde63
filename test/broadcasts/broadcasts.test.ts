/**
 * Broadcasts through the public doors (docs/contracts.md §11, ADR 0041): create-time validation of
 * every recipient, dedupe and opt-out, the raised body limit of this route only, scheduling,
 * cancel, counts that add up, `broadcast.completed` once; and a 10,000-recipient broadcast that
 * reaches the provider exactly once per recipient while single sends of the same number keep
 * their accept → SENT latency.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import {
  addPhoneNumber,
  addTemplate,
  createApiKey,
  isolatedDatabase,
  ORDER_CONFIRMATION,
  startStack,
  type Stack,
} from '@flowgate/testing';

type Headers = Record<string, string>;
interface Counts {
  pending: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  skipped: number;
  cancelled: number;
}
interface BroadcastBody {
  id: string;
  status: string;
  total: number;
  duplicates: number;
  counts: Counts;
  completedAt: string | null;
}
const data = <T>(res: { body: unknown }): T => (res.body as { data: T }).data;
const errorOf = (res: { body: unknown }) =>
  (res.body as { error: { code: string; details?: Array<{ path: string; message: string }> } }).error;
const sum = (c: Counts): number =>
  c.pending + c.sent + c.delivered + c.read + c.failed + c.skipped + c.cancelled;
const vars = (i: number) => ({ '1': `Customer ${i}`, '2': `#${i}`, '3': 'tomorrow' });
/** A distinct valid number per index (country code 44, 10 more digits). */
const phoneOf = (base: number, i: number): string => `44${String(base + i).padStart(10, '0')}`;

describe('broadcasts (docs/contracts.md §11)', () => {
  let s: Stack;
  let database: Awaited<ReturnType<typeof isolatedDatabase>>;
  let p: { workspaceId: string; phoneNumberIds: string[]; headers: Headers };
  let other: { workspaceId: string; phoneNumberIds: string[]; headers: Headers };
  const future = (): string => new Date(Date.now() + 3600_000).toISOString();
  const api = () => request(s.api.app);

  beforeAll(async () => {
    // A database of its own: every dispatcher releases the broadcasts it sees, and another test's
    // stack would send these to its own sandbox.
    database = await isolatedDatabase('broadcasts');
    s = await startStack({ DATABASE_URL: database.url, DISPATCH_PAIR_BURST: '1000' });
    p = await s.partner();
    other = await s.partner();
    await addTemplate(s.db, p.workspaceId, ORDER_CONFIRMATION);
    await addTemplate(s.db, other.workspaceId, ORDER_CONFIRMATION);
  });
  afterAll(async () => {
    await s.close();
    await database.drop();
  });

  it('checks every recipient at create: 422 names them by index and nothing is stored', async () => {
    const unknownContact = randomUUID();
    const res = await api()
      .post('/api/v1/public/broadcasts')
      .set(p.headers)
      .send({
        name: 'invalid',
        templateName: 'order_confirmation',
        recipients: [
          { phone: '+44 7700 900001', templateVariables: vars(1) },
          { phone: '447700900002', templateVariables: { '1': 'only one' } },
          { contactId: unknownContact, templateVariables: vars(3) },
          { phone: '447700900004', templateVariables: vars(4) },
        ],
      });
    expect(res.status).toBe(422);
    expect(errorOf(res).code).toBe('BROADCAST_RECIPIENTS_INVALID');
    const paths = (errorOf(res).details ?? []).map((d) => d.path);
    expect(paths).toHaveLength(2);
    expect(paths[0]).toMatch(/^\/recipients\/1/);
    expect(paths[1]).toBe('/recipients/2/contactId');
    expect(await s.db('broadcasts').where({ workspace_id: p.workspaceId, name: 'invalid' })).toHaveLength(0);

    // Names at most the first 100 of many.
    const many = await api()
      .post('/api/v1/public/broadcasts')
      .set(p.headers)
      .send({
        name: 'many invalid',
        templateName: 'order_confirmation',
        recipients: Array.from({ length: 300 }, (_, i) => ({ phone: phoneOf(1000, i) })),
      });
    expect(many.status).toBe(422);
    expect(errorOf(many).details).toHaveLength(100);
    expect(errorOf(many).details?.[99]?.path).toMatch(/^\/recipients\/99/);
  });

  it('refuses hostile bodies with clear 4xx JSON, and a past scheduledAt', async () => {
    const base = { name: 'x', templateName: 'order_confirmation' };
    const bodies: Array<[unknown, number]> = [
      [{}, 400],
      [{ ...base }, 400],
      [{ ...base, recipients: [] }, 400],
      [{ ...base, recipients: [{ phone: '1' }] }, 400],
      [{ ...base, recipients: [{ phone: '447700900001', contactId: randomUUID() }] }, 400],
      [{ ...base, recipients: [{ phone: '447700900001' }], audience: { tags: ['a'] } }, 400],
      [{ ...base, recipients: [{ phone: '447700900001', extra: 1 }] }, 400],
      [{ ...base, audience: { tags: [] } }, 400],
      [{ ...base, name: '', recipients: [{ phone: '447700900001' }] }, 400],
      [{ ...base, scheduledAt: 'tomorrow', recipients: [{ phone: '447700900001' }] }, 400],
      [
        {
          ...base,
          scheduledAt: new Date(Date.now() - 60_000).toISOString(),
          recipients: [{ phone: '447700900001', templateVariables: vars(1) }],
        },
        400,
      ],
      [{ ...base, templateName: 'no_such_template', recipients: [{ phone: '447700900001' }] }, 422],
      [{ ...base, audience: { tags: ['nobody-has-this'] }, templateVariables: vars(1) }, 422],
      [{ ...base, phoneNumberId: randomUUID(), recipients: [{ phone: '447700900001' }] }, 422],
    ];
    for (const [body, status] of bodies) {
      const res = await api()
        .post('/api/v1/public/broadcasts')
        .set(p.headers)
        .send(body as object);
      expect({ body, status: res.status }).toEqual({ body, status });
      expect(typeof errorOf(res).code).toBe('string');
    }
    const notJson = await api()
      .post('/api/v1/public/broadcasts')
      .set(p.headers)
      .set('content-type', 'application/json')
      .send('{"name": ');
    expect(notJson.status).toBe(400);
    expect(await s.db('broadcasts').where({ workspace_id: p.workspaceId })).toHaveLength(0);
  });

  it('takes a body over the usual limit on this route only, and never parses one for a caller without a key', async () => {
    const recipients = Array.from({ length: 5000 }, (_, i) => ({
      phone: phoneOf(2_000_000, i),
      templateVariables: vars(i),
    }));
    const body = { name: 'big body', templateName: 'order_confirmation', scheduledAt: future(), recipients };
    expect(JSON.stringify(body).length).toBeGreaterThan(256 * 1024);
    const created = await api().post('/api/v1/public/broadcasts').set(p.headers).send(body);
    expect(created.status).toBe(201);
    expect(data<{ total: number; status: string }>(created)).toMatchObject({
      total: 5000,
      status: 'SCHEDULED',
    });
    // Another route keeps its 256 KiB limit.
    const contact = await api()
      .post('/api/v1/public/contacts')
      .set(p.headers)
      .send({ phone: '447700900999', attributes: { big: 'x'.repeat(300 * 1024) } });
    expect(contact.status).toBe(413);
    // No key, no parse: 401 before the body is read.
    const anonymous = await api().post('/api/v1/public/broadcasts').send(body);
    expect(anonymous.status).toBe(401);
    // Beyond 32 MiB: 413 from the declared length.
    const tooBig = await api()
      .post('/api/v1/public/broadcasts')
      .set(p.headers)
      .set('content-type', 'application/json')
      .send(`{"name":"${'x'.repeat(33 * 1024 * 1024)}"}`);
    expect(tooBig.status).toBe(413);
    const cancel = await api()
      .post(`/api/v1/public/broadcasts/${data<{ id: string }>(created).id}/cancel`)
      .set(p.headers);
    expect(cancel.status).toBe(200);
  });

  it('dedupes, skips opted-out contacts, sends to an audience by tags, and counts add up', async () => {
    // Contacts: three tagged, one of them opted out.
    const contacts: string[] = [];
    for (const [i, optedOut] of [
      [1, false],
      [2, false],
      [3, true],
    ] as const) {
      const res = await api()
        .post('/api/v1/public/contacts')
        .set(p.headers)
        .send({ phone: phoneOf(3_000_000, i), tags: ['spring'] });
      expect(res.status).toBe(201);
      const id = data<{ id: string }>(res).id;
      contacts.push(id);
      if (optedOut) await s.db('contacts').where({ id }).update({ opted_out: true });
    }
    const audience = await api()
      .post('/api/v1/public/broadcasts')
      .set(p.headers)
      .send({
        name: 'spring audience',
        templateName: 'order_confirmation',
        audience: { tags: ['spring', 'unused'] },
        templateVariables: vars(0),
      });
    expect(audience.status).toBe(201);
    expect(data(audience)).toMatchObject({ total: 3, skipped: 1, duplicates: 0, status: 'SENDING' });

    // Listed: a phone twice (typed differently), a contact by id whose phone is also listed.
    const listed = await api()
      .post('/api/v1/public/broadcasts')
      .set(p.headers)
      .send({
        name: 'listed',
        templateName: 'order_confirmation',
        templateLanguage: 'en_US',
        recipients: [
          { phone: `+${phoneOf(3_000_000, 9)}`, templateVariables: vars(9) },
          { phone: phoneOf(3_000_000, 9), templateVariables: vars(9) },
          { contactId: contacts[0], templateVariables: vars(1) },
          { phone: phoneOf(3_000_000, 1), templateVariables: vars(1) },
          { contactId: contacts[2], templateVariables: vars(3) },
        ],
      });
    expect(listed.status).toBe(201);
    expect(data(listed)).toMatchObject({ total: 3, duplicates: 2, skipped: 1 });

    for (const id of [data<{ id: string }>(audience).id, data<{ id: string }>(listed).id]) {
      const done = await waitFor(async () => {
        const b = data<BroadcastBody>(await api().get(`/api/v1/public/broadcasts/${id}`).set(p.headers));
        return b.completedAt !== null ? b : undefined;
      });
      expect(done.status).toBe('COMPLETED');
      expect(done.counts).toMatchObject({ sent: 2, skipped: 1, pending: 0 });
      expect(sum(done.counts)).toBe(done.total);
    }
    // The opted-out contact's number never reached the provider.
    const optedOutPhone = phoneOf(3_000_000, 3);
    expect(s.sandbox.calls().filter((c) => JSON.stringify(c.body).includes(optedOutPhone))).toHaveLength(0);
  });

  it('a scheduled broadcast waits; cancel stops it (409 once finished); completed fires once with CANCELLED', async () => {
    const created = await api()
      .post('/api/v1/public/broadcasts')
      .set(p.headers)
      .send({
        name: 'later',
        templateName: 'order_confirmation',
        scheduledAt: future(),
        recipients: [1, 2, 3].map((i) => ({ phone: phoneOf(4_000_000, i), templateVariables: vars(i) })),
      });
    expect(created.status).toBe(201);
    const id = data<{ id: string }>(created).id;
    const before = data<BroadcastBody>(await api().get(`/api/v1/public/broadcasts/${id}`).set(p.headers));
    expect(before).toMatchObject({ status: 'SCHEDULED', total: 3, counts: { pending: 3 } });
    const cancelled = await api().post(`/api/v1/public/broadcasts/${id}/cancel`).set(p.headers);
    expect(cancelled.status).toBe(200);
    expect(data(cancelled)).toMatchObject({ status: 'CANCELLED', counts: { cancelled: 3, pending: 0 } });
    const again = await api().post(`/api/v1/public/broadcasts/${id}/cancel`).set(p.headers);
    expect(again.status).toBe(409);
    expect(errorOf(again).code).toBe('BROADCAST_FINISHED');
    await waitFor(
      async () =>
        data<BroadcastBody>(await api().get(`/api/v1/public/broadcasts/${id}`).set(p.headers)).completedAt ??
        undefined,
    );
    const events = await s
      .db('partner_events')
      .where({ workspace_id: p.workspaceId, type: 'broadcast.completed' });
    const mine = events.filter((e: { data: unknown }) => JSON.stringify(e.data).includes(id));
    expect(mine).toHaveLength(1);
    expect(JSON.stringify(mine[0])).toContain('CANCELLED');
    for (const i of [1, 2, 3])
      expect(
        s.sandbox.calls().filter((c) => JSON.stringify(c.body).includes(phoneOf(4_000_000, i))),
      ).toHaveLength(0);
  });

  it('lists newest first with a cursor; a forged cursor is 400; another workspace sees 404 on every route', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const res = await api()
        .post('/api/v1/public/broadcasts')
        .set(p.headers)
        .send({
          name: `page ${i}`,
          templateName: 'order_confirmation',
          scheduledAt: future(),
          recipients: [{ phone: phoneOf(5_000_000, i), templateVariables: vars(i) }],
        });
      expect(res.status).toBe(201);
      ids.push(data<{ id: string }>(res).id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await api()
        .get('/api/v1/public/broadcasts')
        .query({ limit: '2', status: 'SCHEDULED', ...(cursor !== null ? { cursor } : {}) })
        .set(p.headers);
      expect(res.status).toBe(200);
      const page: { broadcasts: BroadcastBody[]; nextCursor: string | null } = data(res);
      seen.push(...page.broadcasts.map((b) => b.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual([...ids].reverse());
    expect((await api().get('/api/v1/public/broadcasts?cursor=Zm9yZ2Vk').set(p.headers)).status).toBe(400);
    expect((await api().get('/api/v1/public/broadcasts?limit=0').set(p.headers)).status).toBe(400);
    expect((await api().get('/api/v1/public/broadcasts?status=DONE').set(p.headers)).status).toBe(400);
    expect((await api().get('/api/v1/public/broadcasts/not-a-uuid').set(p.headers)).status).toBe(404);

    let successes = 0;
    for (const id of ids) {
      const get = await api().get(`/api/v1/public/broadcasts/${id}`).set(other.headers);
      const cancel = await api().post(`/api/v1/public/broadcasts/${id}/cancel`).set(other.headers);
      expect([get.status, cancel.status]).toEqual([404, 404]);
      successes += [get.status, cancel.status].filter((st) => st < 400).length;
    }
    const list = data<{ broadcasts: BroadcastBody[] }>(
      await api().get('/api/v1/public/broadcasts').set(other.headers),
    );
    expect(list.broadcasts.filter((b) => ids.includes(b.id))).toHaveLength(0);
    expect(successes).toBe(0);
    // Another workspace's contact is not a recipient here.
    const foreign = await api()
      .post('/api/v1/public/contacts')
      .set(other.headers)
      .send({ phone: phoneOf(5_100_000, 1) });
    const withForeign = await api()
      .post('/api/v1/public/broadcasts')
      .set(p.headers)
      .send({
        name: 'foreign',
        templateName: 'order_confirmation',
        recipients: [{ contactId: data<{ id: string }>(foreign).id, templateVariables: vars(1) }],
      });
    expect(withForeign.status).toBe(422);
  });

  it('a key without broadcasts:write may read but not create', async () => {
    const key = await createApiKey(s.db, p.workspaceId);
    await s
      .db('api_keys')
      .where({ api_key: key.apiKey })
      .update({ scopes: JSON.stringify(['messages:read']) });
    const headers = { apiKey: key.apiKey, apiSecret: key.apiSecret };
    const create = await api()
      .post('/api/v1/public/broadcasts')
      .set(headers)
      .send({ name: 'x', templateName: 'order_confirmation', recipients: [{ phone: '447700900001' }] });
    expect(create.status).toBe(403);
    expect(errorOf(create).code).toBe('INSUFFICIENT_SCOPE');
    expect((await api().get('/api/v1/public/broadcasts').set(headers)).status).toBe(200);
  });

  it('10,000 recipients, 1 % opted out and 1 % duplicates: each reaches the provider once, counts add up, completed once; single sends keep their latency', async () => {
    const numberId = p.phoneNumberIds[0] ?? '';
    await s.setRate(numberId, 200);
    const N = 10_000;
    const optedOut = new Set<number>();
    for (let i = 0; i < N; i += 100) optedOut.add(i + 7);
    // 1 % opted-out contacts.
    await s.db('contacts').insert(
      [...optedOut].map((i) => ({
        id: randomUUID(),
        workspace_id: p.workspaceId,
        phone: phoneOf(6_000_000, i),
        opted_out: true,
      })),
    );
    const recipients = Array.from({ length: N }, (_, i) => ({
      phone: phoneOf(6_000_000, i),
      templateVariables: vars(i),
    }));
    // 1 % duplicates, typed differently.
    for (let i = 0; i < N / 100; i += 1)
      recipients.push({ phone: `+${phoneOf(6_000_000, i * 100)}`, templateVariables: vars(i) });

    // Idle single sends first: accept → SENT at a steady pace.
    const single = (i: number, phoneNumberId?: string) =>
      s.send(p.headers, {
        type: 'template',
        phone: phoneOf(7_000_000, i),
        templateName: 'order_confirmation',
        templateVariables: vars(i),
        ...(phoneNumberId !== undefined ? { phoneNumberId } : {}),
      });
    // A second number of the workspace with no broadcast: its single sends, taken at the same
    // moments, show what the machine's load alone does to latency while the broadcast drains.
    const control = (await addPhoneNumber(s.db, s.api.config.secretKey, p.workspaceId, { isDefault: false }))
      .phoneNumberId;
    const idleIds: string[] = [];
    for (let i = 0; i < 40; i += 1) {
      idleIds.push(await single(i));
      await new Promise((r) => setTimeout(r, 50));
    }
    await s.waitForFinal(idleIds);

    const t0 = Date.now();
    const created = await api()
      .post('/api/v1/public/broadcasts')
      .set(p.headers)
      .send({ name: 'ten thousand', templateName: 'order_confirmation', recipients });
    const acceptMs = Date.now() - t0;
    expect(created.status).toBe(201);
    const id = data<{ id: string }>(created).id;
    expect(data(created)).toMatchObject({ total: N, duplicates: N / 100, skipped: optedOut.size });

    // Single sends while the broadcast drains.
    await waitFor(async () => {
      const b = data<BroadcastBody>(await api().get(`/api/v1/public/broadcasts/${id}`).set(p.headers));
      return b.counts.sent > 500 ? b : undefined;
    });
    const busyIds: string[] = [];
    const controlIds: string[] = [];
    for (let i = 100; i < 140; i += 1) {
      busyIds.push(await single(i));
      controlIds.push(await single(i + 100, control));
      await new Promise((r) => setTimeout(r, 50));
    }
    await s.waitForFinal([...busyIds, ...controlIds]);
    const during = data<BroadcastBody>(await api().get(`/api/v1/public/broadcasts/${id}`).set(p.headers));
    expect(during.counts.pending).toBeGreaterThan(0);

    const done = await waitFor(async () => {
      const b = data<BroadcastBody>(await api().get(`/api/v1/public/broadcasts/${id}`).set(p.headers));
      return b.completedAt !== null ? b : undefined;
    }, 180_000);
    expect(done.status).toBe('COMPLETED');
    expect(done.counts).toEqual({
      pending: 0,
      sent: N - optedOut.size,
      delivered: 0,
      read: 0,
      failed: 0,
      skipped: optedOut.size,
      cancelled: 0,
    });
    expect(sum(done.counts)).toBe(done.total);

    // Exactly once at the provider, for every distinct recipient not opted out.
    const messages = await s.db('messages').select('id', 'recipient').where({ broadcast_id: id });
    expect(messages).toHaveLength(N - optedOut.size);
    expect(new Set(messages.map((m: { recipient: string }) => m.recipient)).size).toBe(N - optedOut.size);
    const perMessage = s.sandbox.summary({ phoneNumberId: undefined, perMessage: true }).perMessage ?? {};
    const notOnce = messages.filter((m: { id: string }) => perMessage[m.id]?.accepted !== 1);
    expect(notOnce).toHaveLength(0);
    for (const i of optedOut)
      expect(messages.some((m: { recipient: string }) => m.recipient === phoneOf(6_000_000, i))).toBe(false);
    const completed = (
      await s.db('partner_events').where({ workspace_id: p.workspaceId, type: 'broadcast.completed' })
    ).filter((e: { data: unknown }) => JSON.stringify(e.data).includes(id));
    expect(completed).toHaveLength(1);

    const latency = async (ids: string[]): Promise<number[]> => {
      const rows = await s
        .db('message_events as a')
        .join('message_events as b', 'a.message_id', 'b.message_id')
        .whereIn('a.message_id', ids)
        .andWhere({ 'a.status': 'ACCEPTED', 'b.status': 'SENT' })
        .select(s.db.raw('extract(epoch from (b.created_at - a.created_at)) * 1000 AS ms'));
      return rows.map((r: { ms: string | number }) => Number(r.ms)).sort((a, b) => a - b);
    };
    const at = (xs: number[], q: number): number =>
      xs[Math.min(xs.length - 1, Math.ceil(xs.length * q) - 1)] ?? NaN;
    const p50 = (xs: number[]): number => at(xs, 0.5);
    const p99 = (xs: number[]): number => at(xs, 0.99);
    const idle = await latency(idleIds);
    const busy = await latency(busyIds);
    const beside = await latency(controlIds);
    console.log(
      `broadcast of ${N}: accepted in ${acceptMs} ms; single sends accept→SENT p50/p99 idle ${p50(idle).toFixed(1)}/${p99(idle).toFixed(1)} ms, during ${p50(busy).toFixed(1)}/${p99(busy).toFixed(1)} ms (another number meanwhile ${p50(beside).toFixed(1)}/${p99(beside).toFixed(1)} ms)`,
    );
    expect(idle).toHaveLength(40);
    expect(busy).toHaveLength(40);
    expect(beside).toHaveLength(40);
    // A single send queued behind the broadcast would wait for thousands of its recipients (tens
    // of seconds at the number's pace); one that keeps its place in the lane waits at most a slot.
    // The reference is the larger of the idle value, what another number's single sends took at
    // the same moments (the broadcast's own CPU and other test files move every send on this
    // shared 2-core VM), and 50 ms. The median stays within 2 × the reference; the p99 of 40
    // sends is their slowest one, one scheduling hiccup, so it gets 5 ×: still far below a queue.
    const ref = (f: (xs: number[]) => number): number => Math.max(f(idle), f(beside), 50);
    expect(p50(busy)).toBeLessThanOrEqual(2 * ref(p50));
    expect(p99(busy)).toBeLessThanOrEqual(5 * ref(p99));
  }, 300_000);
});

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 200));
  }
}
