import { LIMITS } from '../src/messages';
import {
  card,
  carousel,
  components,
  cta,
  errorPaths,
  interactive,
  location,
  media,
  metaButtons,
  rows,
  s,
  simpleButtons,
  simpleList,
  template,
  text,
} from './fixtures';

type Edge = [name: string, ok: unknown, rejected: unknown, path: string];

const listOf = (sections: unknown[]) => interactive(simpleList(sections));
const metaListOf = (sections: unknown[]) =>
  interactive({ type: 'list', body: { text: 'B' }, action: { button: 'Open', sections } });
const buttonValues = (n: number) =>
  carousel([
    card({
      buttonValues: Array.from({ length: n }, (_, i) => ({
        index: i % 2,
        sub_type: 'url',
        parameters: { type: 'text', text: 'x' },
      })),
    }),
  ]);
const cards = (n: number) => carousel(Array.from({ length: n }, (_, i) => card({ index: i % 10 })));
const templateButtons = (n: number) =>
  components(
    Array.from({ length: n }, (_, i) => ({
      type: 'button',
      sub_type: 'quick_reply',
      index: String(i),
      parameters: [{ type: 'payload', payload: 'p' }],
    })),
  );
const couponComponent = (code: string) =>
  components([
    {
      type: 'button',
      sub_type: 'copy_code',
      index: '0',
      parameters: [{ type: 'coupon_code', coupon_code: code }],
    },
  ]);
const url = (length: number) => `https://example.com/${s(length - 'https://example.com/'.length)}`;

