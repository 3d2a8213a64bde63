import request from 'supertest';
import { randomUUID } from 'node:crypto';
import {
  addPhoneNumber,
  addTemplate,
  createApiKey,
  createWorkspace,
  ORDER_CONFIRMATION,
  PAYMENT_THANK_YOU,
} from '@flowgate/testing';
import { DEMO_TEMPLATES } from '@flowgate/core';
import { drainWorkQueue } from '@flowgate/testing';
import { isolatedDatabase } from '@flowgate/testing';
import { createTestApp, type TestApp } from '@flowgate/testing';

describe('POST /api/v1/public/messages/send', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  async function partner() {
    const ws = await createWorkspace(t.runtime.db);
    const { phoneNumberId } = await addPhoneNumber(t.runtime.db, t.config.secretKey, ws.workspaceId);
    await addTemplate(t.runtime.db, ws.workspaceId, ORDER_CONFIRMATION);
    await addTemplate(t.runtime.db, ws.workspaceId, PAYMENT_THANK_YOU);
    const carousel = DEMO_TEMPLATES.find((x) => x['name'] === 'summer_carousel');
    if (carousel) await addTemplate(t.runtime.db, ws.workspaceId, carousel);
    const key = await createApiKey(t.runtime.db, ws.workspaceId);
    return { ...ws, phoneNumberId, headers: { apiKey: key.apiKey, apiSecret: key.apiSecret } };
  }

  async function waitForEnvelopes(ids: string[]): Promise<Map<string, unknown>> {
    const seen = new Map<string, unknown>();
    const deadline = Date.now() + 10_000;
    while (ids.some((id) => !seen.has(id)) && Date.now() < deadline) {
      for (const m of await drainWorkQueue(t.prefix)) if (m.messageId) seen.set(m.messageId, m.body);
      await new Promise((r) => setTimeout(r, 50));
    }
    return seen;
  }

  const BODIES: Array<[string, Record<string, unknown>, (payload: Record<string, unknown>) => void]> = [
    [
      'text (seed)',
      { type: 'text', phone: '919876543210', content: 'Your order has shipped.' },
      (p) => expect(p['text']).toMatchObject({ body: 'Your order has shipped.' }),
    ],
    [
      'text with + and spaces',
      { type: 'text', phone: '+91 98765-43210', content: 'Hi', previewUrl: true },
      (p) => expect(p['to']).toBe('919876543210'),
    ],
    [
      'template simple (seed order_confirmation)',
      {
        type: 'template',
        phone: '919876543210',
        templateName: 'order_confirmation',
        templateLanguage: 'en',
        templateVariables: { '1': 'Jane', '2': 'ORD-9921', '3': 'Tomorrow 5pm' },
      },
      (p) => expect(p['template']).toMatchObject({ name: 'order_confirmation', language: { code: 'en_US' } }),
    ],
    [
      'template simple (seed payment_thank_you)',
      {
        type: 'template',
        phone: '919876543210',
        templateName: 'payment_thank_you',
        templateLanguage: 'en_US',
        templateVariables: {
          '1': 'Shree Balaji Traders',
          '2': '₹75,600.00',
          '3': 'INV-00516',
          '4': 'Hiren Enterprises',
        },
      },
      (p) => expect(JSON.stringify(p['template'])).toContain('₹75,600.00'),
    ],
    [
      'template advanced',
      {
        type: 'template',
        phone: '919876543210',
        templateName: 'order_confirmation',
        templateComponents: [
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Jane' },
              { type: 'text', text: 'ORD-1' },
              { type: 'text', text: 'today' },
            ],
          },
        ],
      },
      (p) => expect(p['type']).toBe('template'),
    ],
    [
      'interactive as a JSON string (seed)',
      {
        type: 'interactive',
        phone: '919876543210',
        content: JSON.stringify({
          type: 'button',
          body: 'Choose',
          buttons: [
            { id: 'yes', title: 'Yes' },
            { id: 'no', title: 'No' },
          ],
        }),
      },
      (p) => expect(p['interactive']).toMatchObject({ type: 'button', body: { text: 'Choose' } }),
    ],
    [
      'interactive list object',
      {
        type: 'interactive',
        phone: '919876543210',
        content: {
          type: 'list',
          body: { text: 'Pick' },
          action: { button: 'Options', sections: [{ title: 'A', rows: [{ id: 'r1', title: 'Row 1' }] }] },
        },
      },
      (p) => expect(p['interactive']).toMatchObject({ type: 'list' }),
    ],
    [
      'interactive cta_url',
      {
        type: 'interactive',
        phone: '919876543210',
        content: {
          type: 'cta_url',
          body: { text: 'See dates' },
          action: {
            name: 'cta_url',
            parameters: { display_text: 'See Dates', url: 'https://example.com/book' },
          },
        },
      },
      (p) => expect(p['interactive']).toMatchObject({ type: 'cta_url' }),
    ],
    [
      'image by url',
      { type: 'image', phone: '919876543210', mediaUrl: 'https://example.com/a.png', caption: 'A' },
      (p) => expect(p['image']).toEqual({ link: 'https://example.com/a.png', caption: 'A' }),
    ],
    [
      'video by id',
      { type: 'video', phone: '919876543210', mediaId: '1013859600285441' },
      (p) => expect(p['video']).toEqual({ id: '1013859600285441' }),
    ],
    [
      'audio',
      { type: 'audio', phone: '919876543210', mediaUrl: 'https://example.com/a.ogg' },
      (p) => expect(p['audio']).toEqual({ link: 'https://example.com/a.ogg' }),
    ],
    [
      'document',
      { type: 'document', phone: '919876543210', mediaId: '42', filename: 'invoice.pdf', caption: 'Invoice' },
      (p) => expect(p['document']).toEqual({ id: '42', filename: 'invoice.pdf', caption: 'Invoice' }),
    ],
    [
      'sticker',
      { type: 'sticker', phone: '919876543210', mediaId: '43' },
      (p) => expect(p['sticker']).toEqual({ id: '43' }),
    ],
    [
      'location',
      {
        type: 'location',
        phone: '919876543210',
        latitude: 37.758056,
        longitude: -122.425332,
        name: 'HQ',
        address: '1 Hacker Way',
      },
      (p) =>
        expect(p['location']).toEqual({
          latitude: 37.758056,
          longitude: -122.425332,
          name: 'HQ',
          address: '1 Hacker Way',
        }),
    ],
  ];

  it.each(BODIES)(
    'when a valid %s message is sent, then 201 ACCEPTED, the row is stored and the envelope reaches RabbitMQ',
    async (_name, body, checkPayload) => {
      const p = await partner();
      const res = await request(t.app).post('/api/v1/public/messages/send').set(p.headers).send(body);
      expect(res.status).toBe(201);
      const data = (res.body as { success: boolean; data: { id: string; status: string; message: string } })
        .data;
      expect(res.body).toEqual({
        success: true,
        data: {
          id: expect.any(String),
          status: 'ACCEPTED',
          message: 'Message received and being sent to the recipient.',
        },
      });
      expect(res.headers['location']).toBe(`/api/v1/public/messages/${data.id}`);

      const row = await t.runtime.db('messages').where({ id: data.id }).first<{
        workspace_id: string;
        phone_number_id: string;
        payload: Record<string, unknown>;
        status: string;
      }>();
      expect(row?.workspace_id).toBe(p.workspaceId);
      expect(row?.phone_number_id).toBe(p.phoneNumberId);
      expect(row?.payload).toMatchObject({
        messaging_product: 'whatsapp',
        to: '919876543210',
        type: body['type'],
        biz_opaque_callback_data: data.id,
      });
      checkPayload(row?.payload ?? {});

      const envelopes = await waitForEnvelopes([data.id]);
      expect(envelopes.get(data.id)).toEqual({
        schemaVersion: 1,
        messageId: data.id,
        workspaceId: p.workspaceId,
        phoneNumberId: p.phoneNumberId,
        requestId: res.headers['x-request-id'],
        createdAt: expect.any(String),
      });
    },
  );

  it('when the same Idempotency-Key is sent 20 times concurrently, then one message is stored and all 20 answers are identical', async () => {
    const p = await partner();
    const key = randomUUID();
    const body = { type: 'text', phone: '919876543210', content: 'once only' };
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        request(t.app)
          .post('/api/v1/public/messages/send')
          .set(p.headers)
          .set('Idempotency-Key', key)
          .send(body),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(201));
    const ids = new Set(responses.map((r) => (r.body as { data: { id: string } }).data.id));
    expect(ids.size).toBe(1);
    for (const r of responses) expect(r.body).toEqual(responses[0]?.body);
    expect(responses.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(19);
    const rows = await t.runtime.db('messages').where({ workspace_id: p.workspaceId, idempotency_key: key });
    expect(rows).toHaveLength(1);

    const reused = await request(t.app)
      .post('/api/v1/public/messages/send')
      .set(p.headers)
      .set('Idempotency-Key', key)
      .send({ ...body, content: 'different' });
    expect(reused.status).toBe(422);
    expect((reused.body as { error: { code: string } }).error.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('when a template is PAUSED after a keyed send, then the same key and body replay the 201, and a different body is IDEMPOTENCY_KEY_REUSED', async () => {
    const p = await partner();
    const key = randomUUID();
    const body = {
      type: 'template',
      phone: '919876543210',
      templateName: 'order_confirmation',
      templateVariables: { '1': 'Jane', '2': 'ORD-1', '3': 'today' },
    };
    const send = (b: Record<string, unknown>) =>
      request(t.app).post('/api/v1/public/messages/send').set(p.headers).set('Idempotency-Key', key).send(b);
    const first = await send(body);
    expect(first.status).toBe(201);
    await t.runtime
      .db('templates')
      .where({ workspace_id: p.workspaceId, name: 'order_confirmation' })
      .update({ status: 'PAUSED' });

    const replay = await send(body);
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
    expect(replay.headers['location']).toBe(first.headers['location']);

    const reused = await send({ ...body, templateVariables: { '1': 'Jane', '2': 'ORD-2', '3': 'today' } });
    expect(reused.status).toBe(422);
    expect((reused.body as { error: { code: string } }).error.code).toBe('IDEMPOTENCY_KEY_REUSED');

    // Without a key, the paused template is refused as such (once this process has seen the change).
    let fresh: request.Response | undefined;
    const deadline = Date.now() + 10_000;
    do {
      fresh = await request(t.app)
        .post('/api/v1/public/messages/send')
        .set(p.headers)
        .set('Idempotency-Key', randomUUID())
        .send(body);
      if (fresh.status === 422) break;
      await new Promise((r) => setTimeout(r, 100));
    } while (Date.now() < deadline);
    expect(fresh.status).toBe(422);
    expect((fresh.body as { error: { code: string } }).error.code).toBe('TEMPLATE_NOT_APPROVED');
    const rows = await t.runtime.db('messages').where({ workspace_id: p.workspaceId, idempotency_key: key });
    expect(rows).toHaveLength(1);
  });

  it('when an Idempotency-Key is older than the retention (48 h), then the relay frees it and it makes a new message; a younger key still replays', async () => {
    const purging = await createTestApp({}, { relayIntervalMs: 50, purgeIntervalMs: 50 });
    try {
      const p = await partner();
      const [oldKey, youngKey] = [`old-${randomUUID()}`, `young-${randomUUID()}`];
      const send = (key: string, content: string) =>
        request(purging.app)
          .post('/api/v1/public/messages/send')
          .set(p.headers)
          .set('Idempotency-Key', key)
          .send({ type: 'text', phone: '919876543210', content });
      const oldId = ((await send(oldKey, 'first')).body as { data: { id: string } }).data.id;
      const youngId = ((await send(youngKey, 'first')).body as { data: { id: string } }).data.id;
      await purging.runtime
        .db('messages')
        .where({ id: oldId })
        .update({ created_at: purging.runtime.db.raw("now() - interval '49 hours'") });
      await purging.runtime
        .db('messages')
        .where({ id: youngId })
        .update({ created_at: purging.runtime.db.raw("now() - interval '47 hours'") });

      const keyOf = async (id: string) =>
        (await purging.runtime.db('messages').where({ id }).first<{ idempotency_key: string | null }>())
          ?.idempotency_key;
      const deadline = Date.now() + 10_000;
      while ((await keyOf(oldId)) !== null && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(await keyOf(oldId)).toBeNull();
      expect(await keyOf(youngId)).toBe(youngKey);

      const reuse = await send(oldKey, 'second, a day later');
      expect(reuse.status).toBe(201);
      expect(reuse.headers['idempotent-replayed']).toBeUndefined();
      expect((reuse.body as { data: { id: string } }).data.id).not.toBe(oldId);

      const replay = await send(youngKey, 'first');
      expect(replay.status).toBe(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect((replay.body as { data: { id: string } }).data.id).toBe(youngId);
      expect((await send(youngKey, 'different')).status).toBe(422);
    } finally {
      await purging.close();
    }
  });

  it('when a sending number is disabled by another process (plain SQL), then sends see it at once: 422 NO_SENDING_NUMBER, not a send from the cached number', async () => {
    const p = await partner();
    const send = () =>
      request(t.app)
        .post('/api/v1/public/messages/send')
        .set(p.headers)
        .send({ type: 'text', phone: '919876543210', content: 'hi' });
    expect((await send()).status).toBe(201); // the number is now cached (30 s)
    await t.runtime.db('phone_numbers').where({ id: p.phoneNumberId }).update({ status: 'disabled' });
    let res = await send();
    for (const deadline = Date.now() + 5_000; res.status === 201 && Date.now() < deadline; res = await send())
      await new Promise((r) => setTimeout(r, 50));
    expect(res.status).toBe(422);
    expect((res.body as { error: { code: string } }).error.code).toBe('NO_SENDING_NUMBER');
  });

  it('when one of 81 concurrent sends cannot be stored (its API key row was deleted behind the cache), then only that request fails; the other 80 are stored', async () => {
    const a = await partner();
    const b = await partner();
    const send = (headers: Record<string, string>, content: string) =>
      request(t.app)
        .post('/api/v1/public/messages/send')
        .set(headers)
        .send({ type: 'text', phone: '919876543210', content });
    expect((await send(b.headers, 'warms the key cache')).status).toBe(201);
    // Not a supported operation (keys are revoked, not deleted): it makes b's next insert fail on
    // its foreign key while the key is still cached as verified.
    await t.runtime.db('api_keys').where({ api_key: b.headers.apiKey }).delete();
    // Many at once, so inserts share statements (a failed multi-row statement is retried row by row).
    const responses = await Promise.all(
      Array.from({ length: 81 }, (_, i) =>
        i === 40 ? send(b.headers, 'cannot be stored') : send(a.headers, `batched ${i}`),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses[40]).toBe(500);
    expect(statuses.filter((_s, i) => i !== 40)).toEqual(Array<number>(80).fill(201));
    const stored = await t.runtime
      .db('messages')
      .where({ workspace_id: a.workspaceId })
      .count<Array<{ n: number }>>('* as n');
    expect(Number(stored[0]?.n)).toBe(80);
  });

  it('when two workspaces use the same Idempotency-Key, then each gets its own message', async () => {
    const a = await partner();
    const b = await partner();
    const key = `order-${randomUUID()}`;
    const body = { type: 'text', phone: '919876543210', content: 'same key, two workspaces' };
    const ra = await request(t.app)
      .post('/api/v1/public/messages/send')
      .set(a.headers)
      .set('Idempotency-Key', key)
      .send(body);
    const rb = await request(t.app)
      .post('/api/v1/public/messages/send')
      .set(b.headers)
      .set('Idempotency-Key', key)
      .send(body);
    expect([ra.status, rb.status]).toEqual([201, 201]);
    expect(rb.headers['idempotent-replayed']).toBeUndefined();
    const ida = (ra.body as { data: { id: string } }).data.id;
    const idb = (rb.body as { data: { id: string } }).data.id;
    expect(ida).not.toBe(idb);
    const rows = await t.runtime
      .db('messages')
      .where({ idempotency_key: key })
      .select<Array<{ id: string; workspace_id: string }>>('id', 'workspace_id')
      .orderBy('workspace_id');
    expect(rows).toEqual(
      [
        { id: ida, workspace_id: a.workspaceId },
        { id: idb, workspace_id: b.workspaceId },
      ].sort((x, y) => (x.workspace_id < y.workspace_id ? -1 : 1)),
    );
  });

  it('when GET /messages/{id} asks for its own message, then status and history; another workspace gets 404', async () => {
    const p = await partner();
    const other = await partner();
    const sent = await request(t.app)
      .post('/api/v1/public/messages/send')
      .set(p.headers)
      .send({ type: 'text', phone: '919876543210', content: 'hello' });
    const id = (sent.body as { data: { id: string } }).data.id;
    const mine = await request(t.app).get(`/api/v1/public/messages/${id}`).set(p.headers);
    expect(mine.status).toBe(200);
    const data = (mine.body as { data: { id: string; status: string; history: Array<{ status: string }> } })
      .data;
    expect(data.id).toBe(id);
    expect(['ACCEPTED', 'QUEUED']).toContain(data.status);
    expect(data.history[0]?.status).toBe('ACCEPTED');
    expect((await request(t.app).get(`/api/v1/public/messages/${id}`).set(other.headers)).status).toBe(404);
    expect((await request(t.app).get('/api/v1/public/messages/not-a-uuid').set(p.headers)).status).toBe(404);
  });

  it('when phoneNumberId or contactId belong to another workspace, then 422 and nothing is stored', async () => {
    const p = await partner();
    const other = await partner();
    const contactId = randomUUID();
    await t.runtime
      .db('contacts')
      .insert({ id: contactId, workspace_id: other.workspaceId, phone: '919876543210' });
    const before = await t.runtime
      .db('messages')
      .where({ workspace_id: p.workspaceId })
      .count<{ n: number }[]>('* as n');
    const a = await request(t.app)
      .post('/api/v1/public/messages/send')
      .set(p.headers)
      .send({ type: 'text', phone: '919876543210', content: 'x', phoneNumberId: other.phoneNumberId });
    expect(a.status).toBe(422);
    expect((a.body as { error: { code: string } }).error.code).toBe('PHONE_NUMBER_NOT_FOUND');
    const b = await request(t.app)
      .post('/api/v1/public/messages/send')
      .set(p.headers)
      .send({ type: 'text', contactId, content: 'x' });
    expect(b.status).toBe(422);
    expect((b.body as { error: { code: string } }).error.code).toBe('CONTACT_NOT_FOUND');
    const after = await t.runtime
      .db('messages')
      .where({ workspace_id: p.workspaceId })
      .count<{ n: number }[]>('* as n');
    expect(after).toEqual(before);
  });

  it('when a contact of the same workspace is the recipient, then its phone is used', async () => {
    const p = await partner();
    const contactId = randomUUID();
    await t.runtime
      .db('contacts')
      .insert({ id: contactId, workspace_id: p.workspaceId, phone: '+44 7700 900123', name: 'Ann' });
    const res = await request(t.app)
      .post('/api/v1/public/messages/send')
      .set(p.headers)
      .send({ type: 'text', contactId, content: 'hi Ann' });
    expect(res.status).toBe(201);
    const row = await t.runtime
      .db('messages')
      .where({ id: (res.body as { data: { id: string } }).data.id })
      .first<{ recipient: string; contact_id: string }>();
    expect(row).toMatchObject({ recipient: '447700900123', contact_id: contactId });
  });

  it.each([
    ['n/a', 'no digits at all'],
    ['12345', 'too few digits'],
    ['+1 555 0100 2000 3000 4', 'too many digits'],
    ['0044 7700 900123', 'a leading 0 (a trunk prefix, not a country code)'],
    ['+44 7700 900123 ext. 5', 'letters after the number'],
  ])(
    "when a contact's stored phone is %p (%s), then 422 CONTACT_PHONE_INVALID and nothing is stored",
    async (phone) => {
      const p = await partner();
      const contactId = randomUUID();
      await t.runtime.db('contacts').insert({ id: contactId, workspace_id: p.workspaceId, phone });
      const res = await request(t.app)
        .post('/api/v1/public/messages/send')
        .set(p.headers)
        .send({ type: 'text', contactId, content: 'hi' });
      expect(res.status).toBe(422);
      expect((res.body as { error: unknown }).error).toEqual({
        code: 'CONTACT_PHONE_INVALID',
        message: expect.stringMatching(/8 to 15 digits/),
        details: [{ path: '/contactId', message: 'the contact has no valid phone number' }],
        requestId: res.headers['x-request-id'],
      });
      expect(await t.runtime.db('messages').where({ workspace_id: p.workspaceId })).toEqual([]);
    },
  );

  it("when a contact's stored phone has parentheses, dots and dashes, then they are removed like a request's", async () => {
    const p = await partner();
    const contactId = randomUUID();
    await t.runtime
      .db('contacts')
      .insert({ id: contactId, workspace_id: p.workspaceId, phone: '+44 (7700) 900.123' });
    const res = await request(t.app)
      .post('/api/v1/public/messages/send')
      .set(p.headers)
      .send({ type: 'text', contactId, content: 'hi' });
    expect(res.status).toBe(201);
    const row = await t.runtime
      .db('messages')
      .where({ id: (res.body as { data: { id: string } }).data.id })
      .first<{ recipient: string; payload: { to: string } }>();
    expect(row?.recipient).toBe('447700900123');
    expect(row?.payload.to).toBe('447700900123');
  });

  it('when template variables do not match the template, then 422 TEMPLATE_PARAMS_MISMATCH naming the missing and the extra key', async () => {
    const p = await partner();
    const res = await request(t.app)
      .post('/api/v1/public/messages/send')
      .set(p.headers)
      .send({
        type: 'template',
        phone: '919876543210',
        templateName: 'order_confirmation',
        templateVariables: { '1': 'Jane', '3': 'x', '7': 'extra' },
      });
    expect(res.status).toBe(422);
    expect((res.body as { error: unknown }).error).toEqual({
      code: 'TEMPLATE_PARAMS_MISMATCH',
      message: 'The template variables do not match the template (1 missing, 1 unexpected); see details.',
      details: [
        { path: '/templateVariables/2', message: 'missing: the template declares {{2}} in its body' },
        { path: '/templateVariables/7', message: 'unexpected: the template has no {{7}}' },
      ],
      requestId: res.headers['x-request-id'],
    });
    expect(await t.runtime.db('messages').where({ workspace_id: p.workspaceId })).toEqual([]);
  });

  /** The Cloud API components both carousel forms below must produce. */
  const CAROUSEL_COMPONENTS = [
    { type: 'body', parameters: [{ type: 'text', text: 'Ana' }] },
    {
      type: 'carousel',
      cards: [
        {
          card_index: 0,
          components: [
            {
              type: 'header',
              parameters: [{ type: 'image', image: { link: 'https://cdn.example.com/0.jpg' } }],
            },
            {
              type: 'body',
              parameters: [
                { type: 'text', text: 'Sandals' },
                { type: 'text', text: 'Shop A' },
              ],
            },
            { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'sku-0' }] },
          ],
        },
        {
          card_index: 1,
          components: [
            { type: 'header', parameters: [{ type: 'image', image: { id: '4001' } }] },
            {
              type: 'body',
              parameters: [
                { type: 'text', text: 'Hat' },
                { type: 'text', text: 'Shop B' },
              ],
            },
            { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'sku-1' }] },
          ],
        },
      ],
    },
  ];

  it.each([
    [
      'the simple form (c{card}_{slot} keys)',
      {
        templateVariables: {
          '1': 'Ana',
          c0_header: 'https://cdn.example.com/0.jpg',
          c0_1: 'Sandals',
          c0_2: 'Shop A',
          c0_button_0: 'sku-0',
          c1_header: '4001',
          c1_1: 'Hat',
          c1_2: 'Shop B',
          c1_button_0: 'sku-1',
        },
      },
    ],
    [
      'the structured form (carousel cards and bodyParameters)',
      {
        bodyParameters: { '1': 'Ana' },
        carousel: {
          cards: [
            {
              index: 0,
              header: { format: 'image', link: 'https://cdn.example.com/0.jpg' },
              bodyValues: { '1': 'Sandals', '2': 'Shop A' },
              buttonValues: [{ index: 0, sub_type: 'url', parameters: { type: 'text', text: 'sku-0' } }],
            },
            {
              index: 1,
              header: { format: 'image', id: '4001' },
              bodyValues: { '1': 'Hat', '2': 'Shop B' },
              buttonValues: [{ index: 0, sub_type: 'url', parameters: { type: 'text', text: 'sku-1' } }],
            },
          ],
        },
      },
    ],
  ])(
    'when a carousel template is sent in %s, then the stored Cloud API body has both cards and the envelope reaches RabbitMQ',
    async (_form, values) => {
      const p = await partner();
      const res = await request(t.app)
        .post('/api/v1/public/messages/send')
        .set(p.headers)
        .send({
          type: 'template',
          phone: '+91 98765 43210',
          templateName: 'summer_carousel',
          templateLanguage: 'en_US',
          ...values,
        });
      expect(res.status).toBe(201);
      const id = (res.body as { data: { id: string } }).data.id;
      const row = await t.runtime.db('messages').where({ id }).first<{
        status: string;
        type: string;
        template_name: string;
        recipient: string;
        payload: unknown;
      }>();
      expect(row).toMatchObject({
        type: 'template',
        template_name: 'summer_carousel',
        recipient: '919876543210',
      });
      expect(['ACCEPTED', 'QUEUED']).toContain(row?.status);
      expect(row?.payload).toEqual({
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: '919876543210',
        type: 'template',
        biz_opaque_callback_data: id,
        template: { name: 'summer_carousel', language: { code: 'en_US' }, components: CAROUSEL_COMPONENTS },
      });
      const envelopes = await waitForEnvelopes([id]);
      expect(envelopes.get(id)).toEqual({
        schemaVersion: 1,
        messageId: id,
        workspaceId: p.workspaceId,
        phoneNumberId: p.phoneNumberId,
        requestId: res.headers['x-request-id'],
        createdAt: expect.any(String),
      });
    },
  );

  it('when GET /api/v1/public/openapi.json is fetched over HTTP without credentials, then an OpenAPI 3.1 document of every route, with 500 documented', async () => {
    const res = await request(t.app).get('/api/v1/public/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json\b/);
    const doc = res.body as {
      openapi: string;
      servers: Array<{ url: string }>;
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { responses: Record<string, unknown>; schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/public/messages/send',
        '/api/v1/public/messages/{id}',
        '/api/v1/public/templates',
      ]),
    );
    // The paths are absolute (the server is the host), and each partner one is a real route (401
    // without a key); openapi-routes.api.test.ts matches every route of the app to the document.
    expect(doc.servers.map((x) => x.url)).toEqual(['/']);
    expect((await request(t.app).post('/api/v1/public/messages/send').send({})).status).toBe(401);
    expect((await request(t.app).get(`/api/v1/public/messages/${randomUUID()}`)).status).toBe(401);
    expect((await request(t.app).get('/api/v1/public/templates')).status).toBe(401);
    for (const [path, operations] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(operations))
        expect({ path, method, has500: '500' in op.responses }).toEqual({ path, method, has500: true });
    expect(doc.components.responses['InternalError']).toMatchObject({
      content: { 'application/json': { example: { success: false, error: { code: 'INTERNAL_ERROR' } } } },
    });
    expect(doc.paths['/api/v1/public/messages/send']?.['post']?.responses['201']).toBeDefined();
  });
});

