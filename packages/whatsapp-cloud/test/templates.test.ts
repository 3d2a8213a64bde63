import { UnprocessableError } from '@flowgate/errors';
import type { TemplateComponent } from '@flowgate/contracts';
import {
  buildTemplateObject,
  deriveTemplateVariables,
  selectTemplate,
  validateTemplateDefinition,
  type StoredTemplate,
  type TemplateSendRequest,
} from '../src/templates';

// ---------------------------------------------------------------------------------------------
// Fixtures: templates as Meta's template management API returns them
// ---------------------------------------------------------------------------------------------

function stored(name: string, components: unknown[], over: Partial<StoredTemplate> = {}): StoredTemplate {
  return {
    id: `tpl-${name}-${over.language ?? 'en_US'}`,
    name,
    language: 'en_US',
    category: 'UTILITY',
    status: 'APPROVED',
    components,
    variables: deriveTemplateVariables(components),
    ...over,
  };
}

const orderConfirmation = stored(
  'order_confirmation',
  [
    { type: 'BODY', text: 'Hi {{1}}, your order {{2}} will arrive {{3}}.' },
    { type: 'FOOTER', text: 'Thanks for shopping' },
  ],
  { language: 'en' },
);

const paymentThankYou = stored('payment_thank_you', [
  { type: 'HEADER', format: 'TEXT', text: 'Payment received' },
  { type: 'BODY', text: 'Dear {{1}}, we received {{2}} against invoice {{3}}. Thank you, {{4}}.' },
]);

const orderShipped = stored('order_shipped', [
  { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['4::aW1hZ2U='] } },
  { type: 'BODY', text: 'Your order {{1}} has shipped.' },
  {
    type: 'BUTTONS',
    buttons: [
      { type: 'QUICK_REPLY', text: 'Stop updates' },
      { type: 'URL', text: 'Track', url: 'https://shop.example.com/track/{{1}}' },
      { type: 'PHONE_NUMBER', text: 'Call us', phone_number: '+15550001111' },
    ],
  },
]);

const textHeader = stored('welcome_named_header', [
  { type: 'HEADER', format: 'TEXT', text: 'Hello {{1}}' },
  { type: 'BODY', text: 'Your code is {{1}}.' },
]);

const coupon = stored(
  'summer_sale',
  [
    { type: 'BODY', text: 'Use the code below for {{1}} off.' },
    {
      type: 'BUTTONS',
      buttons: [
        { type: 'COPY_CODE', example: 'SAVE25' },
        { type: 'URL', text: 'Shop', url: 'https://shop.example.com' },
      ],
    },
  ],
  { category: 'MARKETING' },
);

const named = stored('named_greeting', [
  { type: 'BODY', text: 'Hi {{first_name}}, your balance is {{balance}}.' },
]);

const otp = stored(
  'login_code',
  [
    { type: 'BODY', text: '*{{1}}* is your verification code.' },
    { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: 'Copy code' }] },
  ],
  { category: 'AUTHENTICATION' },
);

const staticTemplate = stored('hello_world', [{ type: 'BODY', text: 'Hello World' }]);

const card = (n: number) => ({
  components: [
    { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['4::aW1n'] } },
    { type: 'BODY', text: `Villa ${n}: {{1}}` },
    {
      type: 'BUTTONS',
      buttons: [
        { type: 'QUICK_REPLY', text: 'Interested' },
        { type: 'URL', text: 'View', url: 'https://homes.example.com/listing/{{1}}' },
      ],
    },
  ],
});

const carousel = stored(
  'villa_carousel',
  [
    { type: 'BODY', text: 'Hi {{1}}, here are this week’s villas.' },
    { type: 'CAROUSEL', cards: [card(1), card(2)] },
  ],
  { category: 'MARKETING' },
);

const simple = (over: Partial<TemplateSendRequest>): TemplateSendRequest => ({
  type: 'template',
  templateName: 'x',
  ...over,
});

/** Runs fn, expects an UnprocessableError and returns it. */
function catchUnprocessable(fn: () => unknown): UnprocessableError {
  try {
    fn();
  } catch (err) {
    if (err instanceof UnprocessableError) return err;
    throw err;
  }
  throw new Error('expected an UnprocessableError');
}

// ---------------------------------------------------------------------------------------------

describe('deriveTemplateVariables', () => {
  it.each([
    ['body placeholders', orderConfirmation, ['1', '2', '3']],
    ['four body placeholders, static text header', paymentThankYou, ['1', '2', '3', '4']],
    [
      'image header, body, dynamic URL button (quick reply and phone need nothing)',
      orderShipped,
      ['1', 'header_media', 'button_1'],
    ],
    ['text header placeholder', textHeader, ['1', 'header_text']],
    ['copy-code button (static URL needs nothing)', coupon, ['1', 'button_0']],
    ['named placeholders', named, ['first_name', 'balance']],
    ['authentication: the OTP button reuses body {{1}}', otp, ['1']],
    ['no placeholders', staticTemplate, []],
    [
      'carousel: bubble body, then per card body, header, url button',
      carousel,
      ['1', 'c0_1', 'c0_header', 'c0_button_1', 'c1_1', 'c1_header', 'c1_button_1'],
    ],
  ])('%s', (_label, template, expected) => {
    expect(deriveTemplateVariables(template.components)).toEqual(expected);
  });

  it('orders numbered placeholders numerically and lists a repeated one once', () => {
    expect(
      deriveTemplateVariables([
        { type: 'BODY', text: '{{10}} {{2}} {{1}} {{2}} {{3}} {{4}} {{5}} {{6}} {{7}} {{8}} {{9}}' },
      ]),
    ).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
  });

  it('reads a DOCUMENT header like other media (its file name is optional)', () => {
    expect(
      deriveTemplateVariables([
        { type: 'HEADER', format: 'DOCUMENT' },
        { type: 'BODY', text: 'Invoice' },
      ]),
    ).toEqual(['header_media']);
  });
});

