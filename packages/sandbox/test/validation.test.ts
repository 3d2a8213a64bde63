import { startSandbox, type Sandbox, checkMessageBody } from '../src/index';
import { metaError, post, successOf } from './helpers';

type Body = Record<string, unknown>;

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.close();
});

const TO = '+16505551234';
const base = (type: string, payload: unknown, extra: Body = {}): Body => ({
  messaging_product: 'whatsapp',
  recipient_type: 'individual',
  to: TO,
  type,
  [type]: payload,
  ...extra,
});
const s = (n: number, c = 'a'): string => c.repeat(n);

const replyButtons = (titles: string[]) => ({
  type: 'button',
  body: { text: 'Change or cancel your booking?' },
  action: { buttons: titles.map((t, i) => ({ type: 'reply', reply: { id: `b-${i}`, title: t } })) },
});

const list = (rowsPerSection: number[], overrides: Body = {}) => ({
  type: 'list',
  header: { type: 'text', text: 'Menu' },
  body: { text: 'Pick one' },
  footer: { text: 'Thanks' },
  action: {
    button: 'Options',
    sections: rowsPerSection.map((n, si) => ({
      title: `Section ${si}`,
      rows: Array.from({ length: n }, (_, ri) => ({
        id: `r-${si}-${ri}`,
        title: `Row ${ri}`,
        description: 'A row',
      })),
    })),
    ...overrides,
  },
});

const ctaUrl = (parameters: Body = { display_text: 'See Dates', url: 'https://example.com/book' }) => ({
  type: 'cta_url',
  header: { type: 'image', image: { link: 'https://example.com/banner.png' } },
  body: { text: 'Tap to see available dates.' },
  footer: { text: 'Dates subject to change.' },
  action: { name: 'cta_url', parameters },
});

const card = (i: number, headerLink = 'https://example.com/c.png') => ({
  card_index: i,
  components: [
    { type: 'header', parameters: [{ type: 'image', image: { link: headerLink } }] },
    { type: 'body', parameters: [{ type: 'text', text: `$${i}2.99` }] },
    {
      type: 'button',
      sub_type: 'quick_reply',
      index: '0',
      parameters: [{ type: 'payload', payload: `more-${i}` }],
    },
    { type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: `sku-${i}` }] },
  ],
});

const carouselTemplate = (cards: unknown[]) => ({
  name: 'summer_carousel_v1_3',
  language: { code: 'en_US' },
  components: [
    { type: 'body', parameters: [{ type: 'text', text: 'Ana' }] },
    { type: 'carousel', cards },
  ],
});

const richTemplate = (components: unknown[]) => ({
  name: 'order_update',
  language: { code: 'en_US', policy: 'deterministic' },
  components,
});