describe('cached sending numbers and templates after the change feed reconnects', () => {
  it('when the change listener loses its connection and a number is disabled meanwhile, then sends see it once the listener is back, well within the 30 s cache', async () => {
    // A database of its own: the test cuts every change listener connected to it.
    const database = await isolatedDatabase('changes');
    const app = await createTestApp({ DATABASE_URL: database.url });
    const listeners = async (): Promise<number[]> =>
      (
        await database.db.raw<{ rows: Array<{ pid: number }> }>(
          "SELECT pid FROM pg_stat_activity WHERE application_name = 'flowgate-changes' AND datname = ?",
          [database.name],
        )
      ).rows.map((r) => r.pid);
    const until = async (what: string, ok: () => Promise<boolean>): Promise<void> => {
      for (const deadline = Date.now() + 10_000; !(await ok());) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    try {
      const ws = await createWorkspace(app.runtime.db);
      const { phoneNumberId } = await addPhoneNumber(app.runtime.db, app.config.secretKey, ws.workspaceId);
      const key = await createApiKey(app.runtime.db, ws.workspaceId);
      const send = () =>
        request(app.app)
          .post('/api/v1/public/messages/send')
          .set({ apiKey: key.apiKey, apiSecret: key.apiSecret })
          .send({ type: 'text', phone: '919876543210', content: 'hi' });
      await until('the change listener', async () => (await listeners()).length === 1);
      expect((await send()).status).toBe(201); // the number is now cached
      const [first] = await listeners();
      if (first === undefined) throw new Error('no change listener');
      await database.db.raw('SELECT pg_terminate_backend(?)', [first]);
      await until('the listener to be gone', async () => !(await listeners()).includes(first));
      // Nobody listens now: this change's notification is lost (the listener reconnects after ≥ 100 ms).
      await database.db('phone_numbers').where({ id: phoneNumberId }).update({ status: 'disabled' });
      await until('the listener to reconnect', async () => (await listeners()).length === 1);
      let res = await send();
      for (
        const deadline = Date.now() + 5_000;
        res.status === 201 && Date.now() < deadline;
        res = await send()
      )
        await new Promise((r) => setTimeout(r, 50));
      expect(res.status).toBe(422);
      expect((res.body as { error: { code: string } }).error.code).toBe('NO_SENDING_NUMBER');
    } finally {
      await app.close();
      await database.drop();
    }
  });
});
