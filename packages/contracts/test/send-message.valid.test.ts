import fc from 'fast-check';
import { compile, parseSendMessageRequest } from '../src/validator';
import {
  SEND_MESSAGE_EXAMPLES,
  SEND_MESSAGE_TYPES,
  SendMessageRequestSchema,
  type SendMessageRequest,
} from '../src/messages';
import {
  cta,
  interactive,
  location,
  media,
  metaButtons,
  PHONE,
  rows,
  simpleButtons,
  simpleList,
  template,
  text,
  UUID,
} from './fixtures';

function parsed(body: unknown): SendMessageRequest {
  const r = parseSendMessageRequest(body);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(body)} to parse, got ${JSON.stringify(r.errors)}`);
  return r.value;
}

const deepFreeze = <T>(v: T): T => {
  if (typeof v === 'object' && v !== null) {
    Object.values(v).forEach(deepFreeze);
    Object.freeze(v);
  }
  return v;
};

describe('parseSendMessageRequest: valid bodies', () => {
  it.each(Object.entries(SEND_MESSAGE_EXAMPLES))(
    'when the example %s is sent, then it parses',
    (_name, example) => {
      expect(parseSendMessageRequest(example.value).ok).toBe(true);
    },
  );

  it('when the examples are counted by type, then every send type has one', () => {
    const covered = new Set(Object.values(SEND_MESSAGE_EXAMPLES).map((e) => e.value.type));
    expect([...covered].sort()).toEqual([...SEND_MESSAGE_TYPES].sort());
  });

  it.each([
    ['text', text({ previewUrl: false })],
    ['text to a contact', { type: 'text', contactId: UUID, content: 'Hi' }],
    ['text with phoneNumberId', text({ phoneNumberId: UUID })],
    ['template without variables', template()],
    [
      'template with every key kind',
      template({
        templateVariables: {
          '1': 'Ana',
          first_name: 'Ana',
          header_text: 'Hi',
          header_media: '1013859600285441',
          header_filename: 'a.pdf',
          button_0: 'x',
          c0_1: 'Villa',
          c0_price: '1.2M',
          c0_header: 'https://example.com/a.jpg',
          c0_button_1: 'slug',
        },
      }),
    ],
    [
      'template with bodyParameters',
      template({ templateVariables: { '1': 'a' }, bodyParameters: { '1': 'b' } }),
    ],
    ['template param with four spaces', template({ templateVariables: { '1': 'a    b' } })],
    [
      'template with every button sub_type',
      template({
        templateComponents: [
          {
            type: 'button',
            sub_type: 'quick_reply',
            index: 0,
            parameters: [{ type: 'payload', payload: 'p' }],
          },
          { type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: 'x' }] },
          {
            type: 'button',
            sub_type: 'copy_code',
            index: '2',
            parameters: [{ type: 'coupon_code', coupon_code: 'SAVE25' }],
          },
          {
            type: 'button',
            sub_type: 'flow',
            index: '3',
            parameters: [{ type: 'action', action: { flow_token: 't', flow_action_data: { a: 1 } } }],
          },
          {
            type: 'button',
            sub_type: 'catalog',
            index: '4',
            parameters: [{ type: 'action', action: { thumbnail_product_retailer_id: 'sku' } }],
          },
        ],
      }),
    ],
    [
      'template with a location header and named body params',
      template({
        templateComponents: [
          {
            type: 'header',
            parameters: [
              { type: 'location', location: { latitude: 1, longitude: 2, name: 'n', address: 'a' } },
            ],
          },
          { type: 'body', parameters: [{ type: 'text', text: 'Ana', parameter_name: 'first_name' }] },
        ],
      }),
    ],
    [
      'template with a carousel component',
      template({
        templateComponents: [
          { type: 'body', parameters: [{ type: 'text', text: 'Ana' }] },
          {
            type: 'carousel',
            cards: [0, 1].map((i) => ({
              card_index: i,
              components: [
                { type: 'header', parameters: [{ type: 'image', image: { id: '111' } }] },
                { type: 'body', parameters: [{ type: 'text', text: '$12.99' }] },
                {
                  type: 'button',
                  sub_type: 'quick_reply',
                  index: '0',
                  parameters: [{ type: 'payload', payload: `more-${i}` }],
                },
                {
                  type: 'button',
                  sub_type: 'url',
                  index: '1',
                  parameters: [{ type: 'text', text: `sku-${i}` }],
                },
              ],
            })),
          },
        ],
      }),
    ],
    ['simple buttons', interactive(simpleButtons(3, { header: 'H', footer: 'F' }))],
    [
      'simple list over several sections',
      interactive(
        simpleList([
          { title: 'A', rows: rows(5, 'a') },
          { title: 'B', rows: rows(5, 'b') },
        ]),
      ),
    ],
    ['simple list, one untitled section', interactive(simpleList([{ rows: rows(2) }]))],
    ['simple cta_url', interactive(cta({ header: 'H', footer: 'F' }))],
    ['meta buttons', interactive(metaButtons(1))],
    [
      'meta buttons with a document header',
      interactive({
        ...metaButtons(2),
        header: { type: 'document', document: { link: 'https://example.com/a.pdf', filename: 'a.pdf' } },
      }),
    ],
    [
      'meta list',
      interactive({
        type: 'list',
        header: { type: 'text', text: 'H' },
        body: { text: 'B' },
        action: { button: 'Open', sections: [{ rows: rows(10) }] },
      }),
    ],
    [
      'meta cta_url',
      interactive({
        type: 'cta_url',
        header: { type: 'image', image: { id: '1' } },
        body: { text: 'B' },
        action: { name: 'cta_url', parameters: { display_text: 'Go', url: 'http://example.com' } },
      }),
    ],
    [
      'image by link',
      media('image', { mediaId: undefined, mediaUrl: 'https://example.com/a.jpg?x=1', caption: 'c' }),
    ],
    ['document with filename', media('document', { filename: 'report 2026.pdf', caption: 'c' })],
    ['audio', media('audio')],
    ['sticker', media('sticker')],
    ['video', media('video', { caption: 'c' })],
    ['location at the edges', location({ latitude: -90, longitude: 180 })],
    ['location with name and address', location({ name: 'Office', address: 'MG Road' })],
  ])('when %s is sent, then it parses', (_name, body) => {
    // `undefined` values stand for "absent" in the table; JSON never carries them.
    const clean: unknown = JSON.parse(JSON.stringify(body));
    expect(parseSendMessageRequest(clean)).toEqual(expect.objectContaining({ ok: true }));
  });
});

describe('parseSendMessageRequest: normalisation', () => {
  it("when phone is '+91 98765-43210', then it becomes '919876543210'", () => {
    expect(parsed(text({ phone: '+91 98765-43210' })).phone).toBe('919876543210');
  });

  it('when phone has dashes and spaces in several places, then only digits remain', () => {
    expect(parsed(text({ phone: '+1 650-555 1234' })).phone).toBe('16505551234');
  });

  it('when the recipient is a contact, then no phone key appears', () => {
    expect(parsed({ type: 'text', contactId: UUID, content: 'x' })).not.toHaveProperty('phone');
  });

  it("when interactive content is the seed's JSON string, then it becomes Meta's interactive object", () => {
    const r = parsed(interactive('{"type":"button","body":"Choose","buttons":[{"id":"a","title":"A"}]}'));
    expect(r).toEqual({
      type: 'interactive',
      phone: PHONE,
      content: {
        type: 'button',
        body: { text: 'Choose' },
        action: { buttons: [{ type: 'reply', reply: { id: 'a', title: 'A' } }] },
      },
    });
  });

  it("when simplified buttons carry header and footer, then they become Meta's text header and footer", () => {
    const r = parsed(interactive(simpleButtons(1, { header: 'Head', footer: 'Foot' })));
    expect(r.type === 'interactive' && r.content).toEqual({
      type: 'button',
      header: { type: 'text', text: 'Head' },
      body: { text: 'Choose' },
      footer: { text: 'Foot' },
      action: { buttons: [{ type: 'reply', reply: { id: 'b0', title: 'Option 0' } }] },
    });
  });

  it("when a simplified list is sent, then it becomes Meta's list", () => {
    const r = parsed(
      interactive(simpleList([{ title: 'S', rows: [{ id: 'x', title: 'X', description: 'd' }] }])),
    );
    expect(r.type === 'interactive' && r.content).toEqual({
      type: 'list',
      body: { text: 'Pick one' },
      action: {
        button: 'Open',
        sections: [{ title: 'S', rows: [{ id: 'x', title: 'X', description: 'd' }] }],
      },
    });
  });

  it("when a simplified cta_url is sent, then it becomes Meta's cta_url", () => {
    const r = parsed(interactive(cta()));
    expect(r.type === 'interactive' && r.content).toEqual({
      type: 'cta_url',
      body: { text: 'Tap below' },
      action: { name: 'cta_url', parameters: { display_text: 'Open', url: 'https://example.com/x' } },
    });
  });

  it("when Meta's own object is sent (as object or JSON string), then it is kept as is", () => {
    const meta = metaButtons(2);
    expect(parsed(interactive(meta))).toEqual({ type: 'interactive', phone: PHONE, content: meta });
    expect(parsed(interactive(JSON.stringify(meta)))).toEqual({
      type: 'interactive',
      phone: PHONE,
      content: meta,
    });
  });

  it('when every example is parsed, then the result matches the normalised schema', () => {
    const check = compile(SendMessageRequestSchema);
    for (const ex of Object.values(SEND_MESSAGE_EXAMPLES))
      expect(check(parsed(ex.value))).toEqual(expect.objectContaining({ ok: true }));
  });

  it('when the input is deeply frozen, then parsing neither throws nor changes it', () => {
    const body = deepFreeze(
      interactive('{"type":"button","body":"x","buttons":[{"id":"a","title":"A"}]}', {
        phone: '+91 98765 43210',
      }),
    );
    const before = JSON.stringify(body);
    expect(parseSendMessageRequest(body).ok).toBe(true);
    expect(JSON.stringify(body)).toBe(before);
  });
});

describe('parseSendMessageRequest: arbitrary input', () => {
  const examples = Object.values(SEND_MESSAGE_EXAMPLES).map((e) => e.value as Record<string, unknown>);

  it('when given any JSON value, then it never throws and every error has a JSON-pointer path and a message', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const r = parseSendMessageRequest(value);
        if (!r.ok) for (const e of r.errors) expect(e.path === '' || e.path.startsWith('/')).toBe(true);
        if (!r.ok) for (const e of r.errors) expect(e.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });

  it('when a valid example has one property replaced by a random JSON value, then parsing never throws', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...examples),
        fc.string({ maxLength: 12 }),
        fc.jsonValue(),
        (example, key, value) => {
          const keys = Object.keys(example);
          const target = keys.includes(key) ? key : (keys[key.length % keys.length] ?? 'type');
          const r = parseSendMessageRequest({ ...example, [target]: value });
          expect(typeof r.ok).toBe('boolean');
        },
      ),
      { numRuns: 500 },
    );
  });

  it('when strings are very long, then validation stays fast (no catastrophic regex backtracking)', () => {
    const long = ' '.repeat(100_000);
    const started = Date.now();
    parseSendMessageRequest(text({ phone: `+1${long}x` }));
    parseSendMessageRequest(
      media('image', { mediaId: undefined, mediaUrl: `https://${'a'.repeat(100_000)}!` }),
    );
    parseSendMessageRequest(template({ templateVariables: { '1': `a${long}` } }));
    parseSendMessageRequest(interactive(`{"type":"button","body":"${'x'.repeat(30_000)}`));
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
