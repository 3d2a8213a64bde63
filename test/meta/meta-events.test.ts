/**
 * Meta's webhooks in, through the public doors (docs/contracts.md §9): signed posts to the API's
 * intake, processed by a dispatcher process's worker through RabbitMQ, read back through the
 * partner routes.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { signMetaBody } from '@flowgate/core';
import {
  addTemplate,
  metaMessagesChange,
  ORDER_CONFIRMATION,
  startStack,
  type Stack,
} from '@flowgate/testing';

const APP_SECRET = 'meta-app-secret-for-tests-0123456789';
const VERIFY_TOKEN = 'verify-token-for-tests';
const INTAKE = '/api/v1/webhooks/meta';

type Partner = Awaited<ReturnType<Stack['partner']>> & { providerId: string };

/** The JSON envelope of a response, typed as loosely as the assertions need. */
const dataOf = (res: { body: unknown }): Record<string, unknown[]> =>
  (res.body as { data: Record<string, unknown[]> }).data;
const codeOf = (res: { body: unknown }): string | undefined =>
  (res.body as { error?: { code?: string } }).error?.code;

const secs = (offset = 0): string => String(Math.floor(Date.now() / 1000) + offset);

const messagesChange = (providerId: string, value: Record<string, unknown>) =>
  metaMessagesChange(providerId, value);

