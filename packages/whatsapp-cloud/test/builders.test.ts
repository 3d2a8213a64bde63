import { buildCloudApiBody, type BuildCloudApiBodyInput } from '../src/builders';
import { deriveTemplateVariables, type StoredTemplate } from '../src/templates';

type Request = BuildCloudApiBodyInput['request'];

const TO = '919876543210';
const envelope = { messaging_product: 'whatsapp', recipient_type: 'individual', to: TO };
const build = (request: Request, extra: Partial<BuildCloudApiBodyInput> = {}) =>
  buildCloudApiBody({ to: TO, request, ...extra });

function stored(name: string, components: unknown[], language = 'en_US'): StoredTemplate {
  return {
    id: `tpl-${name}`,
    name,
    language,
    category: 'UTILITY',
    status: 'APPROVED',
    components,
    variables: deriveTemplateVariables(components),
  };
}

describe('buildCloudApiBody: envelope', () => {
  it('adds biz_opaque_callback_data when given, and refuses more than 512 characters', () => {
    expect(build({ type: 'text', phone: TO, content: 'Hi' }, { bizOpaqueCallbackData: 'msg-1' })).toEqual({
      ...envelope,
      type: 'text',
      text: { body: 'Hi', preview_url: false },
      biz_opaque_callback_data: 'msg-1',
    });
    expect(() =>
      build({ type: 'text', phone: TO, content: 'Hi' }, { bizOpaqueCallbackData: 'x'.repeat(513) }),
    ).toThrow(RangeError);
  });
});

describe('buildCloudApiBody: text, media and location', () => {
  it('text', () => {
    expect(build({ type: 'text', phone: TO, content: 'See https://example.com', previewUrl: true })).toEqual({
      ...envelope,
      type: 'text',
      text: { body: 'See https://example.com', preview_url: true },
    });
  });

  it('image by link with caption', () => {
    expect(
      build({ type: 'image', phone: TO, mediaUrl: 'https://cdn.example.com/a.jpg', caption: 'Your photo' }),
    ).toEqual({
      ...envelope,
      type: 'image',
      image: { link: 'https://cdn.example.com/a.jpg', caption: 'Your photo' },
    });
  });

  it('video by id with caption', () => {
    expect(build({ type: 'video', phone: TO, mediaId: '1013859600285441', caption: 'Clip' })).toEqual({
      ...envelope,
      type: 'video',
      video: { id: '1013859600285441', caption: 'Clip' },
    });
  });

  it('audio: never a caption', () => {
    expect(build({ type: 'audio', phone: TO, mediaId: '555' })).toEqual({
      ...envelope,
      type: 'audio',
      audio: { id: '555' },
    });
  });

  it('document with filename and caption', () => {
    expect(
      build({
        type: 'document',
        phone: TO,
        mediaUrl: 'https://cdn.example.com/inv.pdf',
        filename: 'invoice.pdf',
        caption: 'Your invoice',
      }),
    ).toEqual({
      ...envelope,
      type: 'document',
      document: { link: 'https://cdn.example.com/inv.pdf', filename: 'invoice.pdf', caption: 'Your invoice' },
    });
  });

  it('sticker', () => {
    expect(build({ type: 'sticker', phone: TO, mediaId: '777' })).toEqual({
      ...envelope,
      type: 'sticker',
      sticker: { id: '777' },
    });
  });

  it('location with and without name and address', () => {
    expect(
      build({
        type: 'location',
        phone: TO,
        latitude: 37.758056,
        longitude: -122.425332,
        name: 'Meta HQ',
        address: '1 Hacker Way',
      }),
    ).toEqual({
      ...envelope,
      type: 'location',
      location: { latitude: 37.758056, longitude: -122.425332, name: 'Meta HQ', address: '1 Hacker Way' },
    });
    expect(build({ type: 'location', phone: TO, latitude: 0, longitude: 0 })).toEqual({
      ...envelope,
      type: 'location',
      location: { latitude: 0, longitude: 0 },
    });
  });
});

