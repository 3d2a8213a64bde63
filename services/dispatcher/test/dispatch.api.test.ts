import amqp from 'amqplib';
import { randomUUID } from 'node:crypto';
import { rabbitTopology } from '@flowgate/messaging';
import { SANDBOX_NUMBERS } from '@flowgate/sandbox';
import { addTemplate, ORDER_CONFIRMATION } from '../../../test/support/factories';
import { TEST_AMQP_URL } from '../../../test/support/test-env';
import { startStack, type Stack } from './helpers/stack';

const TO = '919876543210';
const envelopeOf = (to: string) => ({ messaging_product: 'whatsapp', recipient_type: 'individual', to });

describe('dispatcher (separate process) against the sandbox provider', () => {
  let s: Stack;
  let p: Awaited<ReturnType<Stack['partner']>>;
  beforeAll(async () => {
    s = await startStack({ DISPATCH_PAIR_BURST: '1000' });
    p = await s.partner();
    await addTemplate(s.db, p.workspaceId, ORDER_CONFIRMATION);
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

  it('when the provider answers 131026, then FAILED with code 131026 after exactly one call', async () => {
    const id = await s.send(p.headers, { type: 'text', phone: SANDBOX_NUMBERS.UNDELIVERABLE, content: 'x' });
    const row = (await s.waitForFinal([id], 20_000)).get(id);
    expect(row).toMatchObject({ status: 'FAILED', error_code: 131026 });
    expect(s.sandbox.callsFor(id)).toHaveLength(1);
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
    const { default: request } = await import('supertest');
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