describe('selectTemplate', () => {
  const enUS = stored('promo', [{ type: 'BODY', text: 'Hi' }], { language: 'en_US' });
  const enGB = stored('promo', [{ type: 'BODY', text: 'Hi' }], { language: 'en_GB' });
  const en = stored('promo', [{ type: 'BODY', text: 'Hi' }], { language: 'en' });
  const es = stored('promo', [{ type: 'BODY', text: 'Hola' }], { language: 'es' });
  const pending = stored('promo', [{ type: 'BODY', text: 'Hi' }], { language: 'fr', status: 'PENDING' });

  it('an exact language match wins over a regional one', () => {
    expect(selectTemplate([enUS, en, enGB], 'promo', 'en')).toBe(en);
    expect(selectTemplate([enUS, en, enGB], 'promo', 'en_GB')).toBe(enGB);
  });

  it('`en` matches a stored en_US when it is the one candidate with that base language', () => {
    expect(selectTemplate([enUS, es], 'promo', 'en')).toBe(enUS);
  });

  it('tolerates en-US / en_us spellings of an exact locale', () => {
    expect(selectTemplate([enUS, enGB], 'promo', 'en-US')).toBe(enUS);
    expect(selectTemplate([enUS, enGB], 'promo', 'en_us')).toBe(enUS);
  });

  it('`en` with several en_* and no exact en is ambiguous, and the details list them', () => {
    const err = catchUnprocessable(() => selectTemplate([enUS, enGB, es], 'promo', 'en'));
    expect(err.code).toBe('TEMPLATE_LANGUAGE_AMBIGUOUS');
    expect(err.details).toEqual([
      { path: '/templateLanguage', message: '"en" matches en_GB, en_US; pass one of them' },
    ]);
  });

  it('no language and several candidates is ambiguous; one candidate is used', () => {
    expect(catchUnprocessable(() => selectTemplate([enUS, es], 'promo')).code).toBe(
      'TEMPLATE_LANGUAGE_AMBIGUOUS',
    );
    expect(selectTemplate([es], 'promo')).toBe(es);
  });

  it('not found: no candidate at all, or none in that language (a region never falls back)', () => {
    const none = catchUnprocessable(() => selectTemplate([], 'promo', 'en'));
    expect(none.code).toBe('TEMPLATE_NOT_FOUND');
    expect(none.details?.[0]?.path).toBe('/templateName');
    const noLang = catchUnprocessable(() => selectTemplate([enUS, es], 'promo', 'de'));
    expect(noLang.code).toBe('TEMPLATE_NOT_FOUND');
    expect(noLang.details).toEqual([
      { path: '/templateLanguage', message: 'no "de" version; available: en_US, es' },
    ]);
    expect(catchUnprocessable(() => selectTemplate([en], 'promo', 'en_US')).code).toBe('TEMPLATE_NOT_FOUND');
    expect(catchUnprocessable(() => selectTemplate([enUS], 'other', 'en_US')).code).toBe(
      'TEMPLATE_NOT_FOUND',
    );
  });

  it('a matching template that is not APPROVED is refused', () => {
    const err = catchUnprocessable(() => selectTemplate([enUS, pending], 'promo', 'fr'));
    expect(err.code).toBe('TEMPLATE_NOT_APPROVED');
    expect(err.details).toEqual([
      { path: '/templateName', message: 'template status is PENDING, not APPROVED' },
    ]);
  });
});