const VALID: [string, Body][] = [
  ['text', base('text', { body: 'Hi! See https://example.com', preview_url: true })],
  [
    'text at 4096 chars, as a reply, with biz_opaque of 512',
    base('text', { body: s(4096) }, { context: { message_id: 'wamid.X' }, biz_opaque_callback_data: s(512) }),
  ],
  ['text with emoji counted as characters', base('text', { body: '😀'.repeat(4096) })],
  [
    'text to digits only, no recipient_type',
    { messaging_product: 'whatsapp', to: '16505551234', type: 'text', text: { body: 'x' } },
  ],
  ['image by id with caption', base('image', { id: '1013859600285441', caption: s(1024) })],
  ['image by link', base('image', { link: 'https://example.com/a.jpg' })],
  ['video', base('video', { link: 'https://example.com/a.mp4', caption: 'clip' })],
  ['audio', base('audio', { id: '123' })],
  [
    'document with filename and caption',
    base('document', { id: '1013859600285441', filename: 'invoice.pdf', caption: 'Your invoice' }),
  ],
  ['sticker', base('sticker', { link: 'https://example.com/s.webp' })],
  [
    'location with numbers',
    base('location', {
      latitude: 37.758056,
      longitude: -122.425332,
      name: 'Meta HQ',
      address: '1 Hacker Way',
    }),
  ],
  ['location with numeric strings', base('location', { latitude: '-90', longitude: '180' })],
  [
    'interactive reply buttons (3)',
    base('interactive', {
      ...replyButtons(['Change', 'Cancel', s(20)]),
      header: { type: 'text', text: s(60) },
      footer: { text: s(60) },
    }),
  ],
  [
    'interactive reply button with an image header',
    base('interactive', { ...replyButtons(['Yes']), header: { type: 'image', image: { id: '42' } } }),
  ],
  ['interactive list (10 rows over 2 sections)', base('interactive', list([4, 6]))],
  [
    'interactive list with one untitled section',
    base('interactive', {
      type: 'list',
      body: { text: 'x' },
      action: { button: s(20), sections: [{ rows: [{ id: s(200), title: s(24), description: s(72) }] }] },
    }),
  ],
  ['interactive cta_url', base('interactive', ctaUrl())],
  [
    'interactive cta_url without header',
    base('interactive', {
      type: 'cta_url',
      body: { text: 'Go' },
      action: { name: 'cta_url', parameters: { display_text: s(20), url: 'http://example.com' } },
    }),
  ],
  [
    'interactive media carousel',
    base('interactive', {
      type: 'carousel',
      body: { text: 'Our picks' },
      action: {
        cards: [0, 1].map((i) => ({
          card_index: i,
          type: 'cta_url',
          header: { type: 'image', image: { link: `https://example.com/${i}.png` } },
          body: { text: s(160) },
          action: { name: 'cta_url', parameters: { display_text: 'Buy', url: `https://example.com/p/${i}` } },
        })),
      },
    }),
  ],
  ['template simple (no components)', base('template', { name: 'hello_world', language: { code: 'en_US' } })],
  [
    'template with body text params',
    base(
      'template',
      richTemplate([
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Ana' },
            { type: 'text', text: 'order 42' },
          ],
        },
      ]),
    ),
  ],
  [
    'template with header image + url button + quick reply, currency and date_time',
    base(
      'template',
      richTemplate([
        { type: 'header', parameters: [{ type: 'image', image: { id: '1013859600285441' } }] },
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Ana' },
            { type: 'currency', currency: { fallback_value: '$100.99', code: 'USD', amount_1000: 100990 } },
            { type: 'date_time', date_time: { fallback_value: 'February 25, 1977' } },
          ],
        },
        {
          type: 'button',
          sub_type: 'quick_reply',
          index: '0',
          parameters: [{ type: 'payload', payload: 'TRACK-123' }],
        },
        { type: 'button', sub_type: 'url', index: 1, parameters: [{ type: 'text', text: 'order/123' }] },
      ]),
    ),
  ],
  [
    'template with header text, named params and coupon',
    base(
      'template',
      richTemplate([
        { type: 'header', parameters: [{ type: 'text', text: 'Sale', parameter_name: 'title' }] },
        { type: 'body', parameters: [{ type: 'text', text: 'Ana', parameter_name: 'first_name' }] },
        {
          type: 'button',
          sub_type: 'copy_code',
          index: '0',
          parameters: [{ type: 'coupon_code', coupon_code: s(15, 'X') }],
        },
      ]),
    ),
  ],
  [
    'template with location header and document header variants',
    base(
      'template',
      richTemplate([
        {
          type: 'header',
          parameters: [
            {
              type: 'location',
              location: { latitude: 1.5, longitude: 2.5, name: 'Shop', address: 'Main St 1' },
            },
          ],
        },
      ]),
    ),
  ],
  [
    'template with document header',
    base(
      'template',
      richTemplate([
        {
          type: 'header',
          parameters: [
            { type: 'document', document: { link: 'https://example.com/a.pdf', filename: 'a.pdf' } },
          ],
        },
      ]),
    ),
  ],
  ['carousel template (2 cards)', base('template', carouselTemplate([card(0), card(1)]))],
  [
    'carousel template (10 cards, unordered indexes)',
    base('template', carouselTemplate(Array.from({ length: 10 }, (_, i) => card(9 - i)))),
  ],
  ['reaction', base('reaction', { message_id: 'wamid.X', emoji: '👍' })],
  [
    'contacts',
    base('contacts', [
      { name: { formatted_name: 'Ana B', first_name: 'Ana' }, phones: [{ phone: '+1 650' }] },
    ]),
  ],
];