/** Each limit of docs/meta-cloud-api.md §1.7 (and our own caps): the largest accepted value and the first rejected one. */
const EDGES: Edge[] = [
  ['text body 4096 / 4097', text({ content: s(4096) }), text({ content: s(4097) }), '/content'],
  [
    'media caption 1024 / 1025',
    media('image', { caption: s(1024) }),
    media('image', { caption: s(1025) }),
    '/caption',
  ],
  [
    'document caption 1024 / 1025',
    media('document', { caption: s(1024) }),
    media('document', { caption: s(1025) }),
    '/caption',
  ],
  [
    'media URL 2000 / 2001',
    media('video', { mediaId: undefined, mediaUrl: url(2000) }),
    media('video', { mediaId: undefined, mediaUrl: url(2001) }),
    '/mediaUrl',
  ],
  [
    'interactive body 1024 / 1025',
    interactive(simpleButtons(1, { body: s(1024) })),
    interactive(simpleButtons(1, { body: s(1025) })),
    '/content/body',
  ],
  [
    'interactive header 60 / 61',
    interactive(simpleButtons(1, { header: s(60) })),
    interactive(simpleButtons(1, { header: s(61) })),
    '/content/header',
  ],
  [
    'interactive footer 60 / 61',
    interactive(simpleButtons(1, { footer: s(60) })),
    interactive(simpleButtons(1, { footer: s(61) })),
    '/content/footer',
  ],
  [
    'reply buttons 3 / 4 (simplified)',
    interactive(simpleButtons(3)),
    interactive(simpleButtons(4)),
    '/content/buttons',
  ],
  [
    'reply buttons 3 / 4 (Meta)',
    interactive(metaButtons(3)),
    interactive(metaButtons(4)),
    '/content/action/buttons',
  ],
  ['reply buttons 1 / 0', interactive(simpleButtons(1)), interactive(simpleButtons(0)), '/content/buttons'],
  [
    'button title 20 / 21',
    interactive(simpleButtons(1, { buttons: [{ id: 'a', title: s(20) }] })),
    interactive(simpleButtons(1, { buttons: [{ id: 'a', title: s(21) }] })),
    '/content/buttons/0/title',
  ],
  [
    'button id 256 / 257',
    interactive(simpleButtons(1, { buttons: [{ id: s(256), title: 'A' }] })),
    interactive(simpleButtons(1, { buttons: [{ id: s(257), title: 'A' }] })),
    '/content/buttons/0/id',
  ],
  [
    'list rows 10 / 11 in one section',
    listOf([{ rows: rows(10) }]),
    listOf([{ rows: rows(11) }]),
    '/content/sections/0/rows',
  ],
  [
    'list rows 10 / 11 across sections',
    listOf([
      { title: 'A', rows: rows(5, 'a') },
      { title: 'B', rows: rows(5, 'b') },
    ]),
    listOf([
      { title: 'A', rows: rows(5, 'a') },
      { title: 'B', rows: rows(6, 'b') },
    ]),
    '/content/sections/1/rows/5',
  ],
  [
    'list rows 10 / 11 across sections (Meta)',
    metaListOf([
      { title: 'A', rows: rows(9, 'a') },
      { title: 'B', rows: rows(1, 'b') },
    ]),
    metaListOf([
      { title: 'A', rows: rows(9, 'a') },
      { title: 'B', rows: rows(2, 'b') },
    ]),
    '/content/action/sections/1/rows/1',
  ],
  [
    'list sections 10 / 11',
    listOf(Array.from({ length: 10 }, (_, i) => ({ title: `S${i}`, rows: rows(1, `s${i}`) }))),
    listOf(Array.from({ length: 11 }, (_, i) => ({ title: `S${i}`, rows: rows(1, `s${i}`) }))),
    '/content/sections',
  ],
  [
    'list button 20 / 21',
    interactive(simpleList([{ rows: rows(1) }], { button: s(20) })),
    interactive(simpleList([{ rows: rows(1) }], { button: s(21) })),
    '/content/button',
  ],
  [
    'row id 200 / 201',
    listOf([{ rows: [{ id: s(200), title: 'A' }] }]),
    listOf([{ rows: [{ id: s(201), title: 'A' }] }]),
    '/content/sections/0/rows/0/id',
  ],
  [
    'row title 24 / 25',
    listOf([{ rows: [{ id: 'a', title: s(24) }] }]),
    listOf([{ rows: [{ id: 'a', title: s(25) }] }]),
    '/content/sections/0/rows/0/title',
  ],
  [
    'row description 72 / 73',
    listOf([{ rows: [{ id: 'a', title: 'A', description: s(72) }] }]),
    listOf([{ rows: [{ id: 'a', title: 'A', description: s(73) }] }]),
    '/content/sections/0/rows/0/description',
  ],
  [
    'section title 24 / 25',
    listOf([{ title: s(24), rows: rows(1) }]),
    listOf([{ title: s(25), rows: rows(1) }]),
    '/content/sections/0/title',
  ],
  [
    'CTA display text 20 / 21',
    interactive(cta({ displayText: s(20) })),
    interactive(cta({ displayText: s(21) })),
    '/content/displayText',
  ],
  [
    'template name 512 / 513',
    template({ templateName: s(512) }),
    template({ templateName: s(513) }),
    '/templateName',
  ],
  [
    'template body value 1024 / 1025',
    template({ templateVariables: { '1': s(1024) } }),
    template({ templateVariables: { '1': s(1025) } }),
    '/templateVariables/1',
  ],
  [
    'template header value 60 / 61',
    template({ templateVariables: { header_text: s(60) } }),
    template({ templateVariables: { header_text: s(61) } }),
    '/templateVariables/header_text',
  ],
  [
    'template buttons 10 / 11 (indexes run 0 to 9)',
    templateButtons(10),
    templateButtons(11),
    '/templateComponents/10/index',
  ],
  [
    'coupon code 15 / 16',
    couponComponent(s(15)),
    couponComponent(s(16)),
    '/templateComponents/0/parameters/0/coupon_code',
  ],
  ['carousel cards 10 / 11', cards(10), cards(11), '/carousel/cards'],
  [
    'carousel card body 160 / 161',
    carousel([card({ bodyValues: { '1': s(160) } })]),
    carousel([card({ bodyValues: { '1': s(161) } })]),
    '/carousel/cards/0/bodyValues/1',
  ],
  ['card buttons 2 / 3', buttonValues(2), buttonValues(3), '/carousel/cards/0/buttonValues'],
  [
    'parameter spaces 4 / 5',
    template({ templateVariables: { '1': 'a    b' } }),
    template({ templateVariables: { '1': 'a     b' } }),
    '/templateVariables/1',
  ],
  ['phone digits 8 / 7', text({ phone: '12345678' }), text({ phone: '1234567' }), '/phone'],
  [
    'phone digits 15 / 16',
    text({ phone: '+123 456 789 012 345' }),
    text({ phone: '+123 456 789 012 3456' }),
    '/phone',
  ],
  ['latitude 90 / 90.000001', location({ latitude: 90 }), location({ latitude: 90.000001 }), '/latitude'],
  ['latitude -90 / -90.000001', location({ latitude: -90 }), location({ latitude: -90.000001 }), '/latitude'],
  [
    'longitude 180 / 180.000001',
    location({ longitude: 180 }),
    location({ longitude: 180.000001 }),
    '/longitude',
  ],
  [
    'longitude -180 / -180.000001',
    location({ longitude: -180 }),
    location({ longitude: -180.000001 }),
    '/longitude',
  ],
  [
    'interactive JSON string at the cap / over it',
    interactive(
      JSON.stringify(simpleButtons(1, { body: s(1000) })).padEnd(LIMITS.interactiveJsonString, ' '),
    ),
    interactive(
      JSON.stringify(simpleButtons(1, { body: s(1000) })).padEnd(LIMITS.interactiveJsonString + 1, ' '),
    ),
    '/content',
  ],
];

const asJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v)) as unknown;

describe('parseSendMessageRequest: limits', () => {
  it.each(EDGES)(
    '%s: the limit is accepted and one past it is rejected at the right path',
    (_name, ok, rejected, path) => {
      expect(errorPaths(asJson(ok))).toEqual([]);
      expect(errorPaths(asJson(rejected))).toEqual([path]);
    },
  );

  it('the limits are the ones documented by Meta (docs/meta-cloud-api.md §1.7)', () => {
    expect(LIMITS).toMatchObject({
      textBody: 4096,
      mediaCaption: 1024,
      interactiveBody: 1024,
      interactiveHeaderText: 60,
      interactiveFooter: 60,
      replyButtonsMax: 3,
      replyButtonTitle: 20,
      replyButtonId: 256,
      listButton: 20,
      listSectionsMax: 10,
      listRowsTotalMax: 10,
      listRowId: 200,
      listRowTitle: 24,
      listRowDescription: 72,
      listSectionTitle: 24,
      ctaDisplayText: 20,
      templateBody: 1024,
      templateHeaderText: 60,
      templateButtonsMax: 10,
      templateUrl: 2000,
      couponCode: 15,
      carouselCardsMax: 10,
      carouselCardBody: 160,
      carouselCardButtonsMax: 2,
      templateName: 512,
    });
  });
});
