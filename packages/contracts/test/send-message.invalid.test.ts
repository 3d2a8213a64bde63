import {
  card,
  carousel,
  components,
  cta,
  errorPaths,
  errorsOf,
  interactive,
  location,
  media,
  MEDIA_ID,
  metaButtons,
  PHONE,
  rows,
  s,
  simpleButtons,
  simpleList,
  template,
  text,
  UUID,
} from './fixtures';

type Case = [name: string, body: unknown, paths: string[]];

const img = (image: unknown) => ({ type: 'header', parameters: [{ type: 'image', image }] });
const body = (...parameters: unknown[]) => ({ type: 'body', parameters });
const btn = (sub_type: string, index: unknown, parameters: unknown[]) => ({
  type: 'button',
  sub_type,
  index,
  parameters,
});
const cardComponent = (components: unknown[]) => ({
  type: 'carousel',
  cards: [{ card_index: 0, components }],
});
const cv = (o: Record<string, unknown>) => carousel([card(o)]);
const textHeader = (text: string) => ({ type: 'text', text });
const without = (o: Record<string, unknown>, key: string) =>
  Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));

/** Every entry: a body, and exactly the error paths it must produce (sorted). */
const CASES: Case[] = [
  // the body itself and `type`
  ['a string body', 'hello', ['']],
  ['an array body', [text()], ['']],
  ['null', null, ['']],
  ['no type', without(text(), 'type'), ['/type']],
  ['an unknown type', text({ type: 'voice' }), ['/type']],
  ['a numeric type', text({ type: 5 }), ['/type']],

  // recipient
  ['no recipient', without(text(), 'phone'), ['/phone']],
  ['phone and contactId together', text({ contactId: UUID }), ['/contactId']],
  ['a 7-digit phone', text({ phone: '1234567' }), ['/phone']],
  ['a 16-digit phone', text({ phone: '1234567890123456' }), ['/phone']],
  ['a phone starting with 0', text({ phone: '0919876543210' }), ['/phone']],
  ['a phone with letters', text({ phone: '91987654321O' }), ['/phone']],
  ['a phone as a JSON number', text({ phone: 919876543210 }), ['/phone']],
  ['a phone with two plus signs', text({ phone: '++919876543210' }), ['/phone']],
  ['a phone with brackets', text({ phone: '+1 (650) 555-1234' }), ['/phone']],
  ['an empty phone', text({ phone: '' }), ['/phone']],
  ['a contactId that is not a UUID', { type: 'text', contactId: '42', content: 'x' }, ['/contactId']],
  ['a urn:uuid contactId', { type: 'text', contactId: `urn:uuid:${UUID}`, content: 'x' }, ['/contactId']],
  ['a phoneNumberId that is not a UUID', text({ phoneNumberId: 'main' }), ['/phoneNumberId']],

  // text
  ['text without content', without(text(), 'content'), ['/content']],
  ['empty text', text({ content: '' }), ['/content']],
  ['text content as a number', text({ content: 42 }), ['/content']],
  ['text of 4097 characters', text({ content: s(4097) }), ['/content']],
  ['previewUrl as a string', text({ previewUrl: 'true' }), ['/previewUrl']],
  ['an unknown property on text', text({ foo: 1 }), ['/foo']],
  ['a caption on text', text({ caption: 'x' }), ['/caption']],
  ['several problems at once', text({ phone: '1', content: '', foo: 1 }), ['/content', '/foo', '/phone']],

  // template: name, language, forms
  ['template without templateName', without(template(), 'templateName'), ['/templateName']],
  ['an upper-case template name', template({ templateName: 'Order' }), ['/templateName']],
  ['a template name with a dash', template({ templateName: 'order-confirmation' }), ['/templateName']],
  ['a 513-character template name', template({ templateName: s(513) }), ['/templateName']],
  ["templateLanguage 'en-US'", template({ templateLanguage: 'en-US' }), ['/templateLanguage']],
  ["templateLanguage 'english'", template({ templateLanguage: 'english' }), ['/templateLanguage']],
  [
    'both simple and advanced forms',
    template({ templateVariables: { '1': 'a' }, templateComponents: [body({ type: 'text', text: 'a' })] }),
    ['/templateComponents'],
  ],
  [
    'carousel and templateComponents together',
    template({ carousel: { cards: [card()] }, templateComponents: [body({ type: 'text', text: 'a' })] }),
    ['/templateComponents'],
  ],
  [
    'bodyParameters and templateComponents together',
    template({ bodyParameters: { '1': 'a' }, templateComponents: [body({ type: 'text', text: 'a' })] }),
    ['/templateComponents'],
  ],
  ['content on a template', template({ content: 'x' }), ['/content']],

  // template: templateVariables
  ['templateVariables as an array', template({ templateVariables: ['a'] }), ['/templateVariables']],
  ['a numeric variable value', template({ templateVariables: { '1': 5 } }), ['/templateVariables/1']],
  ['an empty variable value', template({ templateVariables: { '1': '' } }), ['/templateVariables/1']],
  [
    'a variable value with a newline',
    template({ templateVariables: { '1': 'a\nb' } }),
    ['/templateVariables/1'],
  ],
  ['a variable value with a tab', template({ templateVariables: { '2': 'a\tb' } }), ['/templateVariables/2']],
  [
    'a variable value with five spaces',
    template({ templateVariables: { '1': 'a     b' } }),
    ['/templateVariables/1'],
  ],
  [
    "key 'header_foo'",
    template({ templateVariables: { header_foo: 'x' } }),
    ['/templateVariables/header_foo'],
  ],
  ["key '0'", template({ templateVariables: { '0': 'x' } }), ['/templateVariables/0']],
  [
    "key 'c10_1' (card 10 does not exist)",
    template({ templateVariables: { c10_1: 'x' } }),
    ['/templateVariables/c10_1'],
  ],
  [
    "key 'c0_button_2' (cards have two buttons)",
    template({ templateVariables: { c0_button_2: 'x' } }),
    ['/templateVariables/c0_button_2'],
  ],
  ["key 'button_10'", template({ templateVariables: { button_10: 'x' } }), ['/templateVariables/button_10']],
  [
    "key 'First Name'",
    template({ templateVariables: { 'First Name': 'x' } }),
    ['/templateVariables/First Name'],
  ],
  [
    'a 61-character header_text',
    template({ templateVariables: { header_text: s(61) } }),
    ['/templateVariables/header_text'],
  ],
  [
    'header_media on ftp',
    template({ templateVariables: { header_media: 'ftp://example.com/a.jpg' } }),
    ['/templateVariables/header_media'],
  ],
  [
    'a 161-character card body value',
    template({ templateVariables: { c0_1: s(161) } }),
    ['/templateVariables/c0_1'],
  ],
  [
    'a 1025-character body value',
    template({ templateVariables: { '1': s(1025) } }),
    ['/templateVariables/1'],
  ],
  [
    "bodyParameters with key 'header_text'",
    template({ bodyParameters: { header_text: 'x' } }),
    ['/bodyParameters/header_text'],
  ],

  // template: carousel (simple form)
  ['a carousel without cards', template({ carousel: {} }), ['/carousel/cards']],
  ['a carousel with no card', carousel([]), ['/carousel/cards']],
  [
    'a carousel with 11 cards',
    carousel(Array.from({ length: 11 }, (_, i) => card({ index: i % 10 }))),
    ['/carousel/cards'],
  ],
  ['card index 10', cv({ index: 10 }), ['/carousel/cards/0/index']],
  ['card index -1', cv({ index: -1 }), ['/carousel/cards/0/index']],
  ['card index 1.5', cv({ index: 1.5 }), ['/carousel/cards/0/index']],
  ["card index '0'", cv({ index: '0' }), ['/carousel/cards/0/index']],
  ['a card without index', carousel([without(card(), 'index')]), ['/carousel/cards/0/index']],
  ['two cards with index 0', carousel([card(), card()]), ['/carousel/cards/1/index']],
  ['an unknown property on a card', cv({ footer: 'x' }), ['/carousel/cards/0/footer']],
  [
    'a 161-character card body value',
    cv({ bodyValues: { '1': s(161) } }),
    ['/carousel/cards/0/bodyValues/1'],
  ],
  [
    'card button index 2',
    cv({ buttonValues: [{ index: 2, sub_type: 'url', parameters: { type: 'text', text: 'x' } }] }),
    ['/carousel/cards/0/buttonValues/0/index'],
  ],
  [
    "card button sub_type 'phone'",
    cv({ buttonValues: [{ index: 0, sub_type: 'phone', parameters: { type: 'text', text: 'x' } }] }),
    ['/carousel/cards/0/buttonValues/0/sub_type'],
  ],
  [
    'a 16-character coupon code',
    cv({
      buttonValues: [
        { index: 0, sub_type: 'copy_code', parameters: { type: 'coupon_code', coupon_code: s(16) } },
      ],
    }),
    ['/carousel/cards/0/buttonValues/0/parameters/coupon_code'],
  ],
  [
    'a url button given a payload',
    cv({ buttonValues: [{ index: 0, sub_type: 'url', parameters: { type: 'payload', payload: 'x' } }] }),
    [
      '/carousel/cards/0/buttonValues/0/parameters/payload',
      '/carousel/cards/0/buttonValues/0/parameters/text',
      '/carousel/cards/0/buttonValues/0/parameters/type',
    ],
  ],
  [
    'three button values on a card',
    cv({
      buttonValues: [0, 1, 0].map((index) => ({
        index,
        sub_type: 'quick_reply',
        parameters: { type: 'payload', payload: 'p' },
      })),
    }),
    ['/carousel/cards/0/buttonValues'],
  ],
  [
    'two button values with index 0',
    cv({
      buttonValues: [0, 0].map((index) => ({
        index,
        sub_type: 'quick_reply',
        parameters: { type: 'payload', payload: 'p' },
      })),
    }),
    ['/carousel/cards/0/buttonValues/1/index'],
  ],
  [
    "card header format 'document'",
    cv({ header: { format: 'document', id: MEDIA_ID } }),
    ['/carousel/cards/0/header/format'],
  ],
  [
    'card header with id and link',
    cv({ header: { format: 'image', id: MEDIA_ID, link: 'https://example.com/a.jpg' } }),
    ['/carousel/cards/0/header/link'],
  ],
  [
    'card header with neither id nor link',
    cv({ header: { format: 'image' } }),
    ['/carousel/cards/0/header/id'],
  ],
  [
    'card header link over http',
    cv({ header: { format: 'video', link: 'http://example.com/a.mp4' } }),
    ['/carousel/cards/0/header/link'],
  ],
  [
    'a placeholder media id',
    cv({ header: { format: 'image', id: '<whatsapp-media-id>' } }),
    ['/carousel/cards/0/header/id'],
  ],

  // template: templateComponents (advanced form)
  ['templateComponents empty', components([]), ['/templateComponents']],
  ['templateComponents as an object', components({ type: 'body' }), ['/templateComponents']],
  ["a 'footer' component", components([{ type: 'footer' }]), ['/templateComponents/0/type']],
  ['a component without type', components([{ parameters: [] }]), ['/templateComponents/0/type']],
  [
    'a header with two parameters',
    components([{ type: 'header', parameters: [textHeader('a'), textHeader('b')] }]),
    ['/templateComponents/0/parameters'],
  ],
  [
    'a 61-character header text parameter',
    components([{ type: 'header', parameters: [textHeader(s(61))] }]),
    ['/templateComponents/0/parameters/0/text'],
  ],
  [
    'a body text parameter with a newline',
    components([body({ type: 'text', text: 'a\nb' })]),
    ['/templateComponents/0/parameters/0/text'],
  ],
  [
    'an empty body text parameter',
    components([body({ type: 'text', text: '' })]),
    ['/templateComponents/0/parameters/0/text'],
  ],
  [
    'a body without parameters',
    components([{ type: 'body', parameters: [] }]),
    ['/templateComponents/0/parameters'],
  ],
  [
    'an image parameter in the body',
    components([body({ type: 'image', image: { id: '1' } })]),
    ['/templateComponents/0/parameters/0/type'],
  ],
  [
    "currency code 'usd'",
    components([
      body({ type: 'currency', currency: { fallback_value: '$1', code: 'usd', amount_1000: 1000 } }),
    ]),
    ['/templateComponents/0/parameters/0/currency/code'],
  ],
  [
    'a fractional amount_1000',
    components([
      body({ type: 'currency', currency: { fallback_value: '$1', code: 'USD', amount_1000: 1.5 } }),
    ]),
    ['/templateComponents/0/parameters/0/currency/amount_1000'],
  ],
  [
    "button index '10'",
    components([btn('url', '10', [{ type: 'text', text: 'x' }])]),
    ['/templateComponents/0/index'],
  ],
  [
    'button index -1',
    components([btn('url', -1, [{ type: 'text', text: 'x' }])]),
    ['/templateComponents/0/index'],
  ],
  ["button sub_type 'call'", components([btn('call', '0', [])]), ['/templateComponents/0/sub_type']],
  [
    'a 16-character coupon_code',
    components([btn('copy_code', '0', [{ type: 'coupon_code', coupon_code: s(16) }])]),
    ['/templateComponents/0/parameters/0/coupon_code'],
  ],
  [
    'a quick_reply with two parameters',
    components([
      btn('quick_reply', '0', [
        { type: 'payload', payload: 'a' },
        { type: 'payload', payload: 'b' },
      ]),
    ]),
    ['/templateComponents/0/parameters'],
  ],
  [
    'two body components',
    components([body({ type: 'text', text: 'a' }), body({ type: 'text', text: 'b' })]),
    ['/templateComponents/1'],
  ],
  [
    'two buttons with index 0',
    components([
      btn('url', '0', [{ type: 'text', text: 'a' }]),
      btn('quick_reply', 0, [{ type: 'payload', payload: 'b' }]),
    ]),
    ['/templateComponents/1/index'],
  ],
  [
    'a header image link over http',
    components([img({ link: 'http://example.com/a.jpg' })]),
    ['/templateComponents/0/parameters/0/image/link'],
  ],
  [
    'a header image with neither id nor link',
    components([img({})]),
    ['/templateComponents/0/parameters/0/image/id'],
  ],
  [
    'a header image with a caption',
    components([img({ id: '1', caption: 'x' })]),
    ['/templateComponents/0/parameters/0/image/caption'],
  ],
  [
    'a carousel component with 11 cards',
    components([
      {
        type: 'carousel',
        cards: Array.from({ length: 11 }, (_, i) => ({ card_index: i % 10, components: [img({ id: '1' })] })),
      },
    ]),
    ['/templateComponents/0/cards'],
  ],
  [
    'a card button with index 2',
    components([cardComponent([img({ id: '1' }), btn('url', '2', [{ type: 'text', text: 'x' }])])]),
    ['/templateComponents/0/cards/0/components/1/index'],
  ],
  [
    'a copy_code button on a card',
    components([
      cardComponent([img({ id: '1' }), btn('copy_code', '0', [{ type: 'coupon_code', coupon_code: 'X' }])]),
    ]),
    ['/templateComponents/0/cards/0/components/1/sub_type'],
  ],
  [
    'a 161-character card body parameter',
    components([cardComponent([img({ id: '1' }), body({ type: 'text', text: s(161) })])]),
    ['/templateComponents/0/cards/0/components/1/parameters/0/text'],
  ],
  [
    'a document header on a card',
    components([
      cardComponent([{ type: 'header', parameters: [{ type: 'document', document: { id: '1' } }] }]),
    ]),
    ['/templateComponents/0/cards/0/components/0/parameters/0/type'],
  ],
  [
    'two cards with card_index 0',
    components([
      {
        type: 'carousel',
        cards: [0, 0].map((card_index) => ({ card_index, components: [img({ id: '1' })] })),
      },
    ]),
    ['/templateComponents/0/cards/1/card_index'],
  ],

  // interactive
  ['interactive without content', { type: 'interactive', phone: PHONE }, ['/content']],
  ['content that is not JSON', interactive('{"type":"button"'), ['/content']],
  ['content that is a JSON number', interactive('5'), ['/content']],
  ['content that is a number', interactive(5), ['/content']],
  ['content that is an empty string', interactive(''), ['/content']],
  [
    'simplified buttons without buttons',
    interactive(without(simpleButtons(1), 'buttons')),
    ['/content/buttons'],
  ],
  ['simplified buttons, none', interactive(simpleButtons(0)), ['/content/buttons']],
  ['simplified buttons, four', interactive(simpleButtons(4)), ['/content/buttons']],
  ['four buttons in a JSON string', interactive(JSON.stringify(simpleButtons(4))), ['/content/buttons']],
  [
    'a 21-character button title',
    interactive(simpleButtons(1, { buttons: [{ id: 'a', title: s(21) }] })),
    ['/content/buttons/0/title'],
  ],
  [
    'a 257-character button id',
    interactive(simpleButtons(1, { buttons: [{ id: s(257), title: 'A' }] })),
    ['/content/buttons/0/id'],
  ],
  [
    'duplicate button ids',
    interactive(
      simpleButtons(2, {
        buttons: [
          { id: 'a', title: 'A' },
          { id: 'a', title: 'B' },
        ],
      }),
    ),
    ['/content/buttons/1/id'],
  ],
  [
    'duplicate button titles',
    interactive(
      simpleButtons(2, {
        buttons: [
          { id: 'a', title: 'A' },
          { id: 'b', title: 'A' },
        ],
      }),
    ),
    ['/content/buttons/1/title'],
  ],
  ['a 1025-character body', interactive(simpleButtons(1, { body: s(1025) })), ['/content/body']],
  ['a 61-character header', interactive(simpleButtons(1, { header: s(61) })), ['/content/header']],
  ['a 61-character footer', interactive(simpleButtons(1, { footer: s(61) })), ['/content/footer']],
  ["interactive type 'carousel'", interactive({ type: 'carousel', body: 'x' }), ['/content/type']],
  [
    'simplified list with 11 sections',
    interactive(
      simpleList(Array.from({ length: 11 }, (_, i) => ({ title: `S${i}`, rows: rows(1, `s${i}`) }))),
    ),
    ['/content/sections'],
  ],
  [
    'simplified list with 11 rows in a section',
    interactive(simpleList([{ rows: rows(11) }])),
    ['/content/sections/0/rows'],
  ],
  [
    'simplified list with 11 rows over two sections',
    interactive(
      simpleList([
        { title: 'A', rows: rows(6, 'a') },
        { title: 'B', rows: rows(5, 'b') },
      ]),
    ),
    ['/content/sections/1/rows/4'],
  ],
  [
    'a 25-character row title',
    interactive(simpleList([{ rows: [{ id: 'a', title: s(25) }] }])),
    ['/content/sections/0/rows/0/title'],
  ],
  [
    'a 73-character row description',
    interactive(simpleList([{ rows: [{ id: 'a', title: 'A', description: s(73) }] }])),
    ['/content/sections/0/rows/0/description'],
  ],
  [
    'a 201-character row id',
    interactive(simpleList([{ rows: [{ id: s(201), title: 'A' }] }])),
    ['/content/sections/0/rows/0/id'],
  ],
  [
    'a 21-character list button',
    interactive(simpleList([{ rows: rows(1) }], { button: s(21) })),
    ['/content/button'],
  ],
  [
    'a 25-character section title',
    interactive(simpleList([{ title: s(25), rows: rows(1) }])),
    ['/content/sections/0/title'],
  ],
  [
    'two sections without titles',
    interactive(simpleList([{ rows: rows(1, 'a') }, { rows: rows(1, 'b') }])),
    ['/content/sections/0/title', '/content/sections/1/title'],
  ],
  [
    'duplicate row ids across sections',
    interactive(
      simpleList([
        { title: 'A', rows: rows(1) },
        { title: 'B', rows: rows(1) },
      ]),
    ),
    ['/content/sections/1/rows/0/id'],
  ],
  [
    'a list without button label',
    interactive(without(simpleList([{ rows: rows(1) }]), 'button')),
    ['/content/button'],
  ],
  ['a 21-character CTA label', interactive(cta({ displayText: s(21) })), ['/content/displayText']],
  ['a CTA url that is not a URL', interactive(cta({ url: 'example.com' })), ['/content/url']],
  ['Meta buttons, four', interactive(metaButtons(4)), ['/content/action/buttons']],
  [
    "Meta button type 'postback'",
    interactive({
      ...metaButtons(1),
      action: { buttons: [{ type: 'postback', reply: { id: 'a', title: 'A' } }] },
    }),
    ['/content/action/buttons/0/type'],
  ],
  [
    'a 61-character Meta header',
    interactive({ ...metaButtons(1), header: textHeader(s(61)) }),
    ['/content/header/text'],
  ],
  [
    'a Meta image header over http',
    interactive({
      ...metaButtons(1),
      header: { type: 'image', image: { link: 'http://example.com/a.jpg' } },
    }),
    ['/content/header/image/link'],
  ],
  ['Meta body without text', interactive({ ...metaButtons(1), body: {} }), ['/content/body/text']],
  ['Meta form with a string body', interactive({ ...metaButtons(1), body: 'Choose' }), ['/content/body']],
  [
    'Meta body object without action',
    interactive({ type: 'button', body: { text: 'x' } }),
    ['/content/action'],
  ],
  [
    'an image header on a Meta list',
    interactive({
      type: 'list',
      header: { type: 'image', image: { id: '1' } },
      body: { text: 'B' },
      action: { button: 'Open', sections: [{ rows: rows(1) }] },
    }),
    ['/content/header/image', '/content/header/text', '/content/header/type'],
  ],
  [
    "Meta cta_url action name 'url'",
    interactive({
      type: 'cta_url',
      body: { text: 'B' },
      action: { name: 'url', parameters: { display_text: 'Go', url: 'https://e.com' } },
    }),
    ['/content/action/name'],
  ],
  [
    'a 21-character Meta display_text',
    interactive({
      type: 'cta_url',
      body: { text: 'B' },
      action: { name: 'cta_url', parameters: { display_text: s(21), url: 'https://e.com' } },
    }),
    ['/content/action/parameters/display_text'],
  ],
  [
    'Meta list with 11 rows in total',
    interactive({
      type: 'list',
      body: { text: 'B' },
      action: {
        button: 'Open',
        sections: [
          { title: 'A', rows: rows(10, 'a') },
          { title: 'B', rows: rows(1, 'b') },
        ],
      },
    }),
    ['/content/action/sections/1/rows/0'],
  ],
  ['an unknown property in content', interactive(simpleButtons(1, { extra: true })), ['/content/extra']],

  // media
  ['image without a source', media('image', { mediaId: undefined }), ['/mediaUrl']],
  [
    'image with mediaUrl and mediaId',
    media('image', { mediaUrl: 'https://example.com/a.jpg' }),
    ['/mediaId'],
  ],
  [
    'mediaUrl over http',
    media('image', { mediaId: undefined, mediaUrl: 'http://example.com/a.jpg' }),
    ['/mediaUrl'],
  ],
  [
    'mediaUrl without scheme',
    media('image', { mediaId: undefined, mediaUrl: 'example.com/a.jpg' }),
    ['/mediaUrl'],
  ],
  [
    'mediaUrl of 2001 characters',
    media('image', { mediaId: undefined, mediaUrl: `https://example.com/${s(1981)}` }),
    ['/mediaUrl'],
  ],
  ['a 1025-character caption', media('image', { caption: s(1025) }), ['/caption']],
  ['audio with a caption', media('audio', { caption: 'x' }), ['/caption']],
  ['sticker with a caption', media('sticker', { caption: 'x' }), ['/caption']],
  ['image with a filename', media('image', { filename: 'a.jpg' }), ['/filename']],
  ['video with a filename', media('video', { filename: 'a.mp4' }), ['/filename']],
  ['a document filename with a slash', media('document', { filename: '../etc/passwd' }), ['/filename']],
  ['a mediaId with a space', media('video', { mediaId: '123 456' }), ['/mediaId']],
  ['an empty caption', media('video', { caption: '' }), ['/caption']],
  [
    'audio without source and with a caption',
    media('audio', { mediaId: undefined, caption: 'x' }),
    ['/caption', '/mediaUrl'],
  ],

  // location
  ['latitude as a string', location({ latitude: '12.97' }), ['/latitude']],
  ['latitude 91', location({ latitude: 91 }), ['/latitude']],
  ['longitude -181', location({ longitude: -181 }), ['/longitude']],
  ['no longitude', without(location(), 'longitude'), ['/longitude']],
  ['an empty location name', location({ name: '' }), ['/name']],
  ['content on a location', location({ content: 'x' }), ['/content']],
];