describe('buildCloudApiBody: interactive', () => {
  it('reply buttons', () => {
    const content = {
      type: 'button' as const,
      body: { text: 'Change or cancel your booking?' },
      action: {
        buttons: [
          { type: 'reply' as const, reply: { id: 'change-1', title: 'Change' } },
          { type: 'reply' as const, reply: { id: 'cancel-1', title: 'Cancel' } },
        ],
      },
    };
    expect(build({ type: 'interactive', phone: TO, content })).toEqual({
      ...envelope,
      type: 'interactive',
      interactive: {
        type: 'button',
        body: { text: 'Change or cancel your booking?' },
        action: {
          buttons: [
            { type: 'reply', reply: { id: 'change-1', title: 'Change' } },
            { type: 'reply', reply: { id: 'cancel-1', title: 'Cancel' } },
          ],
        },
      },
    });
  });

  it('list', () => {
    const content = {
      type: 'list' as const,
      header: { type: 'text' as const, text: 'Menu' },
      body: { text: 'Pick a slot' },
      footer: { text: 'Times are local' },
      action: {
        button: 'Slots',
        sections: [
          { title: 'Morning', rows: [{ id: 'm9', title: '09:00', description: 'Early' }] },
          { title: 'Evening', rows: [{ id: 'e6', title: '18:00' }] },
        ],
      },
    };
    expect(build({ type: 'interactive', phone: TO, content })).toEqual({
      ...envelope,
      type: 'interactive',
      interactive: {
        type: 'list',
        header: { type: 'text', text: 'Menu' },
        body: { text: 'Pick a slot' },
        footer: { text: 'Times are local' },
        action: {
          button: 'Slots',
          sections: [
            { title: 'Morning', rows: [{ id: 'm9', title: '09:00', description: 'Early' }] },
            { title: 'Evening', rows: [{ id: 'e6', title: '18:00' }] },
          ],
        },
      },
    });
  });

  it('CTA URL', () => {
    const content = {
      type: 'cta_url' as const,
      header: { type: 'image' as const, image: { link: 'https://example.com/banner.png' } },
      body: { text: 'Tap to see available dates.' },
      footer: { text: 'Dates subject to change.' },
      action: {
        name: 'cta_url' as const,
        parameters: { display_text: 'See Dates', url: 'https://example.com/book' },
      },
    };
    expect(build({ type: 'interactive', phone: TO, content })).toEqual({
      ...envelope,
      type: 'interactive',
      interactive: {
        type: 'cta_url',
        header: { type: 'image', image: { link: 'https://example.com/banner.png' } },
        body: { text: 'Tap to see available dates.' },
        footer: { text: 'Dates subject to change.' },
        action: {
          name: 'cta_url',
          parameters: { display_text: 'See Dates', url: 'https://example.com/book' },
        },
      },
    });
  });
});