describe('the sandbox accepts valid bodies of every type', () => {
  it.each(VALID)('%s', async (_name, body) => {
    const answer = await post(sandbox, body);
    expect(answer.text).not.toContain('"error"');
    const ok = successOf(answer);
    expect(ok.wamid).toMatch(/^wamid\./);
    expect(ok.messageStatus).toBe(body['type'] === 'template' ? 'accepted' : undefined);
  });
});

// [name, body, Meta code, fragment of error_data.details]
const INVALID: [string, unknown, number, string][] = [
  ['body is an array', [1], 100, 'JSON object'],
  ['messaging_product missing', { to: TO, type: 'text', text: { body: 'x' } }, 100, 'messaging_product'],
  [
    'messaging_product wrong',
    { ...base('text', { body: 'x' }), messaging_product: 'sms' },
    100,
    'messaging_product',
  ],
  ['to missing', { messaging_product: 'whatsapp', type: 'text', text: { body: 'x' } }, 131008, 'body.to'],
  ['to not a phone number', { ...base('text', { body: 'x' }), to: 'bob' }, 131009, 'body.to'],
  ['type missing', { messaging_product: 'whatsapp', to: TO, text: { body: 'x' } }, 131008, 'body.type'],
  ['type unknown', { ...base('text', { body: 'x' }), type: 'fax' }, 131009, 'body.type'],
  [
    'recipient_type unknown',
    base('text', { body: 'x' }, { recipient_type: 'broadcast' }),
    131009,
    'recipient_type',
  ],
  ['unexpected top-level key', base('text', { body: 'x' }, { priority: 'high' }), 100, 'priority'],
  ['object of another type', base('text', { body: 'x' }, { image: { id: '1' } }), 100, 'image'],
  [
    'biz_opaque_callback_data over 512',
    base('text', { body: 'x' }, { biz_opaque_callback_data: s(513) }),
    131009,
    'biz_opaque_callback_data',
  ],
  ['context without message_id', base('text', { body: 'x' }, { context: {} }), 131008, 'context.message_id'],
  ['text object missing', { messaging_product: 'whatsapp', to: TO, type: 'text' }, 131008, 'body.text'],
  ['text.body empty', base('text', { body: '' }), 131008, 'text.body'],
  ['text.body over 4096', base('text', { body: s(4097) }), 131009, 'text.body'],
  ['text.body not a string', base('text', { body: 42 }), 100, 'text.body'],
  ['text.preview_url not boolean', base('text', { body: 'x', preview_url: 'yes' }), 100, 'preview_url'],
  ['unknown key in text', base('text', { body: 'x', bold: true }), 100, 'bold'],
  [
    'image with id and link',
    base('image', { id: '1', link: 'https://example.com/a.png' }),
    131009,
    'exactly one',
  ],
  ['image with neither id nor link', base('image', { caption: 'x' }), 131008, 'id or link'],
  ['image link not http(s)', base('image', { link: 'ftp://example.com/a.png' }), 131009, 'image.link'],
  ['image caption over 1024', base('image', { id: '1', caption: s(1025) }), 131009, 'image.caption'],
  ['caption on audio', base('audio', { id: '1', caption: 'no' }), 100, 'caption'],
  ['caption on sticker', base('sticker', { id: '1', caption: 'no' }), 100, 'caption'],
  ['filename on image', base('image', { id: '1', filename: 'a.png' }), 100, 'filename'],
  [
    'location latitude out of range',
    base('location', { latitude: 91, longitude: 0 }),
    131009,
    'location.latitude',
  ],
  ['location longitude missing', base('location', { latitude: 1 }), 131008, 'location.longitude'],
  [
    'location latitude not a number',
    base('location', { latitude: 'north', longitude: 0 }),
    100,
    'location.latitude',
  ],
  [
    'interactive type unknown',
    base('interactive', { type: 'poll', body: { text: 'x' }, action: {} }),
    131009,
    'interactive.type',
  ],
  ['button title of 21 chars', base('interactive', replyButtons([s(21)])), 131009, 'buttons[0].reply.title'],
  ['4 reply buttons', base('interactive', replyButtons(['a', 'b', 'c', 'd'])), 131009, 'at most 3'],
  ['0 reply buttons', base('interactive', replyButtons([])), 131008, 'at least 1'],
  ['duplicate button titles', base('interactive', replyButtons(['Same', 'Same'])), 131009, 'not unique'],
  [
    'reply button id over 256',
    base('interactive', {
      ...replyButtons(['a']),
      action: { buttons: [{ type: 'reply', reply: { id: s(257), title: 'a' } }] },
    }),
    131009,
    'reply.id',
  ],
  [
    'reply button type not reply',
    base('interactive', {
      ...replyButtons(['a']),
      action: { buttons: [{ type: 'url', reply: { id: '1', title: 'a' } }] },
    }),
    131009,
    'buttons[0].type',
  ],
  [
    'interactive body missing',
    base('interactive', { type: 'button', action: replyButtons(['a']).action }),
    131008,
    'interactive.body',
  ],
  [
    'interactive body over 1024',
    base('interactive', { ...replyButtons(['a']), body: { text: s(1025) } }),
    131009,
    'interactive.body.text',
  ],
  [
    'interactive footer over 60',
    base('interactive', { ...replyButtons(['a']), footer: { text: s(61) } }),
    131009,
    'interactive.footer.text',
  ],
  [
    'interactive header text over 60',
    base('interactive', { ...replyButtons(['a']), header: { type: 'text', text: s(61) } }),
    131009,
    'interactive.header.text',
  ],
  [
    'interactive media header with caption',
    base('interactive', {
      ...replyButtons(['a']),
      header: { type: 'image', image: { id: '1', caption: 'x' } },
    }),
    100,
    'caption',
  ],
  ['list with 11 rows in total', base('interactive', list([5, 6])), 131009, '10 rows'],
  [
    'list with 11 sections',
    base('interactive', list(Array.from({ length: 11 }, () => 1))),
    131009,
    'at most 10 sections',
  ],
  [
    'list row title over 24',
    base('interactive', list([1], { sections: [{ rows: [{ id: '1', title: s(25) }] }] })),
    131009,
    'rows[0].title',
  ],
  [
    'list row description over 72',
    base('interactive', list([1], { sections: [{ rows: [{ id: '1', title: 'a', description: s(73) }] }] })),
    131009,
    'description',
  ],
  [
    'list row id over 200',
    base('interactive', list([1], { sections: [{ rows: [{ id: s(201), title: 'a' }] }] })),
    131009,
    'rows[0].id',
  ],
  [
    'list duplicate row ids',
    base(
      'interactive',
      list([1], {
        sections: [
          {
            rows: [
              { id: 'x', title: 'a' },
              { id: 'x', title: 'b' },
            ],
          },
        ],
      }),
    ),
    131009,
    'not unique',
  ],
  [
    'list section title over 24',
    base('interactive', list([1], { sections: [{ title: s(25), rows: [{ id: '1', title: 'a' }] }] })),
    131009,
    'sections[0].title',
  ],
  [
    'list of 2 sections, one untitled',
    base(
      'interactive',
      list([1], {
        sections: [{ title: 'A', rows: [{ id: '1', title: 'a' }] }, { rows: [{ id: '2', title: 'b' }] }],
      }),
    ),
    131008,
    'sections[1].title',
  ],
  ['list button label over 20', base('interactive', list([1], { button: s(21) })), 131009, 'action.button'],
  [
    'list button label missing',
    base('interactive', { ...list([1]), action: { sections: list([1]).action.sections } }),
    131008,
    'action.button',
  ],
  [
    'list with an image header',
    base('interactive', { ...list([1]), header: { type: 'image', image: { id: '1' } } }),
    131009,
    'interactive.header.type',
  ],
  [
    'cta_url display_text over 20',
    base('interactive', ctaUrl({ display_text: s(21), url: 'https://example.com' })),
    131009,
    'display_text',
  ],
  [
    'cta_url url invalid',
    base('interactive', ctaUrl({ display_text: 'Go', url: 'not a url' })),
    131009,
    'parameters.url',
  ],
  ['cta_url url missing', base('interactive', ctaUrl({ display_text: 'Go' })), 131008, 'parameters.url'],
  [
    'cta_url action name wrong',
    base('interactive', {
      ...ctaUrl(),
      action: { name: 'url', parameters: { display_text: 'Go', url: 'https://e.com' } },
    }),
    131009,
    'action.name',
  ],
  [
    'interactive carousel with 1 card',
    base('interactive', {
      type: 'carousel',
      body: { text: 'x' },
      action: {
        cards: [
          {
            card_index: 0,
            header: { type: 'image', image: { id: '1' } },
            action: { name: 'cta_url', parameters: { display_text: 'a', url: 'https://e.com' } },
          },
        ],
      },
    }),
    131009,
    '2 to 10 cards',
  ],
  ['template language missing', base('template', { name: 'hello_world' }), 131008, 'template.language'],
  [
    'template language code missing',
    base('template', { name: 'hello_world', language: {} }),
    131008,
    'template.language.code',
  ],
  [
    'template language policy unknown',
    base('template', { name: 'hello_world', language: { code: 'en', policy: 'fallback' } }),
    131009,
    'policy',
  ],
  [
    'template name with capitals and spaces',
    base('template', { name: 'Order Update', language: { code: 'en_US' } }),
    132001,
    'Order Update',
  ],
  ['template name missing', base('template', { language: { code: 'en_US' } }), 131008, 'template.name'],
  [
    'template components not an array',
    base('template', { name: 'a', language: { code: 'en' }, components: {} }),
    100,
    'components',
  ],
  [
    'template component type unknown',
    base('template', richTemplate([{ type: 'footer', parameters: [] }])),
    131009,
    'components[0].type',
  ],
  [
    'template body param with newline',
    base('template', richTemplate([{ type: 'body', parameters: [{ type: 'text', text: 'a\nb' }] }])),
    132018,
    'new-line',
  ],
  [
    'template body param with tab',
    base('template', richTemplate([{ type: 'body', parameters: [{ type: 'text', text: 'a\tb' }] }])),
    132018,
    'new-line',
  ],
  [
    'template body param with 5 spaces',
    base('template', richTemplate([{ type: 'body', parameters: [{ type: 'text', text: 'a     b' }] }])),
    132018,
    'consecutive spaces',
  ],
  [
    'template body param empty',
    base('template', richTemplate([{ type: 'body', parameters: [{ type: 'text', text: '' }] }])),
    131008,
    'missing text value',
  ],
  [
    'template body param without text',
    base('template', richTemplate([{ type: 'body', parameters: [{ type: 'text' }] }])),
    131008,
    'missing text value',
  ],
  [
    'template body param over 1024',
    base('template', richTemplate([{ type: 'body', parameters: [{ type: 'text', text: s(1025) }] }])),
    132005,
    'parameters[0].text',
  ],
  [
    'template body param type unknown',
    base('template', richTemplate([{ type: 'body', parameters: [{ type: 'image', image: { id: '1' } }] }])),
    131009,
    'parameters[0].type',
  ],
  [
    'template header with 2 params',
    base(
      'template',
      richTemplate([
        {
          type: 'header',
          parameters: [
            { type: 'text', text: 'a' },
            { type: 'text', text: 'b' },
          ],
        },
      ]),
    ),
    132000,
    'exactly 1',
  ],
  [
    'template header media with caption',
    base(
      'template',
      richTemplate([{ type: 'header', parameters: [{ type: 'image', image: { id: '1', caption: 'x' } }] }]),
    ),
    100,
    'caption',
  ],
  [
    'template two body components',
    base(
      'template',
      richTemplate([
        { type: 'body', parameters: [] },
        { type: 'body', parameters: [] },
      ]),
    ),
    131009,
    'only one body',
  ],
  [
    'template currency code lowercase',
    base(
      'template',
      richTemplate([
        {
          type: 'body',
          parameters: [
            { type: 'currency', currency: { fallback_value: '$1', code: 'usd', amount_1000: 1000 } },
          ],
        },
      ]),
    ),
    131009,
    'currency.code',
  ],
  [
    'template currency amount missing',
    base(
      'template',
      richTemplate([
        { type: 'body', parameters: [{ type: 'currency', currency: { fallback_value: '$1', code: 'USD' } }] },
      ]),
    ),
    131008,
    'amount_1000',
  ],
  [
    'template url button without index',
    base(
      'template',
      richTemplate([{ type: 'button', sub_type: 'url', parameters: [{ type: 'text', text: 'x' }] }]),
    ),
    131008,
    'index',
  ],
  [
    'template button index 10',
    base(
      'template',
      richTemplate([
        { type: 'button', sub_type: 'url', index: '10', parameters: [{ type: 'text', text: 'x' }] },
      ]),
    ),
    131009,
    'index',
  ],
  [
    'template button sub_type unknown',
    base(
      'template',
      richTemplate([
        { type: 'button', sub_type: 'call', index: '0', parameters: [{ type: 'text', text: 'x' }] },
      ]),
    ),
    131009,
    'sub_type',
  ],
  [
    'template quick reply with text param',
    base(
      'template',
      richTemplate([
        { type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'text', text: 'x' }] },
      ]),
    ),
    100,
    'text',
  ],
  [
    'template button without parameters',
    base('template', richTemplate([{ type: 'button', sub_type: 'quick_reply', index: '0', parameters: [] }])),
    131008,
    'parameters',
  ],
  [
    'template duplicate button index',
    base(
      'template',
      richTemplate([
        {
          type: 'button',
          sub_type: 'quick_reply',
          index: '0',
          parameters: [{ type: 'payload', payload: 'a' }],
        },
        {
          type: 'button',
          sub_type: 'quick_reply',
          index: 0,
          parameters: [{ type: 'payload', payload: 'b' }],
        },
      ]),
    ),
    131009,
    'more than one',
  ],
  [
    'template coupon code over 15',
    base(
      'template',
      richTemplate([
        {
          type: 'button',
          sub_type: 'copy_code',
          index: '0',
          parameters: [{ type: 'coupon_code', coupon_code: s(16) }],
        },
      ]),
    ),
    131009,
    'coupon_code',
  ],
  [
    'carousel card without header',
    base('template', carouselTemplate([card(0), { card_index: 1, components: card(1).components.slice(1) }])),
    132012,
    'header component parameter should not be empty',
  ],
  [
    'carousel duplicate card_index',
    base('template', carouselTemplate([card(0), card(0)])),
    131009,
    'card_index',
  ],
  [
    'carousel card_index out of range',
    base('template', carouselTemplate([card(0), card(2)])),
    131009,
    'card_index',
  ],
  [
    'carousel card_index missing',
    base('template', carouselTemplate([card(0), { components: card(1).components }])),
    131008,
    'card_index',
  ],
  [
    'carousel with 11 cards',
    base('template', carouselTemplate(Array.from({ length: 11 }, (_, i) => card(i)))),
    131009,
    'at most 10 cards',
  ],
  ['carousel with 0 cards', base('template', carouselTemplate([])), 131008, 'at least 1 card'],
  [
    'carousel card body param over 160',
    base(
      'template',
      carouselTemplate([
        card(0),
        {
          card_index: 1,
          components: [
            card(1).components[0],
            { type: 'body', parameters: [{ type: 'text', text: s(161) }] },
            ...card(1).components.slice(2),
          ],
        },
      ]),
    ),
    132005,
    '160',
  ],
  [
    'carousel cards with different components',
    base(
      'template',
      carouselTemplate([card(0), { card_index: 1, components: card(1).components.slice(0, 3) }]),
    ),
    132012,
    'same components',
  ],
  [
    'carousel card with a third button',
    base(
      'template',
      carouselTemplate([
        card(0),
        {
          card_index: 1,
          components: [
            ...card(1).components,
            {
              type: 'button',
              sub_type: 'quick_reply',
              index: '2',
              parameters: [{ type: 'payload', payload: 'x' }],
            },
          ],
        },
      ]),
    ),
    131009,
    'index',
  ],
  [
    'carousel card header of type text',
    base(
      'template',
      carouselTemplate([
        { card_index: 0, components: [{ type: 'header', parameters: [{ type: 'text', text: 'x' }] }] },
      ]),
    ),
    131009,
    'parameters[0].type',
  ],
  [
    'carousel template with a message-level header',
    base('template', {
      ...carouselTemplate([card(0)]),
      components: [
        { type: 'header', parameters: [{ type: 'text', text: 'x' }] },
        { type: 'carousel', cards: [card(0)] },
      ],
    }),
    132000,
    'carousel template',
  ],
  [
    'carousel component with parameters',
    base('template', {
      ...carouselTemplate([card(0)]),
      components: [{ type: 'carousel', cards: [card(0)], parameters: [] }],
    }),
    100,
    'parameters',
  ],
  ['reaction without message_id', base('reaction', { emoji: '👍' }), 131008, 'reaction.message_id'],
];