describe('buildTemplateObject: simple form', () => {
  it('the seed order_confirmation: body parameters in order, stored language code', () => {
    const request = simple({
      templateName: 'order_confirmation',
      templateLanguage: 'en',
      templateVariables: { '1': 'Jane', '2': 'ORD-9921', '3': 'Tomorrow 5pm' },
    });
    expect(buildTemplateObject(orderConfirmation, request)).toEqual({
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
    });
  });

  it('numbered keys are ordered numerically, not by key order', () => {
    const request = simple({ templateVariables: { '3': 'c', '1': 'a', '2': 'b' } });
    const body = buildTemplateObject(orderConfirmation, request).components?.[0];
    expect(body).toEqual({
      type: 'body',
      parameters: [
        { type: 'text', text: 'a' },
        { type: 'text', text: 'b' },
        { type: 'text', text: 'c' },
      ],
    });
  });

  it('missing and unexpected keys are reported together in one error', () => {
    const err = catchUnprocessable(() =>
      buildTemplateObject(
        orderConfirmation,
        simple({ templateVariables: { '1': 'Jane', '3': 'x', '7': 'y', nickname: 'J' } }),
      ),
    );
    expect(err.code).toBe('TEMPLATE_PARAMS_MISMATCH');
    expect(err.details).toEqual([
      { path: '/templateVariables/2', message: 'missing: the template declares {{2}} in its body' },
      { path: '/templateVariables/7', message: 'unexpected: the template has no {{7}}' },
      { path: '/templateVariables/nickname', message: 'unexpected: the template has no {{nickname}}' },
    ]);
    expect(err.message).toMatch(/1 missing, 2 unexpected/);
  });

  it('a template without placeholders takes no variables and sends no components', () => {
    expect(buildTemplateObject(staticTemplate, simple({}))).toEqual({
      name: 'hello_world',
      language: { code: 'en_US' },
    });
    const err = catchUnprocessable(() =>
      buildTemplateObject(staticTemplate, simple({ templateVariables: { '1': 'x' } })),
    );
    expect(err.details?.map((d) => d.path)).toEqual(['/templateVariables/1']);
  });

  it.each([
    ['empty', '', 'must not be empty'],
    ['blank', '   ', 'must not be empty'],
    ['newline', 'line\nbreak', 'must not contain a newline'],
    ['carriage return', 'line\rbreak', 'must not contain a newline'],
    ['tab', 'a\tb', 'must not contain a tab'],
    ['five spaces', 'a     b', 'must not contain more than 4 consecutive spaces'],
  ])('parameter text rule: %s is refused and the detail names the key', (_label, value, rule) => {
    const err = catchUnprocessable(() =>
      buildTemplateObject(
        orderConfirmation,
        simple({ templateVariables: { '1': 'Jane', '2': value, '3': 'ok' } }),
      ),
    );
    expect(err.code).toBe('TEMPLATE_PARAMS_MISMATCH');
    expect(err.details).toEqual([{ path: '/templateVariables/2', message: `invalid: "2" ${rule}` }]);
  });

  it('four consecutive spaces are allowed', () => {
    expect(() =>
      buildTemplateObject(
        orderConfirmation,
        simple({ templateVariables: { '1': 'a    b', '2': 'x', '3': 'y' } }),
      ),
    ).not.toThrow();
  });

  it('bodyParameters override main-bubble slots given in templateVariables', () => {
    const result = buildTemplateObject(
      orderConfirmation,
      simple({ templateVariables: { '1': 'Jane', '2': 'old', '3': 'x' }, bodyParameters: { '2': 'ORD-1' } }),
    );
    expect(result.components).toEqual([
      {
        type: 'body',
        parameters: [
          { type: 'text', text: 'Jane' },
          { type: 'text', text: 'ORD-1' },
          { type: 'text', text: 'x' },
        ],
      },
    ]);
    const err = catchUnprocessable(() =>
      buildTemplateObject(
        orderConfirmation,
        simple({ templateVariables: { '1': 'a', '2': 'b', '3': 'c' }, bodyParameters: { '9': 'z' } }),
      ),
    );
    expect(err.details).toEqual([
      { path: '/bodyParameters/9', message: 'unexpected: the template body has no {{9}}' },
    ]);
  });

  it('image header (media id or https link) and dynamic URL button', () => {
    const byId = buildTemplateObject(
      orderShipped,
      simple({ templateVariables: { header_media: '1013859600285441', '1': 'ORD-1', button_1: 'ORD-1' } }),
    );
    expect(byId).toEqual({
      name: 'order_shipped',
      language: { code: 'en_US' },
      components: [
        { type: 'header', parameters: [{ type: 'image', image: { id: '1013859600285441' } }] },
        { type: 'body', parameters: [{ type: 'text', text: 'ORD-1' }] },
        { type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: 'ORD-1' }] },
      ],
    });
    const byLink = buildTemplateObject(
      orderShipped,
      simple({
        templateVariables: {
          header_media: 'https://cdn.example.com/box.png',
          '1': 'ORD-1',
          button_1: 'ORD-1',
        },
      }),
    );
    expect(byLink.components?.[0]).toEqual({
      type: 'header',
      parameters: [{ type: 'image', image: { link: 'https://cdn.example.com/box.png' } }],
    });
  });

  it('a media header is required; an http link is refused; a quick-reply payload is optional', () => {
    const missing = catchUnprocessable(() =>
      buildTemplateObject(orderShipped, simple({ templateVariables: { '1': 'a', button_1: 'b' } })),
    );
    expect(missing.details).toEqual([
      {
        path: '/templateVariables/header_media',
        message: 'missing: the template declares an IMAGE header (a media id or an https link)',
      },
    ]);
    const http = catchUnprocessable(() =>
      buildTemplateObject(
        orderShipped,
        simple({ templateVariables: { header_media: 'http://x.example/a.png', '1': 'a', button_1: 'b' } }),
      ),
    );
    expect(http.details).toEqual([
      { path: '/templateVariables/header_media', message: 'invalid: "header_media" links must use https' },
    ]);
    const withPayload = buildTemplateObject(
      orderShipped,
      simple({ templateVariables: { header_media: '123', '1': 'a', button_1: 'b', button_0: 'STOP-1' } }),
    );
    expect(withPayload.components).toContainEqual({
      type: 'button',
      sub_type: 'quick_reply',
      index: '0',
      parameters: [{ type: 'payload', payload: 'STOP-1' }],
    });
    const phone = catchUnprocessable(() =>
      buildTemplateObject(
        orderShipped,
        simple({ templateVariables: { header_media: '123', '1': 'a', button_1: 'b', button_2: 'x' } }),
      ),
    );
    expect(phone.details).toEqual([
      {
        path: '/templateVariables/button_2',
        message: 'unexpected: the template has no button 2 that takes a value',
      },
    ]);
  });

  it('a URL suffix must not contain spaces', () => {
    const err = catchUnprocessable(() =>
      buildTemplateObject(
        orderShipped,
        simple({ templateVariables: { header_media: '1', '1': 'a', button_1: 'ORD 1' } }),
      ),
    );
    expect(err.details).toEqual([
      {
        path: '/templateVariables/button_1',
        message: 'invalid: "button_1" is a URL suffix and must not contain spaces',
      },
    ]);
  });

  it('DOCUMENT header with an optional file name', () => {
    const invoice = stored('invoice', [
      { type: 'HEADER', format: 'DOCUMENT' },
      { type: 'BODY', text: 'Invoice {{1}}' },
    ]);
    expect(
      buildTemplateObject(
        invoice,
        simple({
          templateVariables: {
            header_media: 'https://cdn.example.com/i.pdf',
            header_filename: 'i.pdf',
            '1': 'INV-1',
          },
        }),
      ).components,
    ).toEqual([
      {
        type: 'header',
        parameters: [
          { type: 'document', document: { link: 'https://cdn.example.com/i.pdf', filename: 'i.pdf' } },
        ],
      },
      { type: 'body', parameters: [{ type: 'text', text: 'INV-1' }] },
    ]);
    const err = catchUnprocessable(() =>
      buildTemplateObject(
        orderShipped,
        simple({
          templateVariables: { header_media: '1', header_filename: 'a.pdf', '1': 'a', button_1: 'b' },
        }),
      ),
    );
    expect(err.details).toEqual([
      {
        path: '/templateVariables/header_filename',
        message: 'unexpected: the template has no DOCUMENT header',
      },
    ]);
  });

  it('a LOCATION header cannot be filled by templateVariables: the error points at the advanced form', () => {
    const venue = stored('venue', [
      { type: 'HEADER', format: 'LOCATION' },
      { type: 'BODY', text: 'See you at {{1}}' },
    ]);
    expect(venue.variables).toEqual(['1']);
    const err = catchUnprocessable(() =>
      buildTemplateObject(venue, simple({ templateVariables: { '1': 'noon' } })),
    );
    expect(err.details).toEqual([
      {
        path: '/templateVariables',
        message:
          'missing: the template has a LOCATION header, which templateVariables cannot fill; send templateComponents (advanced form) with a location header parameter',
      },
    ]);
    const components: TemplateComponent[] = [
      {
        type: 'header',
        parameters: [
          { type: 'location', location: { latitude: 1, longitude: 2, name: 'Hall', address: 'Main St' } },
        ],
      },
      { type: 'body', parameters: [{ type: 'text', text: 'noon' }] },
    ];
    expect(buildTemplateObject(venue, simple({ templateComponents: components })).components).toEqual(
      components,
    );
  });

  it('text header placeholder', () => {
    expect(
      buildTemplateObject(textHeader, simple({ templateVariables: { header_text: 'Ana', '1': '9921' } }))
        .components,
    ).toEqual([
      { type: 'header', parameters: [{ type: 'text', text: 'Ana' }] },
      { type: 'body', parameters: [{ type: 'text', text: '9921' }] },
    ]);
  });

  it('copy-code button takes a coupon code of at most 15 characters', () => {
    expect(
      buildTemplateObject(coupon, simple({ templateVariables: { '1': '25%', button_0: 'SAVE25' } }))
        .components,
    ).toEqual([
      { type: 'body', parameters: [{ type: 'text', text: '25%' }] },
      {
        type: 'button',
        sub_type: 'copy_code',
        index: '0',
        parameters: [{ type: 'coupon_code', coupon_code: 'SAVE25' }],
      },
    ]);
    const err = catchUnprocessable(() =>
      buildTemplateObject(coupon, simple({ templateVariables: { '1': '25%', button_0: 'A'.repeat(16) } })),
    );
    expect(err.details?.[0]).toMatchObject({ path: '/templateVariables/button_0' });
  });

  it('named templates send parameter_name', () => {
    expect(
      buildTemplateObject(named, simple({ templateVariables: { balance: '$10', first_name: 'Ana' } }))
        .components,
    ).toEqual([
      {
        type: 'body',
        parameters: [
          { type: 'text', parameter_name: 'first_name', text: 'Ana' },
          { type: 'text', parameter_name: 'balance', text: '$10' },
        ],
      },
    ]);
  });

  it('authentication templates: the OTP button carries the body code', () => {
    expect(buildTemplateObject(otp, simple({ templateVariables: { '1': '482913' } })).components).toEqual([
      { type: 'body', parameters: [{ type: 'text', text: '482913' }] },
      { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '482913' }] },
    ]);
  });

  it('a body that would exceed 1024 characters once filled in is refused', () => {
    const err = catchUnprocessable(() =>
      buildTemplateObject(
        orderConfirmation,
        simple({ templateVariables: { '1': 'a'.repeat(600), '2': 'b'.repeat(600), '3': 'c' } }),
      ),
    );
    expect(err.details?.[0]).toMatchObject({ path: '/templateVariables' });
  });
});

