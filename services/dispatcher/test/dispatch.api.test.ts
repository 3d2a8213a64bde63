import amqp from 'amqplib';
import { randomUUID } from 'node:crypto';
import { rabbitTopology } from '@flowgate/messaging';
import request from 'supertest';
import { DEMO_TEMPLATES } from '@flowgate/core';
import { SANDBOX_NUMBERS } from '@flowgate/sandbox';
import { addTemplate, ORDER_CONFIRMATION } from '@flowgate/testing';
import { TEST_AMQP_URL } from '@flowgate/testing';
import { startStack, type Stack } from '@flowgate/testing';

const TO = '919876543210';

/** An approved template with an image header, one body variable and a dynamic URL button. */
const ORDER_UPDATE = {
  name: 'order_update',
  language: 'en_US',
  category: 'UTILITY',
  status: 'APPROVED',
  components: [
    { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['4::aW1hZ2U='] } },
    { type: 'BODY', text: 'Hi {{1}}, your order is on its way.' },
    {
      type: 'BUTTONS',
      buttons: [{ type: 'URL', text: 'Track', url: 'https://shop.example.com/{{1}}', example: ['order/1'] }],
    },
  ],
};
const envelopeOf = (to: string) => ({ messaging_product: 'whatsapp', recipient_type: 'individual', to });