describe("Meta's webhooks in (docs/contracts.md §9)", () => {
  let s: Stack;
  let p: Partner;

  const post = (body: unknown, secret = APP_SECRET) => {
    const raw = JSON.stringify(body);
    return request(s.api.app)
      .post(INTAKE)
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', signMetaBody(raw, secret))
      .send(raw);
  };

  const partner = async (): Promise<Partner> => {
    const base = await s.partner();
    const row = await s
      .db('phone_numbers')
      .where({ id: base.phoneNumberIds[0] })
      .first<{ provider_phone_number_id: string }>();
    if (!row) throw new Error('no number');
    return { ...base, providerId: row.provider_phone_number_id };
  };

  const view = async (headers: Record<string, string>, id: string) => {
    const res = await request(s.api.app).get(`/api/v1/public/messages/${id}`).set(headers);
    expect(res.status).toBe(200);
    return (res.body as { data: unknown }).data as {
      status: string;
      providerMessageId: string | null;
      error: { code: number | null; message: string } | null;
      pricing: { category: string | null; type: string | null; billable: boolean | null } | null;
      history: Array<{ status: string; at: string; detail?: string }>;
    };
  };

  const until = async <T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await fn();
      if (ok(v) || Date.now() > deadline) return v;
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  /** A text message sent and SENT, with its wamid. */
  const sentMessage = async (to = '919876543210'): Promise<{ id: string; wamid: string }> => {
    const id = await s.send(p.headers, { type: 'text', phone: to, content: 'Your order has shipped.' });
    const final = await s.waitForFinal([id]);
    const wamid = final.get(id)?.provider_message_id;
    if (!wamid) throw new Error(`not sent: ${JSON.stringify(final.get(id))}`);
    return { id, wamid };
  };

  const status = (
    id: string | null,
    wamid: string,
    st: string,
    ts: string,
    extra: Record<string, unknown> = {},
  ) => ({
    id: wamid,
    status: st,
    timestamp: ts,
    recipient_id: '919876543210',
    ...(id ? { biz_opaque_callback_data: id } : {}),
    ...extra,
  });

  beforeAll(async () => {
    s = await startStack({
      META_APP_SECRET: APP_SECRET,
      META_WEBHOOK_VERIFY_TOKEN: VERIFY_TOKEN,
      DISPATCH_PAIR_BURST: '1000',
    });
    p = await partner();
    // p's customers wrote first: the number is connected and their windows are open.
    for (const from of ['919876543210', '919876543211'])
      await post(
        messagesChange(p.providerId, {
          contacts: [{ profile: { name: 'C' }, wa_id: from }],
          messages: [
            { from, id: `wamid.${randomUUID()}`, timestamp: secs(), type: 'text', text: { body: 'hi' } },
          ],
        }),
      );
    await until(
      () => s.db('conversations').where({ phone_number_id: p.phoneNumberIds[0] }),
      (rows: unknown[]) => rows.length === 2,
    );
  });
  afterAll(async () => {
    await s.close();
  });

  describe('handshake', () => {
    it('answers the challenge as text/plain with the right token', async () => {
      const res = await request(s.api.app)
        .get(INTAKE)
        .query({ 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '1158201444' });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.text).toBe('1158201444');
    });
    it.each([
      [{ 'hub.mode': 'subscribe', 'hub.verify_token': 'wrong', 'hub.challenge': '1' }],
      [{ 'hub.mode': 'unsubscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '1' }],
      [{ 'hub.challenge': '1' }],
    ])('403 otherwise (%j)', async (query) => {
      const res = await request(s.api.app).get(INTAKE).query(query);
      expect(res.status).toBe(403);
      expect(codeOf(res)).toBe('FORBIDDEN');
    });
  });

  describe('signature', () => {
    it('401 with nothing stored when missing or wrong; 200 once stored when right', async () => {
      const body = JSON.stringify(messagesChange(p.providerId, { statuses: [] }));
      const before = await s.db('meta_webhooks').count<[{ count: string }]>('* as count');
      const missing = await request(s.api.app)
        .post(INTAKE)
        .set('content-type', 'application/json')
        .send(body);
      const wrong = await post(JSON.parse(body), 'another-secret');
      const tampered = await request(s.api.app)
        .post(INTAKE)
        .set('content-type', 'application/json')
        .set('x-hub-signature-256', signMetaBody(body, APP_SECRET))
        .send(body.replace('whatsapp', 'whatsapq'));
      for (const res of [missing, wrong, tampered]) {
        expect(res.status).toBe(401);
        expect(codeOf(res)).toBe('INVALID_SIGNATURE');
      }
      const after = await s.db('meta_webhooks').count<[{ count: string }]>('* as count');
      expect(after[0]?.count).toBe(before[0]?.count);
      const ok = await post(JSON.parse(body));
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({ success: true, data: { received: true } });
    });
  });

  describe('statuses', () => {
    it('move forward only, at Meta’s time, with pricing, whatever order they come in', async () => {
      const m = await sentMessage();
      const pricing = { billable: true, pricing_model: 'PMP', category: 'utility', type: 'regular' };
      const readAt = secs(2);
      // read first, then delivered (late), then read again (duplicate)
      expect(
        (
          await post(
            messagesChange(p.providerId, { statuses: [status(m.id, m.wamid, 'read', readAt, { pricing })] }),
          )
        ).status,
      ).toBe(200);
      expect(
        (
          await post(
            messagesChange(p.providerId, { statuses: [status(m.id, m.wamid, 'delivered', secs(1))] }),
          )
        ).status,
      ).toBe(200);
      expect(
        (await post(messagesChange(p.providerId, { statuses: [status(m.id, m.wamid, 'read', readAt)] })))
          .status,
      ).toBe(200);
      const v = await until(
        () => view(p.headers, m.id),
        (x) => x.status === 'READ',
      );
      expect(v.status).toBe('READ');
      expect(v.pricing).toEqual({ category: 'utility', type: 'regular', billable: true });
      // let the late ones be processed too, then check nothing more was applied
      await new Promise((r) => setTimeout(r, 1500));
      const after = await view(p.headers, m.id);
      expect(after.history.filter((h) => h.status === 'READ')).toHaveLength(1);
      expect(after.history.filter((h) => h.status === 'DELIVERED')).toHaveLength(0);
      const read = after.history.find((h) => h.status === 'READ');
      expect(read?.at).toBe(new Date(Number(readAt) * 1000).toISOString());
    });

    it('one body with statuses of several messages applies each in its order, as if one by one', async () => {
      const [a, b, c] = await Promise.all([sentMessage(), sentMessage(), sentMessage()]);
      if (!a || !b || !c) throw new Error('three messages were not sent');
      const pricing = {
        billable: false,
        pricing_model: 'PMP',
        category: 'service',
        type: 'free_customer_service',
      };
      const res = await post(
        messagesChange(p.providerId, {
          statuses: [
            status(a.id, a.wamid, 'delivered', secs(1)),
            status(b.id, b.wamid, 'read', secs(3)),
            status(a.id, a.wamid, 'read', secs(2)),
            // b: delivered after its read (skipped), but its pricing is kept
            status(b.id, b.wamid, 'delivered', secs(2), { pricing }),
            status(a.id, a.wamid, 'read', secs(2)), // a duplicate in the same body
            status(null, c.wamid, 'delivered', secs(1)), // found by wamid
            status(c.id, c.wamid, 'failed', secs(2), {
              errors: [{ code: 131026, title: 'Message undeliverable' }],
            }),
          ],
        }),
      );
      expect(res.status).toBe(200);
      const [va, vb, vc] = await Promise.all(
        [a, b, c].map((m, i) =>
          until(
            () => view(p.headers, m.id),
            (x) => x.status === ['READ', 'READ', 'FAILED'][i],
          ),
        ),
      );
      expect(va?.history.map((h) => h.status).slice(-2)).toEqual(['DELIVERED', 'READ']);
      expect(va?.history.filter((h) => h.status === 'READ')).toHaveLength(1);
      expect(vb?.history.map((h) => h.status).slice(-1)).toEqual(['READ']);
      expect(vb?.history.filter((h) => h.status === 'DELIVERED')).toHaveLength(0);
      expect(vb?.pricing).toEqual({ category: 'service', type: 'free_customer_service', billable: false });
      expect(vc?.history.map((h) => h.status).slice(-2)).toEqual(['DELIVERED', 'FAILED']);
      expect(vc?.error).toMatchObject({ code: 131026, message: 'Message undeliverable' });
      // One partner event per applied status, none for the skipped or duplicate ones.
      const events = await s
        .db('partner_events')
        .whereRaw("data->>'messageId' = ANY(?)", [[a.id, b.id, c.id]])
        .whereIn('type', ['message.delivered', 'message.read', 'message.failed'])
        .select('type', s.db.raw("data->>'messageId' AS message_id"));
      const got = events.map((e: { type: string; message_id: string }) => `${e.message_id}:${e.type}`).sort();
      expect(got).toEqual(
        [
          `${a.id}:message.delivered`,
          `${a.id}:message.read`,
          `${b.id}:message.read`,
          `${c.id}:message.delivered`,
          `${c.id}:message.failed`,
        ].sort(),
      );
    });

    it('matches by wamid when biz_opaque_callback_data is absent; delivered then read', async () => {
      const m = await sentMessage();
      await post(messagesChange(p.providerId, { statuses: [status(null, m.wamid, 'delivered', secs())] }));
      await post(messagesChange(p.providerId, { statuses: [status(null, m.wamid, 'read', secs(1))] }));
      const v = await until(
        () => view(p.headers, m.id),
        (x) => x.status === 'READ',
      );
      expect(v.history.map((h) => h.status).slice(-2)).toEqual(['DELIVERED', 'READ']);
    });

    it('failed after delivered ends FAILED with Meta’s code and title', async () => {
      const m = await sentMessage();
      await post(messagesChange(p.providerId, { statuses: [status(m.id, m.wamid, 'delivered', secs())] }));
      await post(
        messagesChange(p.providerId, {
          statuses: [
            status(m.id, m.wamid, 'failed', secs(1), {
              errors: [
                {
                  code: 131049,
                  title: 'This message was not delivered to maintain healthy ecosystem engagement.',
                  error_data: { details: 'x' },
                },
              ],
            }),
          ],
        }),
      );
      const v = await until(
        () => view(p.headers, m.id),
        (x) => x.status === 'FAILED',
      );
      expect(v.status).toBe('FAILED');
      expect(v.error?.code).toBe(131049);
      expect(v.error?.message).toMatch(/healthy ecosystem/);
    });

    it('a status that beats our SENT write waits and is applied once the wamid is known', async () => {
      const id = await s.send(p.headers, { type: 'text', phone: '919876543211', content: 'hello' });
      // Our id is known, the wamid is not (yet): Meta was faster than our database.
      const early = `wamid.${randomUUID()}`;
      const pending = await post(
        messagesChange(p.providerId, { statuses: [status(id, early, 'delivered', secs(1))] }),
      );
      expect(pending.status).toBe(200);
      const v = await until(
        () => view(p.headers, id),
        (x) => x.status === 'DELIVERED',
      );
      expect(v.status).toBe('DELIVERED');
      expect(v.history.map((h) => h.status)).toContain('SENT');
      const left = await s.db('meta_pending_statuses').where({ message_id: id });
      expect(left).toHaveLength(0);
    });

    it('a status for another workspace’s message changes nothing', async () => {
      const other = await partner();
      const m = await sentMessage();
      await post(messagesChange(other.providerId, { statuses: [status(m.id, m.wamid, 'read', secs())] }));
      await new Promise((r) => setTimeout(r, 1500));
      expect((await view(p.headers, m.id)).status).toBe('SENT');
    });
  });

  describe('inbound', () => {
    it('stores the message, creates the contact and conversation, opens the window; dedupes the wamid', async () => {
      const q = await partner();
      const from = `4477009${String(Math.floor(Math.random() * 1e5)).padStart(5, '0')}`;
      const wamid = `wamid.${randomUUID()}`;
      const body = messagesChange(q.providerId, {
        contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: from }],
        messages: [
          {
            from,
            id: wamid,
            timestamp: secs(),
            type: 'text',
            text: { body: 'Does it come in another color?' },
            context: { id: 'wamid.ours' },
          },
        ],
      });
      expect((await post(body)).status).toBe(200);
      expect((await post(body)).status).toBe(200);
      const contacts = await until(
        async () =>
          dataOf(await request(s.api.app).get('/api/v1/public/contacts').set(q.headers)).contacts as Array<
            Record<string, unknown>
          >,
        (c) => c.length === 1 && c[0]?.['lastInboundAt'] !== null,
      );
      expect(contacts).toHaveLength(1);
      expect(contacts[0]).toMatchObject({ phone: from, name: 'Sheena Nelson', optedOut: false });
      expect(contacts[0]?.['windowOpenUntil']).not.toBeNull();
      const convs = dataOf(
        await request(s.api.app).get('/api/v1/public/conversations?status=open').set(q.headers),
      ).conversations as unknown as Array<{
        id: string;
        lastMessage: { direction: string; preview: string };
      }>;
      expect(convs).toHaveLength(1);
      expect(convs[0]?.lastMessage).toMatchObject({
        direction: 'inbound',
        preview: 'Does it come in another color?',
      });
      const msgs = await request(s.api.app)
        .get(`/api/v1/public/conversations/${convs[0]?.id}/messages`)
        .set(q.headers);
      expect(msgs.status).toBe(200);
      expect(dataOf(msgs).messages).toHaveLength(1);
      expect(dataOf(msgs).messages?.[0]).toMatchObject({
        direction: 'inbound',
        type: 'text',
        content: { body: 'Does it come in another color?' },
        replyTo: 'wamid.ours',
        providerMessageId: wamid,
      });
      // Another workspace sees none of it.
      const foreign = await request(s.api.app)
        .get(`/api/v1/public/conversations/${convs[0]?.id}/messages`)
        .set(p.headers);
      expect(foreign.status).toBe(404);
      const foreignContact = await request(s.api.app)
        .get(`/api/v1/public/contacts/${String(contacts[0]?.['id'])}`)
        .set(p.headers);
      expect(foreignContact.status).toBe(404);
      // A reply now works (the number is connected and the window open) and shows in the conversation.
      const reply = await request(s.api.app)
        .post('/api/v1/public/messages/send')
        .set(q.headers)
        .send({ type: 'text', phone: from, content: 'Yes, in blue.' });
      expect(reply.status).toBe(201);
      const both = await request(s.api.app)
        .get(`/api/v1/public/conversations/${convs[0]?.id}/messages`)
        .set(q.headers);
      expect(
        (dataOf(both).messages as Array<{ direction: string }>).map(
          (m: { direction: string }) => m.direction,
        ),
      ).toEqual(['outbound', 'inbound']);
    });

    it('STOP opts the contact out (sends by phone refused), START opts back in', async () => {
      const q = await partner();
      const from = `4477119${String(Math.floor(Math.random() * 1e5)).padStart(5, '0')}`;
      const say = (text: string) =>
        post(
          messagesChange(q.providerId, {
            contacts: [{ profile: { name: 'A' }, wa_id: from }],
            messages: [
              { from, id: `wamid.${randomUUID()}`, timestamp: secs(), type: 'text', text: { body: text } },
            ],
          }),
        );
      await say('  stop ');
      const refused = await until(
        () =>
          request(s.api.app)
            .post('/api/v1/public/messages/send')
            .set(q.headers)
            .send({ type: 'text', phone: from, content: 'hi' }),
        (r) => r.status === 422,
      );
      expect(codeOf(refused)).toBe('CONTACT_OPTED_OUT');
      const events = await s
        .db('partner_events')
        .where({ workspace_id: q.workspaceId, type: 'contact.opted_out' });
      expect(events).toHaveLength(1);
      await say('START');
      const ok = await until(
        () =>
          request(s.api.app)
            .post('/api/v1/public/messages/send')
            .set(q.headers)
            .send({ type: 'text', phone: from, content: 'welcome back' }),
        (r) => r.status === 201,
      );
      expect(ok.status).toBe(201);
    });

    it('SESSION_WINDOW_CLOSED for free-form sends to numbers that never wrote, once the number is connected; templates pass', async () => {
      const q = await partner();
      await addTemplate(s.db, q.workspaceId, ORDER_CONFIRMATION);
      // Not connected yet: the dispatcher's 131047 handling applies, the API accepts.
      const before = await request(s.api.app)
        .post('/api/v1/public/messages/send')
        .set(q.headers)
        .send({ type: 'text', phone: '919800000001', content: 'hi' });
      expect(before.status).toBe(201);
      await post(messagesChange(q.providerId, { statuses: [] }));
      const closed = await until(
        () =>
          request(s.api.app)
            .post('/api/v1/public/messages/send')
            .set(q.headers)
            .send({ type: 'text', phone: '919800000002', content: 'hi' }),
        (r) => r.status === 422,
      );
      expect(codeOf(closed)).toBe('SESSION_WINDOW_CLOSED');
      const template = await request(s.api.app)
        .post('/api/v1/public/messages/send')
        .set(q.headers)
        .send({
          type: 'template',
          phone: '919800000002',
          templateName: 'order_confirmation',
          templateVariables: { '1': 'A', '2': 'B', '3': 'C' },
        });
      expect(template.status).toBe(201);
    });
  });

  describe('template reviews and payments', () => {
    it('a review moves the stored template and sends follow at once; events written', async () => {
      const q = await partner();
      const waba = `waba${Math.floor(Math.random() * 1e9)}`;
      await s.db('phone_numbers').where({ id: q.phoneNumberIds[0] }).update({ waba_id: waba });
      await addTemplate(s.db, q.workspaceId, { ...ORDER_CONFIRMATION, status: 'PENDING' });
      const review = (event: string, reason?: string) => ({
        object: 'whatsapp_business_account',
        entry: [
          {
            id: waba,
            time: Number(secs()),
            changes: [
              {
                field: 'message_template_status_update',
                value: {
                  event,
                  message_template_id: 1689556908129832,
                  message_template_name: 'order_confirmation',
                  message_template_language: 'en_US',
                  reason: reason ?? 'NONE',
                },
              },
            ],
          },
        ],
      });
      const send = () =>
        request(s.api.app)
          .post('/api/v1/public/messages/send')
          .set(q.headers)
          .send({
            type: 'template',
            phone: '919800000003',
            templateName: 'order_confirmation',
            templateVariables: { '1': 'A', '2': 'B', '3': 'C' },
          });
      expect(codeOf(await send())).toBe('TEMPLATE_NOT_APPROVED');
      await post(review('APPROVED'));
      expect((await until(send, (r) => r.status === 201)).status).toBe(201);
      await post(review('REJECTED', 'INVALID_FORMAT'));
      expect(codeOf(await until(send, (r) => r.status === 422))).toBe('TEMPLATE_NOT_APPROVED');
      const t = await s
        .db('templates')
        .where({ workspace_id: q.workspaceId, name: 'order_confirmation' })
        .first<{ status: string; rejection_reason: string }>();
      expect(t).toMatchObject({ status: 'REJECTED', rejection_reason: 'INVALID_FORMAT' });
      const types = (await s.db('partner_events').where({ workspace_id: q.workspaceId }).select('type')).map(
        (r: { type: string }) => r.type,
      );
      expect(types).toEqual(expect.arrayContaining(['template.approved', 'template.status_updated']));
    });

    it('a captured payment is recorded once with payment.completed', async () => {
      const q = await partner();
      const payment = {
        id: `pay.${randomUUID()}`,
        type: 'payment',
        status: 'captured',
        timestamp: secs(),
        recipient_id: '919876543210',
        payment: {
          reference_id: `ref-${randomUUID()}`,
          amount: { value: 21000, offset: 100 },
          currency: 'INR',
          transaction: { id: 'txn-1', type: 'upi', status: 'success' },
        },
      };
      await post(messagesChange(q.providerId, { statuses: [payment] }));
      await post(messagesChange(q.providerId, { statuses: [payment] }));
      const events = await until(
        () => s.db('partner_events').where({ workspace_id: q.workspaceId, type: 'payment.completed' }),
        (e: unknown[]) => e.length > 0,
      );
      await new Promise((r) => setTimeout(r, 1000));
      expect(
        await s.db('partner_events').where({ workspace_id: q.workspaceId, type: 'payment.completed' }),
      ).toHaveLength(1);
      expect((events[0] as { data: Record<string, unknown> }).data).toMatchObject({
        amount: { value: 21000, offset: 100 },
        currency: 'INR',
        transactionId: 'txn-1',
      });
    });
  });

  it('unknown numbers, fields and absurd bodies are 200, stored and skipped', async () => {
    const bodies = [
      messagesChange('999999999999999', { statuses: [status(null, 'wamid.x', 'read', secs())] }),
      {
        object: 'whatsapp_business_account',
        entry: [{ id: '1', changes: [{ field: 'account_update', value: {} }] }],
      },
      { object: 'whatsapp_business_account', entry: 'nope' },
      messagesChange(p.providerId, { statuses: [{ id: 1, status: 'weird' }], messages: [{ from: 'x' }] }),
      [],
      'a string',
    ];
    for (const b of bodies) expect((await post(b)).status).toBe(200);
  });
});