describe('buildTemplateObject: carousel', () => {
  const expectedCarousel = {
    name: 'villa_carousel',
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
              { type: 'body', parameters: [{ type: 'text', text: 'Dubai' }] },
              {
                type: 'button',
                sub_type: 'url',
                index: '1',
                parameters: [{ type: 'text', text: 'villa-a' }],
              },
            ],
          },
          {
            card_index: 1,
            components: [
              {
                type: 'header',
                parameters: [{ type: 'image', image: { link: 'https://cdn.example.com/b.jpg' } }],
              },
              { type: 'body', parameters: [{ type: 'text', text: 'Abu Dhabi' }] },
              {
                type: 'button',
                sub_type: 'url',
                index: '1',
                parameters: [{ type: 'text', text: 'villa-b' }],
              },
            ],
          },
        ],
      },
    ],
  };

  it('flat c{card}_{slot} keys', () => {
    const request = simple({
      templateVariables: {
        '1': 'Ana',
        c0_header: '111',
        c0_1: 'Dubai',
        c0_button_1: 'villa-a',
        c1_header: 'https://cdn.example.com/b.jpg',
        c1_1: 'Abu Dhabi',
        c1_button_1: 'villa-b',
      },
    });
    expect(buildTemplateObject(carousel, request)).toEqual(expectedCarousel);
  });

  it('structured carousel.cards (the seed shape) gives the same body', () => {
    const request = simple({
      templateVariables: { '1': 'Ana' },
      carousel: {
        cards: [
          {
            index: 1,
            bodyValues: { city: 'Abu Dhabi' },
            buttonValues: [{ index: 1, sub_type: 'url', parameters: { type: 'text', text: 'villa-b' } }],
            header: { format: 'image', link: 'https://cdn.example.com/b.jpg' },
          },
          {
            index: 0,
            bodyValues: { '1': 'Dubai' },
            buttonValues: [{ index: 1, sub_type: 'url', parameters: { type: 'text', text: 'villa-a' } }],
            header: { format: 'image', id: '111' },
          },
        ],
      },
    });
    expect(buildTemplateObject(carousel, request)).toEqual(expectedCarousel);
  });

  it('the card count must equal the template’s; missing card slots are listed', () => {
    const err = catchUnprocessable(() =>
      buildTemplateObject(
        carousel,
        simple({
          templateVariables: { '1': 'Ana' },
          carousel: {
            cards: [
              {
                index: 0,
                bodyValues: { '1': 'Dubai' },
                buttonValues: [{ index: 1, sub_type: 'url', parameters: { type: 'text', text: 'a' } }],
                header: { format: 'image', id: '1' },
              },
            ],
          },
        }),
      ),
    );
    expect(err.code).toBe('TEMPLATE_PARAMS_MISMATCH');
    expect(err.details?.[0]).toEqual({
      path: '/carousel/cards',
      message: 'the template has 2 carousel cards; the request fills 1 (card 0); they must be equal',
    });
    expect(err.details?.slice(1).map((d) => d.path)).toEqual([
      '/templateVariables/c1_1',
      '/templateVariables/c1_header',
      '/templateVariables/c1_button_1',
    ]);
  });

  it('unknown cards, wrong header format and wrong button sub_type are reported', () => {
    const err = catchUnprocessable(() =>
      buildTemplateObject(
        carousel,
        simple({
          templateVariables: {
            '1': 'Ana',
            c0_1: 'a',
            c0_button_1: 'a',
            c1_1: 'b',
            c1_button_1: 'b',
            c1_header: '2',
            c2_1: 'z',
          },
          carousel: {
            cards: [
              {
                index: 0,
                header: { format: 'video', id: '1' },
                buttonValues: [{ index: 0, sub_type: 'url', parameters: { type: 'text', text: 'x' } }],
              },
              { index: 1 },
            ],
          },
        }),
      ),
    );
    expect(err.details).toEqual([
      {
        path: '/carousel/cards/0/buttonValues/0/sub_type',
        message: 'invalid: card 0 button 0 is QUICK_REPLY; sub_type must be "quick_reply"',
      },
      {
        path: '/carousel/cards',
        message: 'the template has 2 carousel cards; the request fills 3 (cards 0, 1, 2); they must be equal',
      },
      { path: '/carousel/cards/0/header', message: "invalid: the template's header is IMAGE, not VIDEO" },
      { path: '/templateVariables/c2_1', message: 'unexpected: the template has no card 2 (it has 2)' },
    ]);
  });

  it('a quick-reply payload on one card needs one on every card (cards carry the same components)', () => {
    const base = {
      '1': 'Ana',
      c0_header: '1',
      c0_1: 'a',
      c0_button_1: 'x',
      c1_header: '2',
      c1_1: 'b',
      c1_button_1: 'y',
    };
    const err = catchUnprocessable(() =>
      buildTemplateObject(carousel, simple({ templateVariables: { ...base, c0_button_0: 'more-0' } })),
    );
    expect(err.details).toEqual([
      {
        path: '/templateVariables/c1_button_0',
        message:
          'missing: c0_button_0 gives a quick-reply payload for button 0, so every card must (cards must have the same components)',
      },
    ]);
    const both = buildTemplateObject(
      carousel,
      simple({ templateVariables: { ...base, c0_button_0: 'more-0', c1_button_0: 'more-1' } }),
    );
    const cards = (both.components?.[1] as { cards: { components: unknown[] }[] }).cards;
    expect(cards[1]?.components).toEqual([
      { type: 'header', parameters: [{ type: 'image', image: { id: '2' } }] },
      { type: 'body', parameters: [{ type: 'text', text: 'b' }] },
      {
        type: 'button',
        sub_type: 'quick_reply',
        index: '0',
        parameters: [{ type: 'payload', payload: 'more-1' }],
      },
      { type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: 'y' }] },
    ]);
  });

  it('a carousel for a single-bubble template is unexpected', () => {
    const err = catchUnprocessable(() =>
      buildTemplateObject(
        orderConfirmation,
        simple({ templateVariables: { '1': 'a', '2': 'b', '3': 'c' }, carousel: { cards: [{ index: 0 }] } }),
      ),
    );
    expect(err.details).toEqual([
      { path: '/carousel', message: 'unexpected: the template is not a carousel template' },
    ]);
  });
});