describe('dispatcher (separate process) against the sandbox provider', () => {
  let s: Stack;
  let p: Awaited<ReturnType<Stack['partner']>>;
  beforeAll(async () => {
    s = await startStack({ DISPATCH_PAIR_BURST: '1000' });
    p = await s.partner();
    await addTemplate(s.db, p.workspaceId, ORDER_CONFIRMATION);
    await addTemplate(s.db, p.workspaceId, ORDER_UPDATE);
    const carousel = DEMO_TEMPLATES.find((t) => t['name'] === 'summer_carousel');
    if (!carousel) throw new Error('the demo templates have no carousel');
    await addTemplate(s.db, p.workspaceId, carousel);
  });
  afterAll(async () => {
    await s.close();
  });

  const CASES: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
    [
      'text',
      { type: 'text', phone: TO, content: 'Your order has shipped.' },
      { type: 'text', text: { body: 'Your order has shipped.', preview_url: false } },
    ],
    [
      'image',
      { type: 'image', phone: TO, mediaUrl: 'https://cdn.example.com/a.jpg', caption: 'Photo' },
      { type: 'image', image: { link: 'https://cdn.example.com/a.jpg', caption: 'Photo' } },
    ],
    [
      'video',
      { type: 'video', phone: TO, mediaId: '1013859600285441' },
      { type: 'video', video: { id: '1013859600285441' } },
    ],
    ['audio', { type: 'audio', phone: TO, mediaId: '555' }, { type: 'audio', audio: { id: '555' } }],
    [
      'document',
      { type: 'document', phone: TO, mediaId: '42', filename: 'invoice.pdf', caption: 'Invoice' },
      { type: 'document', document: { id: '42', filename: 'invoice.pdf', caption: 'Invoice' } },
    ],
    ['sticker', { type: 'sticker', phone: TO, mediaId: '777' }, { type: 'sticker', sticker: { id: '777' } }],
    [
      'location',
      { type: 'location', phone: TO, latitude: 37.758056, longitude: -122.425332, name: 'HQ' },
      { type: 'location', location: { latitude: 37.758056, longitude: -122.425332, name: 'HQ' } },
    ],
    [
      'interactive buttons',
      {
        type: 'interactive',
        phone: TO,
        content: JSON.stringify({ type: 'button', body: 'Choose', buttons: [{ id: 'y', title: 'Yes' }] }),
      },
      {
        type: 'interactive',
        interactive: {
          type: 'button',
          body: { text: 'Choose' },
          action: { buttons: [{ type: 'reply', reply: { id: 'y', title: 'Yes' } }] },
        },
      },
    ],
    [
      'interactive list',
      {
        type: 'interactive',
        phone: TO,
        content: {
          type: 'list',
          body: { text: 'Pick' },
          action: { button: 'Options', sections: [{ title: 'A', rows: [{ id: 'r1', title: 'Row 1' }] }] },
        },
      },
      {
        type: 'interactive',
        interactive: {
          type: 'list',
          body: { text: 'Pick' },
          action: { button: 'Options', sections: [{ title: 'A', rows: [{ id: 'r1', title: 'Row 1' }] }] },
        },
      },
    ],
    [
      'interactive cta_url',
      {
        type: 'interactive',
        phone: TO,
        content: {
          type: 'cta_url',
          body: { text: 'Dates' },
          action: {
            name: 'cta_url',
            parameters: { display_text: 'See Dates', url: 'https://example.com/b' },
          },
        },
      },
      {
        type: 'interactive',
        interactive: {
          type: 'cta_url',
          body: { text: 'Dates' },
          action: {
            name: 'cta_url',
            parameters: { display_text: 'See Dates', url: 'https://example.com/b' },
          },
        },
      },
    ],
    [
      'template (simple form)',
      {
        type: 'template',
        phone: TO,
        templateName: 'order_confirmation',
        templateVariables: { '1': 'Jane', '2': 'ORD-9921', '3': 'Tomorrow 5pm' },
      },
      {
        type: 'template',
        template: {
          name: 'order_confirmation',
          language: { code: 'en_US' },
          components: [
            {
              type: 'body',
              parameters: [
                { type: 'text', text: 'Jane' },
                { type: 'text', text: 'ORD-9921' },
                { type: 'text', text: 'Tomorrow 5pm' },
              ],
            },
          ],
        },
      },
    ],
    [
      'template (advanced form)',
      {
        type: 'template',
        phone: TO,
        templateName: 'order_confirmation',
        templateComponents: [
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'A' },
              { type: 'text', text: 'B' },
              { type: 'text', text: 'C' },
            ],
          },
        ],
      },
      {
        type: 'template',
        template: {
          name: 'order_confirmation',
          language: { code: 'en_US' },
          components: [
            {
              type: 'body',
              parameters: [
                { type: 'text', text: 'A' },
                { type: 'text', text: 'B' },
                { type: 'text', text: 'C' },
              ],
            },
          ],
        },
      },
    ],
    [
      'template with an image header and a URL button',
      {
        type: 'template',
        phone: TO,
        templateName: 'order_update',
        templateVariables: {
          header_media: 'https://cdn.example.com/banner.png',
          '1': 'Ana',
          button_0: 'order/123',
        },
      },
      {
        type: 'template',
        template: {
          name: 'order_update',
          language: { code: 'en_US' },
          components: [
            {
              type: 'header',
              parameters: [{ type: 'image', image: { link: 'https://cdn.example.com/banner.png' } }],
            },
            { type: 'body', parameters: [{ type: 'text', text: 'Ana' }] },
            {
              type: 'button',
              sub_type: 'url',
              index: '0',
              parameters: [{ type: 'text', text: 'order/123' }],
            },
          ],
        },
      },
    ],
    [
      'carousel template',
      {
        type: 'template',
        phone: TO,
        templateName: 'summer_carousel',
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
      {
        type: 'template',
        template: {
          name: 'summer_carousel',
          language: { code: 'en_US' },
          components: [
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
                    {
                      type: 'button',
                      sub_type: 'url',
                      index: '0',
                      parameters: [{ type: 'text', text: 'sku-0' }],
                    },
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
                    {
                      type: 'button',
                      sub_type: 'url',
                      index: '0',
                      parameters: [{ type: 'text', text: 'sku-1' }],
                    },
                  ],
                },
              ],
            },
          ],
        },
      },
    ],
  ];

  it.each(CASES)(
    'when a %s message is sent, then the provider receives exactly the expected body and the message ends SENT with its wamid',
    async (_name, request, expected) => {
      const id = await s.send(p.headers, request);
      const rows = await s.waitForFinal([id], 20_000);
      const row = rows.get(id);
      expect(row?.status).toBe('SENT');
      const calls = s.sandbox.callsFor(id);
      expect(calls).toHaveLength(1);
      expect(calls[0]?.body).toEqual({ ...envelopeOf(TO), ...expected, biz_opaque_callback_data: id });
      expect(row?.provider_message_id).toBe(calls[0]?.wamid);
    },
  );

  it("when the provider answers 131026, then FAILED with Meta's code and text after exactly one call, as GET /messages/{id} shows", async () => {
    const id = await s.send(p.headers, { type: 'text', phone: SANDBOX_NUMBERS.UNDELIVERABLE, content: 'x' });
    const row = (await s.waitForFinal([id], 20_000)).get(id);
    expect(row).toMatchObject({ status: 'FAILED', error_code: 131026 });
    expect(s.sandbox.callsFor(id)).toHaveLength(1);
    const stored = await s
      .db('messages')
      .where({ id })
      .first<{ error_title: string; error_details: string | null }>('error_title', 'error_details');
    expect(stored).toEqual({ error_title: 'Message undeliverable', error_details: 'Message Undeliverable.' });
    const res = await request(s.api.app).get(`/api/v1/public/messages/${id}`).set(p.headers);
    expect(res.status).toBe(200);
    const data = (
      res.body as { data: Record<string, unknown> & { history: Array<{ status: string; detail?: string }> } }
    ).data;
    expect(data['status']).toBe('FAILED');
    expect(JSON.stringify(data['error'])).toContain('131026');
    expect(JSON.stringify(data['error'])).toContain('Message undeliverable');
    expect(data.history.map((h) => h.status)).toEqual(['ACCEPTED', 'QUEUED', 'SENDING', 'FAILED']);
    expect(data.history.at(-1)?.detail).toBe('131026 Message undeliverable');
  });

  it('when Meta holds a template for quality assessment, then SENT keeps its message_status in the history', async () => {
    const id = await s.send(p.headers, {
      type: 'template',
      phone: SANDBOX_NUMBERS.TEMPLATE_HELD,
      templateName: 'order_confirmation',
      templateVariables: { '1': 'Jane', '2': 'ORD-1', '3': 'Friday' },
    });
    expect((await s.waitForFinal([id], 20_000)).get(id)?.status).toBe('SENT');
    const sent = await s
      .db('message_events')
      .where({ message_id: id, status: 'SENT' })
      .first<{ detail: string }>('detail');
    expect(sent?.detail).toBe(
      `${s.sandbox.callsFor(id)[0]?.wamid} (message_status: held_for_quality_assessment)`,
    );
  });

  it('when the provider throttles twice (130429), then SENT after three calls with growing delays', async () => {
    const id = await s.send(p.headers, {
      type: 'text',
      phone: SANDBOX_NUMBERS.THROTTLED_TWICE,
      content: 'x',
    });
    const row = (await s.waitForFinal([id], 30_000)).get(id);
    expect(row?.status).toBe('SENT');
    const calls = s.sandbox.callsFor(id);
    expect(calls.map((c) => c.status)).toEqual([400, 400, 200]);
    const [a, b, c] = calls.map((x) => x.at) as [number, number, number];
    expect(b - a).toBeGreaterThanOrEqual(900);
    expect(c - b).toBeGreaterThan(b - a);
  });

  it('when the provider answers HTTP 500 twice, then the message is retried and ends SENT', async () => {
    const id = await s.send(p.headers, {
      type: 'text',
      phone: SANDBOX_NUMBERS.SERVER_ERROR_TWICE,
      content: 'x',
    });
    const row = (await s.waitForFinal([id], 30_000)).get(id);
    expect(row?.status).toBe('SENT');
    expect(s.sandbox.callsFor(id).map((c) => c.status)).toEqual([500, 500, 200]);
    const history = await s.db('message_events').where({ message_id: id }).orderBy('id').pluck('status');
    expect(history).toEqual([
      'ACCEPTED',
      'QUEUED',
      'SENDING',
      'RETRY_SCHEDULED',
      'SENDING',
      'RETRY_SCHEDULED',
      'SENDING',
      'SENT',
    ]);
  });

  it('when a malformed envelope arrives, then it is parked and the dispatcher keeps consuming', async () => {
    const topology = rabbitTopology(s.env['AMQP_PREFIX']);
    const conn = await amqp.connect(TEST_AMQP_URL);
    try {
      const ch = await conn.createConfirmChannel();
      ch.publish(topology.workExchange, topology.workRoutingKey, Buffer.from('{"not":"an envelope"}'), {
        persistent: true,
        messageId: randomUUID(),
      });
      ch.publish(topology.workExchange, topology.workRoutingKey, Buffer.from('not json at all'), {
        persistent: true,
      });
      await ch.waitForConfirms();
      const id = await s.send(p.headers, { type: 'text', phone: TO, content: 'after the poison' });
      expect((await s.waitForFinal([id], 20_000)).get(id)?.status).toBe('SENT');
      const deadline = Date.now() + 10_000;
      let parked = 0;
      while (Date.now() < deadline) {
        parked = (await ch.checkQueue(topology.parkingQueue)).messageCount;
        if (parked >= 2) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(parked).toBe(2);
      await ch.close();
    } finally {
      await conn.close();
    }
  });

  it('GET /messages/{id} shows the provider message id and the status history', async () => {
    const id = await s.send(p.headers, { type: 'text', phone: TO, content: 'track me' });
    await s.waitForFinal([id], 20_000);
    const res = await request(s.api.app).get(`/api/v1/public/messages/${id}`).set(p.headers);
    expect(res.status).toBe(200);
    const data = (
      res.body as { data: { status: string; providerMessageId: string; history: Array<{ status: string }> } }
    ).data;
    expect(data.status).toBe('SENT');
    expect(data.providerMessageId).toMatch(/^wamid\./);
    expect(data.history.map((h) => h.status)).toEqual(['ACCEPTED', 'QUEUED', 'SENDING', 'SENT']);
  });
});