describe('buildCloudApiBody: templates', () => {
  const orderConfirmation = stored(
    'order_confirmation',
    [{ type: 'BODY', text: 'Hi {{1}}, your order {{2}} will arrive {{3}}.' }],
    'en',
  );
  const paymentThankYou = stored('payment_thank_you', [
    { type: 'BODY', text: 'Dear {{1}}, we received {{2}} against invoice {{3}}. Thank you, {{4}}.' },
  ]);
  const orderShipped = stored('order_shipped', [
    { type: 'HEADER', format: 'IMAGE' },
    { type: 'BODY', text: 'Your order {{1}} has shipped.' },
    {
      type: 'BUTTONS',
      buttons: [
        { type: 'QUICK_REPLY', text: 'Stop updates' },
        { type: 'URL', text: 'Track', url: 'https://shop.example.com/track/{{1}}' },
      ],
    },
  ]);
  const card = {
    components: [
      { type: 'HEADER', format: 'IMAGE' },
      { type: 'BODY', text: 'Price: {{1}}' },
      { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Buy', url: 'https://shop.example.com/p/{{1}}' }] },
    ],
  };
  const carousel = stored('summer_carousel', [
    { type: 'BODY', text: 'Hi {{1}}, new arrivals:' },
    { type: 'CAROUSEL', cards: [card, card] },
  ]);

  it('the seed order_confirmation (simple form; `en` is sent as the stored code)', () => {
    const request: Request = {
      type: 'template',
      phone: TO,
      templateName: 'order_confirmation',
      templateLanguage: 'en',
      templateVariables: { '1': 'Jane', '2': 'ORD-9921', '3': 'Tomorrow 5pm' },
    };
    expect(build(request, { template: orderConfirmation })).toEqual({
      ...envelope,
      type: 'template',
      template: {
        name: 'order_confirmation',
        language: { code: 'en' },
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
    });
  });

  it('the seed payment_thank_you with four variables', () => {
    const request: Request = {
      type: 'template',
      phone: TO,
      templateName: 'payment_thank_you',
      templateLanguage: 'en_US',
      templateVariables: {
        '1': 'Shree Balaji Traders',
        '2': '₹75,600.00',
        '3': 'INV-00516',
        '4': 'Hiren Enterprises',
      },
    };
    expect(build(request, { template: paymentThankYou })).toEqual({
      ...envelope,
      type: 'template',
      template: {
        name: 'payment_thank_you',
        language: { code: 'en_US' },
        components: [
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Shree Balaji Traders' },
              { type: 'text', text: '₹75,600.00' },
              { type: 'text', text: 'INV-00516' },
              { type: 'text', text: 'Hiren Enterprises' },
            ],
          },
        ],
      },
    });
  });

  it('IMAGE header and dynamic URL button (simple form)', () => {
    const request: Request = {
      type: 'template',
      phone: TO,
      templateName: 'order_shipped',
      templateVariables: { header_media: '1013859600285441', '1': 'ORD-9921', button_1: 'ORD-9921' },
    };
    expect(build(request, { template: orderShipped, bizOpaqueCallbackData: 'msg-42' })).toEqual({
      ...envelope,
      type: 'template',
      template: {
        name: 'order_shipped',
        language: { code: 'en_US' },
        components: [
          { type: 'header', parameters: [{ type: 'image', image: { id: '1013859600285441' } }] },
          { type: 'body', parameters: [{ type: 'text', text: 'ORD-9921' }] },
          { type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: 'ORD-9921' }] },
        ],
      },
      biz_opaque_callback_data: 'msg-42',
    });
  });

  it('advanced form: templateComponents are sent as given', () => {
    const request: Request = {
      type: 'template',
      phone: TO,
      templateName: 'order_shipped',
      templateComponents: [
        {
          type: 'header',
          parameters: [{ type: 'image', image: { link: 'https://cdn.example.com/box.png' } }],
        },
        { type: 'body', parameters: [{ type: 'text', text: 'ORD-1' }] },
        {
          type: 'button',
          sub_type: 'quick_reply',
          index: '0',
          parameters: [{ type: 'payload', payload: 'STOP' }],
        },
        { type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: 'ORD-1' }] },
      ],
    };
    expect(build(request, { template: orderShipped })).toEqual({
      ...envelope,
      type: 'template',
      template: {
        name: 'order_shipped',
        language: { code: 'en_US' },
        components: [
          {
            type: 'header',
            parameters: [{ type: 'image', image: { link: 'https://cdn.example.com/box.png' } }],
          },
          { type: 'body', parameters: [{ type: 'text', text: 'ORD-1' }] },
          {
            type: 'button',
            sub_type: 'quick_reply',
            index: '0',
            parameters: [{ type: 'payload', payload: 'STOP' }],
          },
          { type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: 'ORD-1' }] },
        ],
      },
    });
  });

  it('carousel with 2 cards, each with an image header, a body variable and a URL button (§1.6 shape)', () => {
    const request: Request = {
      type: 'template',
      phone: TO,
      templateName: 'summer_carousel',
      templateLanguage: 'en_US',
      templateVariables: {
        '1': 'Ana',
        c1_header: 'https://cdn.example.com/1.jpg',
        c1_1: '$15.00',
        c1_button_0: 'sku-1',
      },
      carousel: {
        cards: [
          {
            index: 0,
            bodyValues: { '1': '$12.99' },
            buttonValues: [{ index: 0, sub_type: 'url', parameters: { type: 'text', text: 'sku-0' } }],
            header: { format: 'image', id: '111' },
          },
        ],
      },
    };
    expect(build(request, { template: carousel })).toEqual({
      ...envelope,
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
                  { type: 'header', parameters: [{ type: 'image', image: { id: '111' } }] },
                  { type: 'body', parameters: [{ type: 'text', text: '$12.99' }] },
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
                  {
                    type: 'header',
                    parameters: [{ type: 'image', image: { link: 'https://cdn.example.com/1.jpg' } }],
                  },
                  { type: 'body', parameters: [{ type: 'text', text: '$15.00' }] },
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
    });
  });

  it('a template request without its stored template is a programming error', () => {
    expect(() =>
      build({ type: 'template', phone: TO, templateName: 'x', templateVariables: { '1': 'a' } }),
    ).toThrow(TypeError);
  });
});