describe('buildTemplateObject: advanced form (templateComponents)', () => {
  const components: TemplateComponent[] = [
    { type: 'header', parameters: [{ type: 'image', image: { link: 'https://cdn.example.com/box.png' } }] },
    {
      type: 'body',
      parameters: [
        { type: 'currency', currency: { fallback_value: '$100.99', code: 'USD', amount_1000: 100990 } },
      ],
    },
    {
      type: 'button',
      sub_type: 'quick_reply',
      index: '0',
      parameters: [{ type: 'payload', payload: 'STOP' }],
    },
    { type: 'button', sub_type: 'url', index: 1, parameters: [{ type: 'text', text: 'ORD-1' }] },
  ];

  it('passes the components through unchanged', () => {
    expect(buildTemplateObject(orderShipped, simple({ templateComponents: components }))).toEqual({
      name: 'order_shipped',
      language: { code: 'en_US' },
      components,
    });
  });

  it('checks header and body counts, required buttons and text rules against the template', () => {
    const err = catchUnprocessable(() =>
      buildTemplateObject(
        orderShipped,
        simple({
          templateComponents: [
            {
              type: 'body',
              parameters: [
                { type: 'text', text: 'a' },
                { type: 'text', text: 'b\tc' },
              ],
            },
            { type: 'button', sub_type: 'url', index: '2', parameters: [{ type: 'text', text: 'x' }] },
          ],
        }),
      ),
    );
    expect(err.code).toBe('TEMPLATE_PARAMS_MISMATCH');
    expect(err.details).toEqual([
      {
        path: '/templateComponents/0/parameters',
        message: 'the template body declares 1 placeholder(s); 2 parameter(s) given',
      },
      {
        path: '/templateComponents/0/parameters/1/text',
        message: 'invalid: parameter must not contain a tab',
      },
      {
        path: '/templateComponents/1/index',
        message: 'unexpected: the template has no button 2 that takes a value',
      },
      { path: '/templateComponents', message: 'missing: the template header needs a parameter (image)' },
      {
        path: '/templateComponents',
        message: 'missing: the template button 1 (URL) needs a "url" button component',
      },
    ]);
  });

  it('checks the carousel card count and per-card counts', () => {
    type CardComponent = Extract<
      TemplateComponent,
      { type: 'carousel' }
    >['cards'][number]['components'][number];
    const cardComponents = (i: number): CardComponent[] => [
      { type: 'header', parameters: [{ type: 'image', image: { id: String(i) } }] },
      { type: 'body', parameters: [{ type: 'text', text: `v${i}` }] },
      { type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: `s${i}` }] },
    ];
    const good: TemplateComponent[] = [
      { type: 'body', parameters: [{ type: 'text', text: 'Ana' }] },
      {
        type: 'carousel',
        cards: [
          { card_index: 0, components: cardComponents(0) },
          { card_index: 1, components: cardComponents(1) },
        ],
      },
    ];
    expect(buildTemplateObject(carousel, simple({ templateComponents: good })).components).toEqual(good);

    const err = catchUnprocessable(() =>
      buildTemplateObject(
        carousel,
        simple({
          templateComponents: [
            { type: 'body', parameters: [{ type: 'text', text: 'Ana' }] },
            { type: 'carousel', cards: [{ card_index: 0, components: cardComponents(0).slice(1) }] },
          ],
        }),
      ),
    );
    expect(err.details).toEqual([
      {
        path: '/templateComponents/1/cards',
        message: 'the template has 2 carousel cards; 1 given (they must be equal)',
      },
      {
        path: '/templateComponents/1/cards/0/components',
        message: "missing: card 0's header needs a parameter (image)",
      },
    ]);

    const uneven = catchUnprocessable(() =>
      buildTemplateObject(
        carousel,
        simple({
          templateComponents: [
            { type: 'body', parameters: [{ type: 'text', text: 'Ana' }] },
            {
              type: 'carousel',
              cards: [
                {
                  card_index: 0,
                  components: [
                    ...cardComponents(0),
                    {
                      type: 'button',
                      sub_type: 'quick_reply',
                      index: 0,
                      parameters: [{ type: 'payload', payload: 'p' }],
                    },
                  ],
                },
                { card_index: 1, components: cardComponents(1) },
              ],
            },
          ],
        }),
      ),
    );
    expect(uneven.details).toEqual([
      {
        path: '/templateComponents/1/cards/1/components',
        message:
          'invalid: every card must have the same components (header, body, buttons) as the first card',
      },
    ]);
  });
});

