/**
 * Fliok-compatible routes (docs/contracts.md §12): Fliok's own documented requests, sent as written
 * with a Bearer token (only the base URL and the token changed), are accepted and each reaches the
 * provider (the sandbox, which checks bodies as strictly as Meta) as a valid Cloud API request.
 */
import request from 'supertest';
import { addTemplate, createApiKey, startStack, type Stack } from '@flowgate/testing';

const FLIOK_TEMPLATES = [
  {
    name: 'order_confirmation',
    language: 'en',
    category: 'UTILITY',
    status: 'APPROVED',
    components: [{ type: 'BODY', text: 'Hi {{1}}, your order {{2}} is confirmed.' }],
  },
  {
    name: 'order_with_product_image',
    language: 'en',
    category: 'MARKETING',
    status: 'APPROVED',
    components: [
      { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['4::aW1hZ2U='] } },
      { type: 'BODY', text: 'Hi {{1}}, your order {{2}} is on its way.' },
    ],
  },
];

/** The requests of ../shared/seeds/fliok-developer-api.txt, as written there. */
const DOCUMENTED: Array<[string, string, Record<string, unknown>]> = [
  ['text', '/messages/send', { to: '+919876543210', message: 'Hello! Your order #12345 has been shipped.' }],
  [
    'document',
    '/messages/send-media',
    {
      to: '+919876543210',
      type: 'document',
      mediaUrl: 'https://example.com/invoice.pdf',
      caption: 'Your invoice for order #12345',
    },
  ],
  [
    'template with body parameters',
    '/messages/send-template',
    {
      to: '+919876543210',
      templateName: 'order_confirmation',
      language: 'en',
      components: [
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Rahul' },
            { type: 'text', text: 'ORD-12345' },
          ],
        },
      ],
    },
  ],
  [
    'template with an image header',
    '/messages/send-template',
    {
      to: '+919876543210',
      templateName: 'order_with_product_image',
      language: 'en',
      components: [
        {
          type: 'header',
          parameters: [{ type: 'image', image: { link: 'https://example.com/product.jpg' } }],
        },
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Priya' },
            { type: 'text', text: 'ORD-45678' },
          ],
        },
      ],
    },
  ],
  [
    'buttons',
    '/messages/send-buttons',
    {
      to: '+91 98765-43210',
      body: 'Confirm your delivery slot?',
      buttons: [
        { id: 'yes', title: 'Yes' },
        { id: 'later', title: 'Later' },
      ],
      footer: 'Reply anytime',
    },
  ],
  [
    'location',
    '/messages/send-location',
    {
      to: '+919876543210',
      latitude: 19.076,
      longitude: 72.8777,
      name: 'Flowgate Store',
      address: 'Bandra, Mumbai',
    },
  ],
];

describe('Fliok-compatible routes with a Bearer token (docs/contracts.md §12)', () => {
  let s: Stack;
  let bearer: string;
  let workspaceId: string;
  beforeAll(async () => {
    s = await startStack({ DISPATCH_PAIR_BURST: '1000' });
    const p = await s.partner();
    workspaceId = p.workspaceId;
    for (const t of FLIOK_TEMPLATES) await addTemplate(s.db, p.workspaceId, t);
    const key = await createApiKey(s.db, p.workspaceId);
    bearer = `Bearer ${key.apiKey}.${key.apiSecret}`;
  });
  afterAll(async () => {
    await s.close();
  });

  it.each(DOCUMENTED)('%s: 201 with messageId, and the provider takes it', async (_name, path, body) => {
    const res = await request(s.api.app)
      .post(`/api/v1/public${path}`)
      .set('Authorization', bearer)
      .send(body);
    expect(res.status).toBe(201);
    const data = (res.body as { data: { id: string; messageId: string; to: string; status: string } }).data;
    expect(data.messageId).toBe(data.id);
    expect(data).toMatchObject({ to: body['to'], status: 'ACCEPTED' });
    const final = await s.waitForFinal([data.id]);
    expect(final.get(data.id)).toMatchObject({ status: 'SENT' });
    const view = await request(s.api.app)
      .get(`/api/v1/public/messages/${data.id}`)
      .set('Authorization', bearer);
    expect((view.body as { data: { providerMessageId: string | null } }).data.providerMessageId).toMatch(
      /^wamid\./,
    );
  });

  it('names Fliok’s fields in validation errors, and a wrong token is the same 401', async () => {
    const bad = await request(s.api.app)
      .post('/api/v1/public/messages/send')
      .set('Authorization', bearer)
      .send({ to: '12', message: '' });
    expect(bad.status).toBe(400);
    const paths = (bad.body as { error: { details: Array<{ path: string }> } }).error.details.map(
      (d) => d.path,
    );
    expect(paths).toEqual(expect.arrayContaining(['/to', '/message']));
    for (const header of [`Bearer ${bearer.slice(7, 20)}`, 'Bearer nodot', `${bearer}x`, 'Bearer '])
      expect(
        (
          await request(s.api.app)
            .post('/api/v1/public/messages/send')
            .set('Authorization', header)
            .send(DOCUMENTED[0]?.[2] ?? {})
        ).status,
      ).toBe(401);
    expect(workspaceId).toBeDefined();
  });
});