/** JSON never carries `undefined`: the table uses it to mean "absent". */
const asJson = (v: unknown): unknown =>
  v === undefined ? undefined : (JSON.parse(JSON.stringify(v)) as unknown);

describe('parseSendMessageRequest: invalid bodies', () => {
  it('has at least 60 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
  });

  it.each(CASES)(
    'when %s is sent, then the errors are exactly at the expected paths',
    (_name, input, paths) => {
      expect(errorPaths(asJson(input))).toEqual([...paths].sort());
    },
  );

  it.each(CASES)('when %s is sent, then every message is a non-empty sentence', (_name, input) => {
    for (const e of errorsOf(asJson(input))) expect(e.message).toMatch(/^[a-z'"].{5,}/);
  });
});

describe('parseSendMessageRequest: messages', () => {
  const messageAt = (input: unknown, path: string) =>
    errorsOf(asJson(input)).find((e) => e.path === path)?.message;

  it.each([
    [text({ content: s(4097) }), '/content', 'must be at most 4096 characters'],
    [without(text(), 'content'), '/content', "must have required property 'content'"],
    [text({ foo: 1 }), '/foo', "unknown property 'foo' for type 'text'"],
    [media('audio', { caption: 'x' }), '/caption', "unknown property 'caption' for type 'audio'"],
    [without(text(), 'phone'), '/phone', "must have required property 'phone' or 'contactId'"],
    [
      text({ contactId: UUID }),
      '/contactId',
      "cannot be combined with 'phone': give exactly one of 'phone' or 'contactId'",
    ],
    [
      text({ type: 'voice' }),
      '/type',
      "must be one of 'text', 'template', 'interactive', 'image', 'video', 'audio', 'document', 'sticker', 'location'",
    ],
    [without(text(), 'type'), '/type', "must have required property 'type'"],
    [text({ content: '' }), '/content', 'must not be empty'],
    [location({ latitude: '1' }), '/latitude', 'must be a number'],
    [location({ latitude: 91 }), '/latitude', 'must be at most 90'],
    [interactive(simpleButtons(4)), '/content/buttons', 'must have at most 3 items'],
    [
      interactive('{oops'),
      '/content',
      'must be valid JSON: send the interactive object itself, or a string holding it as valid JSON',
    ],
    [
      interactive(5),
      '/content',
      "must be an interactive object (type 'button' (reply buttons), 'list' or 'cta_url'), or a JSON string encoding one",
    ],
    [cv({ index: 10 }), '/carousel/cards/0/index', 'must be at most 9'],
    [
      template({ templateVariables: { '1': 'a\nb' } }),
      '/templateVariables/1',
      'must not contain newlines, tabs or more than four consecutive spaces',
    ],
    [
      media('image', { mediaId: undefined, mediaUrl: 'http://x.com/a.jpg' }),
      '/mediaUrl',
      'must be an https:// URL',
    ],
    [text({ phoneNumberId: 'x' }), '/phoneNumberId', 'must be a UUID'],
  ])('when the body is %j, then the message at %s is %s', (input, path, message) => {
    expect(messageAt(input, path)).toBe(message);
  });

  it('when both template forms are sent, then the message says they cannot be combined', () => {
    expect(
      messageAt(
        template({
          templateVariables: { '1': 'a' },
          templateComponents: [body({ type: 'text', text: 'a' })],
        }),
        '/templateComponents',
      ),
    ).toMatch(/cannot be combined with templateVariables/);
  });

  it('when a template variable key is unknown, then the message explains the key scheme', () => {
    expect(
      messageAt(template({ templateVariables: { foo_: 'x', header_x: 'y' } }), '/templateVariables/header_x'),
    ).toMatch(/'header_x' is not a template variable key; use '1', '2'.*'c\{card\}_\{slot\}'/);
  });

  it('when a wrong field is on a text message, then only the text branch is reported', () => {
    const errors = errorsOf(text({ mediaUrl: 'https://example.com/a.jpg', templateName: 'x' }));
    expect(errors.map((e) => e.path).sort()).toEqual(['/mediaUrl', '/templateName']);
    expect(errors.every((e) => e.message.includes("for type 'text'"))).toBe(true);
  });

  it('when a property name contains / or ~, then the path escapes it as a JSON pointer', () => {
    expect(errorPaths(text({ 'a/b~c': 1 }))).toEqual(['/a~1b~0c']);
  });

  it('when an array has hundreds of invalid items, then at most 100 errors are reported', () => {
    const r = errorsOf(
      template({
        templateVariables: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`${i + 1}`, ''])),
      }),
    );
    expect(r.length).toBeLessThanOrEqual(100);
    expect(r.length).toBeGreaterThan(0);
  });
});