describe('buildTemplateObject: filled-in lengths and named parameters in both forms (docs/meta-cloud-api.md §1.7)', () => {
  const body = (...parameters: unknown[]) => ({ type: 'body', parameters }) as TemplateComponent;
  const header = (...parameters: unknown[]) => ({ type: 'header', parameters }) as TemplateComponent;
  const advanced = (...templateComponents: TemplateComponent[]) => simple({ templateComponents });
  const text = (t: string, parameter_name?: string) => ({
    type: 'text',
    text: t,
    ...(parameter_name ? { parameter_name } : {}),
  });

  it('advanced form of a NAMED template: parameter_name is required on every parameter', () => {
    const err = catchUnprocessable(() =>
      buildTemplateObject(named, advanced(body(text('Ana'), text('$10', 'balance')))),
    );
    expect(err.code).toBe('TEMPLATE_PARAMS_MISMATCH');
    expect(err.details).toEqual([
      {
        path: '/templateComponents/0/parameters/0/parameter_name',
        message:
          'missing: the template uses named parameters, so every body parameter needs "parameter_name" ({{first_name}}, {{balance}})',
      },
    ]);
  });

  it('advanced form of a NAMED template: unknown and repeated names are refused', () => {
    const unknown = catchUnprocessable(() =>
      buildTemplateObject(named, advanced(body(text('Ana', 'first'), text('$10', 'balance')))),
    );
    expect(unknown.details).toEqual([
      {
        path: '/templateComponents/0/parameters/0/parameter_name',
        message: "unexpected: the template's body has no {{first}} (it has {{first_name}}, {{balance}})",
      },
    ]);
    const twice = catchUnprocessable(() =>
      buildTemplateObject(named, advanced(body(text('Ana', 'balance'), text('$10', 'balance')))),
    );
    expect(twice.details).toEqual([
      {
        path: '/templateComponents/0/parameters/1/parameter_name',
        message: 'invalid: {{balance}} is given more than once',
      },
    ]);
  });

  it('advanced form of a NAMED template: names in any order are accepted and sent as given', () => {
    const components = [body(text('$10', 'balance'), text('Ana', 'first_name'))];
    expect(buildTemplateObject(named, advanced(...components)).components).toEqual(components);
  });

  it('advanced form: a body over 1024 characters once filled in is refused (as in the simple form)', () => {
    const err = catchUnprocessable(() =>
      buildTemplateObject(
        orderConfirmation,
        advanced(body(text('a'.repeat(600)), text('b'.repeat(600)), text('c'))),
      ),
    );
    expect(err.details).toEqual([
      {
        path: '/templateComponents/0/parameters',
        message: 'invalid: the template body would be 1231 characters once filled in; the limit is 1024',
      },
    ]);
  });

  it('advanced form: currency and date fallbacks count towards the body length', () => {
    const err = catchUnprocessable(() =>
      buildTemplateObject(
        paymentThankYou,
        advanced(
          body(
            text('a'.repeat(500)),
            { type: 'currency', currency: { fallback_value: 'b'.repeat(500), code: 'USD', amount_1000: 1 } },
            { type: 'date_time', date_time: { fallback_value: 'c'.repeat(30) } },
            text('d'),
          ),
        ),
      ),
    );
    expect(err.details?.[0]?.message).toMatch(/would be 10\d\d characters once filled in; the limit is 1024/);
  });

  it('both forms: a text header over 60 characters once filled in is refused', () => {
    const simpleErr = catchUnprocessable(() =>
      buildTemplateObject(
        textHeader,
        simple({ templateVariables: { '1': 'x', header_text: 'n'.repeat(55) } }),
      ),
    );
    expect(simpleErr.details).toEqual([
      {
        path: '/templateVariables/header_text',
        message: 'invalid: the header would be 61 characters once filled in; the limit is 60',
      },
    ]);
    const advancedErr = catchUnprocessable(() =>
      buildTemplateObject(textHeader, advanced(header(text('n'.repeat(55))), body(text('x')))),
    );
    expect(advancedErr.details).toEqual([
      {
        path: '/templateComponents/0/parameters',
        message: 'invalid: the template header would be 61 characters once filled in; the limit is 60',
      },
    ]);
    // 54 + "Hello " = 60: exactly the limit.
    expect(
      buildTemplateObject(
        textHeader,
        simple({ templateVariables: { '1': 'x', header_text: 'n'.repeat(54) } }),
      ),
    ).toMatchObject({ name: 'welcome_named_header' });
  });

  const cardVars = (c0: string) => ({
    '1': 'Ana',
    c0_header: '111',
    c0_1: c0,
    c0_button_1: 'villa-a',
    c1_header: '222',
    c1_1: 'Abu Dhabi',
    c1_button_1: 'villa-b',
  });

  it('both forms: a carousel card body over 160 characters once filled in is refused', () => {
    // "Villa 1: " is 9 characters.
    const simpleErr = catchUnprocessable(() =>
      buildTemplateObject(carousel, simple({ templateVariables: cardVars('d'.repeat(152)) })),
    );
    expect(simpleErr.details).toEqual([
      {
        path: '/templateVariables/c0_1',
        message: "invalid: card 0's body would be 161 characters once filled in; the limit is 160",
      },
    ]);
    expect(
      buildTemplateObject(carousel, simple({ templateVariables: cardVars('d'.repeat(151)) })),
    ).toMatchObject({
      name: 'villa_carousel',
    });

    const built = buildTemplateObject(carousel, simple({ templateVariables: cardVars('d'.repeat(151)) }));
    const tooLong = JSON.parse(
      JSON.stringify(built.components).replace('d'.repeat(151), 'd'.repeat(152)),
    ) as TemplateComponent[];
    const advancedErr = catchUnprocessable(() => buildTemplateObject(carousel, advanced(...tooLong)));
    expect(advancedErr.details).toEqual([
      {
        path: '/templateComponents/1/cards/0/components/1/parameters',
        message: "invalid: card 0's body would be 161 characters once filled in; the limit is 160",
      },
    ]);
  });
});