describe('the sandbox rejects invalid bodies like Meta', () => {
  it('has at least 25 cases', () => {
    expect(INVALID.length).toBeGreaterThanOrEqual(25);
  });

  it.each(INVALID)('%s → %i', async (_name, body, code, fragment) => {
    const answer = await post(sandbox, body);
    expect(answer.status).toBe(code === 132001 ? 404 : 400);
    const error = metaError(answer);
    expect(error.code).toBe(code);
    expect(error.type).toBe('OAuthException');
    expect(error.message).toMatch(new RegExp(`^\\(#${code}\\) `));
    expect(error.fbtrace_id).toEqual(expect.any(String));
    expect(
      (answer.json as { error: { error_data: { messaging_product: string } } }).error.error_data
        .messaging_product,
    ).toBe('whatsapp');
    expect(error.details).toContain(fragment);
  });

  it('uses Meta titles for the validation codes', async () => {
    expect(metaError(await post(sandbox, base('text', { body: s(4097) }))).message).toBe(
      '(#131009) Parameter value is not valid',
    );
    expect(metaError(await post(sandbox, base('text', { body: '' }))).message).toBe(
      '(#131008) Required parameter is missing',
    );
    expect(metaError(await post(sandbox, [1])).message).toBe('(#100) Invalid parameter');
  });
});

describe('checkMessageBody (direct use)', () => {
  it('reports the type, recipient and biz_opaque_callback_data of a valid body', () => {
    expect(checkMessageBody(base('text', { body: 'x' }, { biz_opaque_callback_data: 'm1' }))).toEqual({
      ok: true,
      kind: 'message',
      type: 'text',
      to: TO,
      recipient: undefined,
      bizOpaque: 'm1',
      templateName: undefined,
    });
  });

  it('never throws on hostile input', () => {
    for (const v of [
      null,
      undefined,
      0,
      'x',
      [],
      { ['__proto__']: {} },
      JSON.parse('{"__proto__":{"x":1},"messaging_product":"whatsapp"}') as unknown,
    ]) {
      const r = checkMessageBody(v);
      expect(r.ok).toBe(false);
    }
  });
});