describe('validateTemplateDefinition', () => {
  const valid = {
    name: 'order_shipped',
    language: 'en_US',
    category: 'UTILITY',
    status: 'APPROVED',
    components: orderShipped.components,
  };

  it('accepts Meta-format templates, including carousels', () => {
    expect(validateTemplateDefinition({ ...valid, id: '123', parameter_format: 'POSITIONAL' })).toEqual({
      ok: true,
      value: {
        name: 'order_shipped',
        language: 'en_US',
        category: 'UTILITY',
        status: 'APPROVED',
        components: orderShipped.components,
      },
    });
    expect(
      validateTemplateDefinition({
        ...valid,
        name: 'villa_carousel',
        category: 'MARKETING',
        components: carousel.components,
      }).ok,
    ).toBe(true);
    expect(
      validateTemplateDefinition({
        ...valid,
        name: 'named',
        parameter_format: 'NAMED',
        components: named.components,
      }).ok,
    ).toBe(true);
    expect(
      validateTemplateDefinition({ ...valid, category: 'AUTHENTICATION', components: otp.components }).ok,
    ).toBe(true);
  });

  it('lists every problem with its path', () => {
    const result = validateTemplateDefinition({
      name: 'Order-Shipped',
      language: 'english',
      category: 'PROMO',
      status: 'LIVE',
      components: [
        { type: 'HEADER', format: 'TEXT', text: 'x'.repeat(61) },
        { type: 'BODY', text: 'Hi {{1}} and {{3}}' },
        { type: 'FOOTER', text: 'Bye {{1}}' },
        {
          type: 'BUTTONS',
          buttons: [{ type: 'URL', text: 'A very long button text here', url: 'https://x.example/{{1}}/y' }],
        },
      ],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.path)).toEqual([
      '/name',
      '/language',
      '/category',
      '/status',
      '/components/0/text',
      '/components/1/text',
      '/components/2/text',
      '/components/3/buttons/0/text',
      '/components/3/buttons/0/url',
    ]);
  });

  it('checks carousel limits and that every card has the same components', () => {
    const cards = Array.from({ length: 11 }, (_, i) => card(i));
    const odd = {
      components: [
        { type: 'HEADER', format: 'VIDEO' },
        { type: 'BODY', text: 'x' },
      ],
    };
    const result = validateTemplateDefinition({
      ...valid,
      category: 'UTILITY',
      components: [
        { type: 'BODY', text: 'Hi' },
        { type: 'CAROUSEL', cards: [...cards, odd] },
      ],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual(
      expect.arrayContaining([
        { path: '/components/1/cards', message: '12 cards; the limit is 10' },
        { path: '/components/1/cards/11', message: expect.stringContaining('same components') as unknown },
        { path: '/category', message: 'carousel templates are MARKETING only' },
      ]),
    );
  });

  it('refuses mixed numbered and named placeholders, and a missing BODY', () => {
    const mixed = validateTemplateDefinition({
      ...valid,
      parameter_format: 'NAMED',
      components: [{ type: 'BODY', text: '{{1}} {{name}}' }],
    });
    expect(mixed.ok).toBe(false);
    const noBody = validateTemplateDefinition({ ...valid, components: [{ type: 'FOOTER', text: 'x' }] });
    expect(noBody).toEqual({
      ok: false,
      errors: [{ path: '/components', message: 'a template needs a BODY component' }],
    });
    expect(validateTemplateDefinition('nope')).toEqual({
      ok: false,
      errors: [{ path: '', message: 'the template must be a JSON object' }],
    });
  });
});
