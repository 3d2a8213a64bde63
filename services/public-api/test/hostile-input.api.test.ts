/**
 * Hostile and malformed input to POST /api/v1/public/messages/send (docs/contracts.md §2.2, §2.4): every bad
 * request gets the exact 4xx and error code it deserves, a JSON envelope naming the offending
 * field, nothing leaked, and nothing stored. A property-based fuzz run then throws arbitrary JSON
 * and arbitrary mutations of valid bodies at the endpoint: never a 5xx, always the envelope, and
 * every 201 is a stored message.
 */
import request from 'supertest';
import type { Response } from 'supertest';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { ERROR_CODES, type ErrorCode } from '@flowgate/contracts';
import { DEMO_TEMPLATES } from '@flowgate/core';
import {
  addPhoneNumber,
  addTemplate,
  createApiKey,
  createWorkspace,
  ORDER_CONFIRMATION,
  PAYMENT_THANK_YOU,
} from '@flowgate/testing';
import { createTestApp, type TestApp } from '@flowgate/testing';

const SEND = '/api/v1/public/messages/send';
const PHONE = '919876543210';

type Headers = Record<string, string>;

interface Partner {
  workspaceId: string;
  phoneNumberId: string;
  headers: Headers;
}

/** Everything the cases refer to, made by the factories before the table runs. */
interface Fixture {
  main: Partner;
  /** Another workspace: its number and contact must be invisible to `main`. */
  other: Partner;
  otherContactId: string;
  optedOutContactId: string;
  /** A workspace with a key but no sending number. */
  numberless: { workspaceId: string; headers: Headers };
}

/** What one case sends: a JSON value (serialised by supertest) or raw bytes with a content type. */
type Payload =
  { json: unknown } | { raw: string | Buffer; contentType: string | null; contentEncoding?: string };

interface HostileCase {
  name: string;
  payload: (f: Fixture) => Payload;
  /** Extra request headers. */
  headers?: Headers;
  /** Which key sends (default `main`). */
  as?: 'main' | 'numberless';
  status: 400 | 413 | 415 | 422;
  code: ErrorCode;
  /** A `details[].path` the error must name; `null`: the error has no details. */
  path: string | null;
  /** What the detail at `path` must say, when the wording matters (it tells the client what to do). */
  message?: RegExp;
}

const long = (n: number, ch = 'x'): string => ch.repeat(n);
const nested = (depth: number, open: string, close: string, leaf = '1'): string =>
  open.repeat(depth) + leaf + close.repeat(depth);

const text = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'text',
  phone: PHONE,
  content: 'Your order has shipped.',
  ...extra,
});
const without = (body: Record<string, unknown>, ...keys: string[]): Record<string, unknown> => {
  const copy = { ...body };
  for (const k of keys) delete copy[k];
  return copy;
};
const orderVars = { '1': 'Jane', '2': 'ORD-9921', '3': 'Tomorrow 5pm' };
const template = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'template',
  phone: PHONE,
  templateName: 'order_confirmation',
  templateLanguage: 'en_US',
  templateVariables: orderVars,
  ...extra,
});
const advanced = (parameters: unknown[]): Record<string, unknown> =>
  without(template({ templateComponents: [{ type: 'body', parameters }] }), 'templateVariables');
const textParams = (...values: string[]) => values.map((v) => ({ type: 'text', text: v }));
const interactive = (content: unknown): Record<string, unknown> => ({
  type: 'interactive',
  phone: PHONE,
  content,
});
const buttons = (...titles: string[]) => ({
  type: 'button',
  body: 'Choose one',
  buttons: titles.map((title, i) => ({ id: `b${i}`, title })),
});
const rows = (n: number, prefix = 'r') =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, title: `Row ${i}` }));
const list = (sections: unknown[], extra: Record<string, unknown> = {}) => ({
  type: 'list',
  body: 'Pick one',
  button: 'Options',
  sections,
  ...extra,
});
const media = (type: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type,
  phone: PHONE,
  mediaUrl: 'https://example.com/file.bin',
  ...extra,
});
const location = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'location',
  phone: PHONE,
  latitude: 12.3,
  longitude: 45.6,
  ...extra,
});

const json = (value: unknown) => (): Payload => ({ json: value });
const raw =
  (body: string | Buffer, contentType: string | null = 'application/json', contentEncoding?: string) =>
  (): Payload => ({ raw: body, contentType, ...(contentEncoding ? { contentEncoding } : {}) });

/** 400 VALIDATION_FAILED naming `path`. */
const invalid = (
  name: string,
  body: unknown,
  path: string,
  extra: Partial<HostileCase> = {},
): HostileCase => ({
  name,
  payload: typeof body === 'function' ? (body as (f: Fixture) => Payload) : json(body),
  status: 400,
  code: 'VALIDATION_FAILED',
  path,
  ...extra,
});
const malformed = (name: string, body: string | Buffer): HostileCase => ({
  name,
  payload: raw(body),
  status: 400,
  code: 'MALFORMED_JSON',
  path: null,
});
const unsupported = (name: string, body: string | Buffer, contentType: string | null): HostileCase => ({
  name,
  payload: raw(body, contentType),
  status: 415,
  code: 'UNSUPPORTED_MEDIA_TYPE',
  path: null,
});
const unprocessable = (
  name: string,
  payload: (f: Fixture) => Payload,
  code: ErrorCode,
  path: string | null,
  extra: Partial<HostileCase> = {},
): HostileCase => ({ name, payload, status: 422, code, path, ...extra });

/** A template with named parameters (parameter_format NAMED), and one with a text-header variable. */
const NAMED_BALANCE = {
  name: 'named_balance',
  language: 'en_US',
  category: 'UTILITY',
  status: 'APPROVED',
  parameter_format: 'NAMED',
  components: [{ type: 'BODY', text: 'Hi {{first_name}}, your balance is {{balance}}.' }],
};
const SHIPPING_HEADER = {
  name: 'shipping_header',
  language: 'en_US',
  category: 'UTILITY',
  status: 'APPROVED',
  components: [
    { type: 'HEADER', format: 'TEXT', text: 'Order {{1}} update' },
    { type: 'BODY', text: 'Your parcel ships {{1}}.' },
  ],
};
const namedAdvanced = (parameters: unknown[]): Record<string, unknown> =>
  without(
    template({ templateName: 'named_balance', templateComponents: [{ type: 'body', parameters }] }),
    'templateVariables',
  );
const carouselVars = (c0Body: string) => ({
  '1': 'Ana',
  c0_header: 'https://cdn.example.com/0.jpg',
  c0_1: c0Body,
  c0_2: 'Shop A',
  c0_button_0: 'sku-0',
  c1_header: 'https://cdn.example.com/1.jpg',
  c1_1: 'Hat',
  c1_2: 'Shop B',
  c1_button_0: 'sku-1',
});

const VALID_TEXT = JSON.stringify(text());

const CASES: HostileCase[] = [
  // --- the body is not an object ------------------------------------------------------------
  invalid('body is an empty JSON array', [], ''),
  invalid('body is an array holding a valid message', [text()], ''),
  malformed('body is JSON null (not an object)', 'null'),
  malformed('body is a JSON string', '"hello"'),
  malformed('body is a JSON number', '42'),
  malformed('body is JSON true', 'true'),
  invalid('body is an empty object', {}, '/type'),
  invalid('empty body with a JSON content type', raw('', 'application/json'), '/type'),

  // --- type --------------------------------------------------------------------------------
  invalid('type is missing', without(text(), 'type'), '/type'),
  invalid('type is unknown', text({ type: 'fax' }), '/type'),
  invalid('type is upper case', text({ type: 'TEXT' }), '/type'),
  invalid('type is a number', text({ type: 1 }), '/type'),
  invalid('type is null', text({ type: null }), '/type'),
  invalid('type is an array', text({ type: ['text'] }), '/type'),
  invalid('type is an object', text({ type: { toString: 'text' } }), '/type'),
  invalid(
    'duplicate "type" keys: the last one (location) wins and lacks its fields',
    raw(`{"type":"text","phone":"${PHONE}","content":"hi","type":"location"}`),
    '/latitude',
  ),

  // --- wrong types -------------------------------------------------------------------------
  invalid('phone is a number', text({ phone: 919876543210 }), '/phone'),
  invalid('phone is an array', text({ phone: [PHONE] }), '/phone'),
  invalid('content is a number', text({ content: 42 }), '/content'),
  invalid('content is an array', text({ content: ['hi'] }), '/content'),
  invalid('content is an object', text({ content: { body: 'hi' } }), '/content'),
  invalid('content is null', text({ content: null }), '/content'),
  invalid('content is a boolean', text({ content: true }), '/content'),
  invalid('previewUrl is the string "true"', text({ previewUrl: 'true' }), '/previewUrl'),
  invalid('previewUrl is 1', text({ previewUrl: 1 }), '/previewUrl'),
  invalid(
    'templateVariables is an array',
    template({ templateVariables: ['Jane', 'x', 'y'] }),
    '/templateVariables',
  ),
  invalid(
    'templateVariables value is a number',
    template({ templateVariables: { ...orderVars, '1': 5 } }),
    '/templateVariables/1',
  ),
  invalid(
    'templateVariables value is null',
    template({ templateVariables: { ...orderVars, '2': null } }),
    '/templateVariables/2',
  ),
  invalid('templateName is a number', template({ templateName: 7 }), '/templateName'),

  // --- numbers as strings and out of range ------------------------------------------------
  invalid('latitude is the string "12.3"', location({ latitude: '12.3' }), '/latitude'),
  invalid('longitude is the string "-122.4"', location({ longitude: '-122.4' }), '/longitude'),
  invalid('latitude is 91', location({ latitude: 91 }), '/latitude'),
  invalid('longitude is -181', location({ longitude: -181 }), '/longitude'),
  invalid('latitude is null', location({ latitude: null }), '/latitude'),
  invalid(
    'latitude is 1e400 (parses to Infinity)',
    raw(`{"type":"location","phone":"${PHONE}","latitude":1e400,"longitude":1}`),
    '/latitude',
  ),
  invalid(
    'carousel card index is the string "0"',
    template({ templateName: 'summer_carousel', carousel: { cards: [{ index: '0' }] } }),
    '/carousel/cards/0/index',
  ),

  // --- missing fields ----------------------------------------------------------------------
  invalid('text without content', without(text(), 'content'), '/content'),
  invalid('neither phone nor contactId', without(text(), 'phone'), '/phone'),
  invalid('both phone and contactId', text({ contactId: randomUUID() }), '/contactId'),
  invalid('template without templateName', without(template(), 'templateName'), '/templateName'),
  invalid('image without mediaUrl or mediaId', without(media('image'), 'mediaUrl'), '/mediaUrl'),
  invalid('image with both mediaUrl and mediaId', media('image', { mediaId: '123' }), '/mediaId'),
  invalid('location without latitude', without(location(), 'latitude'), '/latitude'),
  invalid('location without longitude', without(location(), 'longitude'), '/longitude'),
  invalid('interactive without content', { type: 'interactive', phone: PHONE }, '/content'),

  // --- extra fields ------------------------------------------------------------------------
  invalid('unknown top-level field', text({ foo: 'bar' }), '/foo'),
  invalid('caption on a text message', text({ caption: 'x' }), '/caption'),
  invalid('content on an image message', media('image', { content: 'x' }), '/content'),
  invalid('caption on an audio message', media('audio', { caption: 'x' }), '/caption'),
  invalid('caption on a sticker message', media('sticker', { caption: 'x' }), '/caption'),
  invalid('filename on an image message', media('image', { filename: 'a.png' }), '/filename'),
  invalid('mediaUrl on a location message', location({ mediaUrl: 'https://example.com/a.png' }), '/mediaUrl'),
  invalid('templateName on a text message', text({ templateName: 'order_confirmation' }), '/templateName'),
  invalid(
    'unknown field inside interactive content',
    interactive({ ...buttons('Yes'), extra: 1 }),
    '/content/extra',
  ),

  // --- both template forms -----------------------------------------------------------------
  invalid(
    'templateVariables and templateComponents together',
    template({ templateComponents: [{ type: 'body', parameters: textParams('Jane', 'x', 'y') }] }),
    '/templateComponents',
  ),
  invalid(
    'bodyParameters and templateComponents together',
    { ...advanced(textParams('Jane', 'x', 'y')), bodyParameters: { '1': 'Jane' } },
    '/templateComponents',
  ),
  invalid(
    'carousel and templateComponents together',
    { ...advanced(textParams('Jane', 'x', 'y')), carousel: { cards: [{ index: 0 }] } },
    '/templateComponents',
  ),

  // --- over-long and empty strings ---------------------------------------------------------
  invalid('text content of 4097 characters', text({ content: long(4097) }), '/content'),
  invalid('empty text content', text({ content: '' }), '/content'),
  invalid('image caption of 1025 characters', media('image', { caption: long(1025) }), '/caption'),
  invalid('video caption of 1025 characters', media('video', { caption: long(1025) }), '/caption'),
  invalid('document caption of 1025 characters', media('document', { caption: long(1025) }), '/caption'),
  invalid(
    'document filename of 241 characters',
    media('document', { filename: `${long(237)}.pdf` }),
    '/filename',
  ),
  invalid('document filename with a path', media('document', { filename: '../../etc/passwd' }), '/filename'),
  invalid('document filename with a NUL', media('document', { filename: 'a\u0000.pdf' }), '/filename'),
  invalid(
    'mediaUrl of 2001 characters',
    media('image', { mediaUrl: `https://example.com/${long(1981)}` }),
    '/mediaUrl',
  ),
  invalid('mediaUrl over plain http', media('image', { mediaUrl: 'http://example.com/a.png' }), '/mediaUrl'),
  invalid('mediaUrl is javascript:', media('image', { mediaUrl: 'javascript:alert(1)' }), '/mediaUrl'),
  invalid('mediaUrl is file://', media('image', { mediaUrl: 'file:///etc/passwd' }), '/mediaUrl'),
  invalid(
    'mediaUrl with a space in the host',
    media('image', { mediaUrl: 'https://exa mple.com/a.png' }),
    '/mediaUrl',
  ),
  invalid('mediaId with spaces', without(media('image', { mediaId: '12 34' }), 'mediaUrl'), '/mediaId'),
  invalid(
    'mediaId of 257 characters',
    without(media('image', { mediaId: long(257, '1') }), 'mediaUrl'),
    '/mediaId',
  ),
  invalid('location name of 1001 characters', location({ name: long(1001) }), '/name'),
  invalid('reply button title of 21 characters', interactive(buttons(long(21))), '/content/buttons/0/title'),
  invalid('4 reply buttons', interactive(buttons('A', 'B', 'C', 'D')), '/content/buttons'),
  invalid('0 reply buttons', interactive(buttons()), '/content/buttons'),
  invalid('duplicate reply button titles', interactive(buttons('Same', 'Same')), '/content/buttons/1/title'),
  invalid(
    'interactive body of 1025 characters',
    interactive({ ...buttons('A'), body: long(1025) }),
    '/content/body',
  ),
  invalid(
    'interactive header of 61 characters',
    interactive({ ...buttons('A'), header: long(61) }),
    '/content/header',
  ),
  invalid(
    'interactive footer of 61 characters',
    interactive({ ...buttons('A'), footer: long(61) }),
    '/content/footer',
  ),
  invalid(
    'Meta-form reply title of 21 characters',
    interactive({
      type: 'button',
      body: { text: 'Choose' },
      action: { buttons: [{ type: 'reply', reply: { id: 'a', title: long(21) } }] },
    }),
    '/content/action/buttons/0/reply/title',
  ),
  invalid(
    '11 list rows in one section',
    interactive(list([{ title: 'S', rows: rows(11) }])),
    '/content/sections/0/rows',
  ),
  invalid(
    '11 list rows across two sections',
    interactive(
      list([
        { title: 'A', rows: rows(6, 'a') },
        { title: 'B', rows: rows(5, 'b') },
      ]),
    ),
    '/content/sections/1/rows/4',
  ),
  invalid(
    '11 list sections',
    interactive(list(Array.from({ length: 11 }, (_, i) => ({ title: `S${i}`, rows: rows(1, `s${i}r`) })))),
    '/content/sections',
  ),
  invalid(
    'list row title of 25 characters',
    interactive(list([{ rows: [{ id: 'r', title: long(25) }] }])),
    '/content/sections/0/rows/0/title',
  ),
  invalid(
    'list row description of 73 characters',
    interactive(list([{ rows: [{ id: 'r', title: 'Row', description: long(73) }] }])),
    '/content/sections/0/rows/0/description',
  ),
  invalid(
    'list button label of 21 characters',
    interactive(list([{ rows: rows(1) }], { button: long(21) })),
    '/content/button',
  ),
  invalid(
    'CTA display text of 21 characters',
    interactive({ type: 'cta_url', body: 'Go', displayText: long(21), url: 'https://example.com' }),
    '/content/displayText',
  ),
  invalid(
    'CTA url over ftp',
    interactive({ type: 'cta_url', body: 'Go', displayText: 'Open', url: 'ftp://example.com/x' }),
    '/content/url',
  ),
  invalid('interactive type "product"', interactive({ type: 'product', body: 'x' }), '/content/type'),
  invalid('interactive content of only spaces', interactive('   '), '/content', {
    message: /blank.*'button'.*'list'.*'cta_url'/,
  }),
  invalid('interactive content of an empty string', interactive(''), '/content', { message: /blank/ }),
  invalid('interactive content that is a JSON string of spaces', interactive('"   "'), '/content', {
    message: /'button'.*'list'.*'cta_url'/,
  }),
  invalid(
    'interactive type "carousel" (Meta has it; Flowgate sends carousels as templates)',
    interactive({ type: 'carousel', body: 'Pick a card' }),
    '/content/type',
    { message: /'button'.*'list'.*'cta_url'.*not supported.*carousel template/ },
  ),
  invalid(
    'interactive type "carousel" in Meta form inside a JSON string',
    interactive(JSON.stringify({ type: 'carousel', body: { text: 'Pick' }, action: { cards: [] } })),
    '/content/type',
    { message: /not supported/ },
  ),

  invalid('interactive content is a string that is not JSON', interactive('{"type":"button",'), '/content'),
  invalid('interactive content is a JSON string of a number', interactive('42'), '/content'),
  invalid('interactive content string of 32,769 characters', interactive(`"${long(32767)}"`), '/content'),
  invalid(
    'templateName with upper-case letters',
    template({ templateName: 'Order_Confirmation' }),
    '/templateName',
  ),
  invalid('templateName of 513 characters', template({ templateName: long(513, 'a') }), '/templateName'),
  invalid(
    'templateName with SQL in it',
    template({ templateName: "x'; DROP TABLE messages; --" }),
    '/templateName',
  ),
  invalid('templateLanguage "english"', template({ templateLanguage: 'english' }), '/templateLanguage'),
  invalid(
    'templateVariables with 301 keys',
    template({
      templateVariables: Object.fromEntries(Array.from({ length: 301 }, (_, i) => [`${i + 1}`, 'v'])),
    }),
    '/templateVariables',
  ),
  invalid(
    'templateVariables key "foo-bar"',
    template({ templateVariables: { ...orderVars, 'foo-bar': 'x' } }),
    '/templateVariables/foo-bar',
  ),
  invalid(
    'carousel with 11 cards',
    template({
      templateName: 'summer_carousel',
      templateVariables: { '1': 'Ana' },
      carousel: { cards: Array.from({ length: 11 }, (_, index) => ({ index })) },
    }),
    '/carousel/cards',
  ),

  // --- template parameter text -------------------------------------------------------------
  invalid(
    'newline in a template variable',
    template({ templateVariables: { ...orderVars, '1': 'Jane\nDoe' } }),
    '/templateVariables/1',
  ),
  invalid(
    'carriage return in a template variable',
    template({ templateVariables: { ...orderVars, '1': 'Jane\rDoe' } }),
    '/templateVariables/1',
  ),
  invalid(
    'tab in a template variable',
    template({ templateVariables: { ...orderVars, '2': 'ORD\t1' } }),
    '/templateVariables/2',
  ),
  invalid(
    'run of 5 spaces in a template variable',
    template({ templateVariables: { ...orderVars, '3': 'a     b' } }),
    '/templateVariables/3',
  ),
  invalid(
    'empty template variable',
    template({ templateVariables: { ...orderVars, '3': '' } }),
    '/templateVariables/3',
  ),
  invalid('newline in bodyParameters', template({ bodyParameters: { '1': 'a\nb' } }), '/bodyParameters/1'),
  invalid(
    'newline in an advanced-form text parameter',
    advanced(textParams('Jane\n', 'x', 'y')),
    '/templateComponents/0/parameters/0/text',
  ),
  invalid(
    '5-space run in an advanced-form text parameter',
    advanced(textParams('Jane', 'x     y', 'z')),
    '/templateComponents/0/parameters/1/text',
  ),
  invalid(
    'two body components in the advanced form',
    without(
      template({
        templateComponents: [
          { type: 'body', parameters: textParams('a', 'b', 'c') },
          { type: 'body', parameters: textParams('a', 'b', 'c') },
        ],
      }),
      'templateVariables',
    ),
    '/templateComponents/1',
  ),

  // --- bad phone numbers -------------------------------------------------------------------
  invalid('phone with 7 digits', text({ phone: '1234567' }), '/phone'),
  invalid('phone with 16 digits', text({ phone: '1234567890123456' }), '/phone'),
  invalid('phone with letters', text({ phone: '91987abc210' }), '/phone'),
  invalid('phone with a leading 0', text({ phone: '0919876543210' }), '/phone'),
  invalid('empty phone', text({ phone: '' }), '/phone'),
  invalid('phone is only "+"', text({ phone: '+' }), '/phone'),
  invalid('phone with two plus signs', text({ phone: '++919876543210' }), '/phone'),
  invalid('phone with a trailing newline', text({ phone: `${PHONE}\n` }), '/phone'),
  invalid(
    'phone padded to 40 characters with spaces',
    text({ phone: `+91 ${'  '.repeat(14)}9876543210` }),
    '/phone',
  ),
  invalid('phone in Arabic-Indic digits', text({ phone: '٩١٩٨٧٦٥٤٣٢١٠' }), '/phone'),
  invalid('phone in full-width digits', text({ phone: '９１９８７６５４３２１０' }), '/phone'),
  invalid('phone with a zero-width space', text({ phone: `91987\u200b6543210` }), '/phone'),

  // --- ids ---------------------------------------------------------------------------------
  invalid('contactId is not a UUID', without(text({ contactId: 'not-a-uuid' }), 'phone'), '/contactId'),
  invalid('contactId is SQL', without(text({ contactId: "' OR 1=1 --" }), 'phone'), '/contactId'),
  invalid('contactId is a number', without(text({ contactId: 12 }), 'phone'), '/contactId'),
  invalid('phoneNumberId is not a UUID', text({ phoneNumberId: 'abc' }), '/phoneNumberId'),
  invalid(
    'phoneNumberId is a UUID with a trailing newline',
    text({ phoneNumberId: `${randomUUID()}\n` }),
    '/phoneNumberId',
  ),
  unprocessable(
    'contactId of another workspace',
    (f) => ({ json: without(text({ contactId: f.otherContactId }), 'phone') }),
    'CONTACT_NOT_FOUND',
    '/contactId',
  ),
  unprocessable(
    'contactId that exists nowhere',
    json(without(text({ contactId: randomUUID() }), 'phone')),
    'CONTACT_NOT_FOUND',
    '/contactId',
  ),
  unprocessable(
    'contactId of an opted-out contact',
    (f) => ({ json: without(text({ contactId: f.optedOutContactId }), 'phone') }),
    'CONTACT_OPTED_OUT',
    '/contactId',
  ),
  unprocessable(
    'phoneNumberId of another workspace',
    (f) => ({ json: text({ phoneNumberId: f.other.phoneNumberId }) }),
    'PHONE_NUMBER_NOT_FOUND',
    '/phoneNumberId',
  ),
  unprocessable(
    'phoneNumberId that exists nowhere',
    json(text({ phoneNumberId: randomUUID() })),
    'PHONE_NUMBER_NOT_FOUND',
    '/phoneNumberId',
  ),
  {
    ...unprocessable('a workspace without a sending number', json(text()), 'NO_SENDING_NUMBER', null),
    as: 'numberless',
  },

  // --- stored templates --------------------------------------------------------------------
  unprocessable(
    'unknown template',
    json(template({ templateName: 'no_such_template' })),
    'TEMPLATE_NOT_FOUND',
    '/templateName',
  ),
  unprocessable(
    'template of another workspace',
    json(template({ templateName: 'other_workspace_only' })),
    'TEMPLATE_NOT_FOUND',
    '/templateName',
  ),
  unprocessable(
    'unknown template language',
    json(template({ templateLanguage: 'fr' })),
    'TEMPLATE_NOT_FOUND',
    '/templateLanguage',
  ),
  unprocessable(
    'PENDING template',
    json(template({ templateName: 'promo_pending' })),
    'TEMPLATE_NOT_APPROVED',
    '/templateName',
  ),
  unprocessable(
    'REJECTED template',
    json(template({ templateName: 'promo_rejected' })),
    'TEMPLATE_NOT_APPROVED',
    '/templateName',
  ),
  unprocessable(
    'template variable missing',
    json(template({ templateVariables: { '1': 'Jane', '2': 'x' } })),
    'TEMPLATE_PARAMS_MISMATCH',
    '/templateVariables/3',
  ),
  unprocessable(
    'template variable extra',
    json(template({ templateVariables: { ...orderVars, '4': 'extra' } })),
    'TEMPLATE_PARAMS_MISMATCH',
    '/templateVariables/4',
  ),
  unprocessable(
    'template without any variables',
    json(without(template(), 'templateVariables')),
    'TEMPLATE_PARAMS_MISMATCH',
    '/templateVariables/1',
  ),
  unprocessable(
    'named variable "constructor" on a positional template',
    json(template({ templateVariables: { ...orderVars, constructor: 'x' } })),
    'TEMPLATE_PARAMS_MISMATCH',
    '/templateVariables/constructor',
  ),
  unprocessable(
    'advanced form with 2 of 3 body parameters',
    json(advanced(textParams('Jane', 'x'))),
    'TEMPLATE_PARAMS_MISMATCH',
    '/templateComponents/0/parameters',
  ),

  // --- limits and names the advanced form must meet like the simple one (docs/meta-cloud-api.md §1.7) ---
  unprocessable(
    'advanced form of a NAMED template without parameter_name',
    json(namedAdvanced(textParams('Ana', '$10'))),
    'TEMPLATE_PARAMS_MISMATCH',
    '/templateComponents/0/parameters/0/parameter_name',
    { message: /named parameters.*parameter_name/ },
  ),
  unprocessable(
    'advanced form of a NAMED template with a name it does not declare',
    json(
      namedAdvanced([
        { type: 'text', parameter_name: 'first_name', text: 'Ana' },
        { type: 'text', parameter_name: 'amount', text: '$10' },
      ]),
    ),
    'TEMPLATE_PARAMS_MISMATCH',
    '/templateComponents/0/parameters/1/parameter_name',
    { message: /no \{\{amount\}\}/ },
  ),
  unprocessable(
    'advanced form whose body is over 1024 characters once filled in',
    json(advanced(textParams(long(600, 'a'), long(600, 'b'), 'c'))),
    'TEMPLATE_PARAMS_MISMATCH',
    '/templateComponents/0/parameters',
    { message: /would be \d+ characters once filled in; the limit is 1024/ },
  ),
  unprocessable(
    'header text over 60 characters once filled in (simple form)',
    json(
      template({
        templateName: 'shipping_header',
        templateVariables: { '1': 'today', header_text: long(50) },
      }),
    ),
    'TEMPLATE_PARAMS_MISMATCH',
    '/templateVariables/header_text',
    { message: /header would be 63 characters.*limit is 60/ },
  ),
  unprocessable(
    'header text over 60 characters once filled in (advanced form)',
    json(
      without(
        template({
          templateName: 'shipping_header',
          templateComponents: [
            { type: 'header', parameters: textParams(long(50)) },
            { type: 'body', parameters: textParams('today') },
          ],
        }),
        'templateVariables',
      ),
    ),
    'TEMPLATE_PARAMS_MISMATCH',
    '/templateComponents/0/parameters',
    { message: /header would be 63 characters.*limit is 60/ },
  ),
  unprocessable(
    'carousel card body over 160 characters once filled in (simple form)',
    json(template({ templateName: 'summer_carousel', templateVariables: carouselVars(long(150)) })),
    'TEMPLATE_PARAMS_MISMATCH',
    '/templateVariables/c0_1',
    { message: /card 0's body would be 162 characters.*limit is 160/ },
  ),
  unprocessable(
    'carousel card body over 160 characters once filled in (structured carousel form)',
    json(
      template({
        templateName: 'summer_carousel',
        templateVariables: carouselVars('Sandals'),
        carousel: { cards: [{ index: 0, bodyValues: { '1': long(150) } }] },
      }),
    ),
    'TEMPLATE_PARAMS_MISMATCH',
    '/carousel/cards/0/bodyValues/1',
    { message: /card 0's body would be 162 characters/ },
  ),
  unprocessable(
    'carousel card body over 160 characters once filled in (advanced form)',
    json(
      without(
        template({
          templateName: 'summer_carousel',
          templateComponents: [
            { type: 'body', parameters: textParams('Ana') },
            {
              type: 'carousel',
              cards: [0, 1].map((card_index) => ({
                card_index,
                components: [
                  {
                    type: 'header',
                    parameters: [
                      { type: 'image', image: { link: `https://cdn.example.com/${card_index}.jpg` } },
                    ],
                  },
                  { type: 'body', parameters: textParams(card_index === 0 ? long(151) : 'Hat', 'Shop') },
                  {
                    type: 'button',
                    sub_type: 'url',
                    index: '0',
                    parameters: textParams(`sku-${card_index}`),
                  },
                ],
              })),
            },
          ],
        }),
        'templateVariables',
      ),
    ),
    'TEMPLATE_PARAMS_MISMATCH',
    '/templateComponents/1/cards/0/components/1/parameters',
    { message: /card 0's body would be 161 characters.*limit is 160/ },
  ),

  // --- Idempotency-Key ---------------------------------------------------------------------
  invalid('Idempotency-Key of 256 characters', text(), 'Idempotency-Key', {
    headers: { 'Idempotency-Key': long(256, 'k') },
  }),
  invalid('Idempotency-Key with non-ASCII (UTF-8 bytes)', text(), 'Idempotency-Key', {
    headers: { 'Idempotency-Key': Buffer.from('ключ-1', 'utf8').toString('latin1') },
  }),
  invalid('Idempotency-Key with a space', text(), 'Idempotency-Key', {
    headers: { 'Idempotency-Key': 'a b' },
  }),
  invalid('empty Idempotency-Key', text(), 'Idempotency-Key', { headers: { 'Idempotency-Key': '' } }),

  // --- prototype pollution -----------------------------------------------------------------
  invalid(
    '"__proto__" at the top level',
    raw(`{"__proto__":{"polluted":true},${VALID_TEXT.slice(1)}`),
    '/__proto__',
  ),
  invalid(
    '"constructor.prototype" at the top level',
    raw(`{"constructor":{"prototype":{"polluted":true}},${VALID_TEXT.slice(1)}`),
    '/constructor',
  ),
  invalid(
    '"__proto__" inside templateVariables',
    raw(
      JSON.stringify(template()).replace(
        '"templateVariables":{',
        '"templateVariables":{"__proto__":{"polluted":true},',
      ),
    ),
    '/templateVariables/__proto__',
  ),
  invalid(
    '"__proto__" inside interactive content',
    raw(
      `{"type":"interactive","phone":"${PHONE}","content":{"__proto__":{"polluted":true},"type":"button","body":"b","buttons":[{"id":"a","title":"A"}]}}`,
    ),
    '/content/__proto__',
  ),
  invalid(
    '"__proto__" inside a JSON-string interactive content',
    interactive(
      '{"__proto__":{"polluted":true},"type":"button","body":"b","buttons":[{"id":"a","title":"A"}]}',
    ),
    '/content/__proto__',
  ),

  // --- odd unicode -------------------------------------------------------------------------
  invalid(
    'content is a lone high surrogate (JSON escape)',
    raw(`{"type":"text","phone":"${PHONE}","content":"a\\ud800b"}`),
    '/content',
  ),
  invalid(
    'content is a lone low surrogate (JSON escape)',
    raw(`{"type":"text","phone":"${PHONE}","content":"\\udc00"}`),
    '/content',
  ),
  invalid('content with a NUL character', text({ content: 'a\u0000b' }), '/content'),
  invalid(
    'template variable with a NUL character',
    template({ templateVariables: { ...orderVars, '1': 'Ja\u0000ne' } }),
    '/templateVariables/1',
  ),
  malformed(
    'content holding a lone surrogate as raw bytes (CESU-8 ED A0 80, invalid UTF-8)',
    Buffer.concat([
      Buffer.from(`{"type":"text","phone":"${PHONE}","content":"a`),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from('b"}'),
    ]),
  ),
  malformed(
    'content holding a truncated UTF-8 sequence (E2 82)',
    Buffer.concat([
      Buffer.from(`{"type":"text","phone":"${PHONE}","content":"a`),
      Buffer.from([0xe2, 0x82]),
      Buffer.from('b"}'),
    ]),
  ),
  invalid(
    'location name with a lone surrogate',
    raw(`{"type":"location","phone":"${PHONE}","latitude":1,"longitude":2,"name":"\\udfff"}`),
    '/name',
  ),

  invalid(
    'NUL inside a JSON-string interactive content',
    interactive(JSON.stringify({ ...buttons('A'), body: 'a\u0000b' })),
    '/content/body',
    { message: /NUL/ },
  ),
  invalid(
    'lone surrogate inside a JSON-string interactive content (escaped in the inner JSON)',
    interactive('{"type":"button","body":"a\\ud800b","buttons":[{"id":"a","title":"A"}]}'),
    '/content/body',
    { message: /lone surrogate/ },
  ),
  invalid(
    'NUL in a reply button title inside a JSON-string interactive content',
    interactive(JSON.stringify(buttons('A\u0000'))),
    '/content/buttons/0/title',
  ),
  invalid(
    'NUL in a list row id of a JSON-string interactive content (Meta form)',
    interactive(
      JSON.stringify({
        type: 'list',
        body: { text: 'Pick' },
        action: { button: 'Options', sections: [{ rows: [{ id: 'r\u0000', title: 'Row' }] }] },
      }),
    ),
    '/content/action/sections/0/rows/0/id',
  ),
  invalid(
    'NUL in an object interactive content',
    interactive({ ...buttons('A'), footer: '\u0000' }),
    '/content/footer',
  ),
  invalid(
    'NUL deep inside free-form flow button data',
    raw(
      JSON.stringify(advanced(textParams('Jane', 'x', 'y'))).replace(
        /\]\}\]/,
        `]},{"type":"button","sub_type":"flow","index":"0","parameters":[{"type":"action","action":{"flow_action_data":{"deep":${nested(40, '[', ']', '"a\\u0000"')}}}}]}]`,
      ),
    ),
    '/templateComponents/1/parameters/0/action/flow_action_data/deep/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0',
    { message: /NUL characters \(15 levels below this path\)/ },
  ),

  // --- deep nesting ------------------------------------------------------------------------
  invalid(
    'content nested 10,000 arrays deep',
    raw(`{"type":"text","phone":"${PHONE}","content":${nested(10_000, '[', ']')}}`),
    '/content',
  ),
  invalid(
    'unknown field nested 10,000 objects deep',
    raw(`${VALID_TEXT.slice(0, -1)},"x":${nested(10_000, '{"a":', '}')}}`),
    '/x',
  ),
  invalid(
    'unknown field nested 100,000 arrays deep',
    raw(`${VALID_TEXT.slice(0, -1)},"x":${nested(100_000, '[', ']')}}`),
    '/x',
  ),
  invalid(
    'interactive JSON-string content nested 10,000 arrays deep',
    interactive(nested(10_000, '[', ']')),
    '/content',
  ),

  ...[10_000, 100_000].map((depth) =>
    unprocessable(
      `flow button action data nested ${depth.toLocaleString('en')} arrays deep (schema allows any JSON there)`,
      raw(
        JSON.stringify(advanced(textParams('Jane', 'x', 'y'))).replace(
          /\]\}\]/,
          `]},{"type":"button","sub_type":"flow","index":"0","parameters":[{"type":"action","action":{"flow_action_data":{"deep":${nested(depth, '[', ']')}}}}]}]`,
        ),
      ),
      'TEMPLATE_PARAMS_MISMATCH',
      '/templateComponents/1/index',
      { headers: { 'Idempotency-Key': 'deep-flow' } },
    ),
  ),

  // --- not JSON ----------------------------------------------------------------------------
  malformed('truncated JSON', VALID_TEXT.slice(0, -5)),
  malformed('single-quoted JSON', `{'type':'text','phone':'${PHONE}','content':'hi'}`),
  malformed('trailing comma', `${VALID_TEXT.slice(0, -1)},}`),
  malformed('NaN literal', `{"type":"location","phone":"${PHONE}","latitude":NaN,"longitude":1}`),
  malformed('JavaScript comment', `/* hi */${VALID_TEXT}`),
  malformed('two JSON documents', `${VALID_TEXT}${VALID_TEXT}`),
  malformed(
    'invalid UTF-8 bytes outside any string',
    Buffer.concat([
      Buffer.from('{"type":"text",'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(`"phone":"${PHONE}"}`),
    ]),
  ),

  // --- content type, encoding and size -----------------------------------------------------
  unsupported('text/plain with a JSON body', VALID_TEXT, 'text/plain'),
  unsupported(
    'form-encoded body',
    `type=text&phone=${PHONE}&content=hi`,
    'application/x-www-form-urlencoded',
  ),
  unsupported(
    'multipart body',
    '--b\r\nContent-Disposition: form-data; name="type"\r\n\r\ntext\r\n--b--\r\n',
    'multipart/form-data; boundary=b',
  ),
  unsupported('no content type with a JSON body', VALID_TEXT, null),
  unsupported('application/xml', `<message type="text"/>`, 'application/xml'),
  unsupported('JSON declared as application/merge-patch+json', VALID_TEXT, 'application/merge-patch+json'),
  unsupported('JSON declared as ISO-8859-1', VALID_TEXT, 'application/json; charset=iso-8859-1'),
  {
    name: 'unsupported Content-Encoding',
    payload: raw(VALID_TEXT, 'application/json', 'compress'),
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    path: null,
  },
  {
    name: 'a 2 MB body',
    payload: json(text({ content: long(2 * 1024 * 1024) })),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    path: null,
  },
  {
    name: 'a 300 KB body (over the 256 KB limit)',
    payload: json(text({ content: long(300 * 1024) })),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    path: null,
  },
];

/**
 * Odd but valid input: accepted (201) and stored exactly as meant. Each case checks the Cloud API
 * payload that was stored for it.
 */
interface AcceptedCase {
  name: string;
  payload: Payload;
  headers?: Headers;
  stored: (payload: Record<string, unknown>) => void;
}

const storedText = (expected: string) => (p: Record<string, unknown>) =>
  expect(p['text']).toEqual({ body: expected, preview_url: false });

const ODD_TEXTS: Array<[string, string]> = [
  ['an RTL override in the content', 'abc\u202edcba\u202c done'],
  ['an emoji ZWJ sequence and combining marks', '👩‍👩‍👧 family, e\u0301 accented, 🇮🇳 flag'],
  ['U+2028 and U+2029 separators', 'line\u2028separator\u2029paragraph'],
  ['content that looks like SQL', "'; DROP TABLE messages; --"],
  ['content that looks like HTML', '<script>alert(1)</script><img src=x onerror=alert(1)>'],
  ['content that looks like a prototype path', '__proto__.polluted = true; constructor.prototype'],
  ['content of exactly 4096 characters', long(4096)],
  ['content of 4096 astral characters (8192 UTF-16 units)', long(4096, '😀')],
  ['newlines, tabs and space runs (allowed in text, unlike template parameters)', 'a\n\tb     c'],
];

const ACCEPTED: AcceptedCase[] = [
  ...ODD_TEXTS.map(([name, content]): AcceptedCase => ({
    name,
    payload: { json: text({ content }) },
    stored: storedText(content),
  })),
  {
    name: 'a phone with +, spaces and dashes',
    payload: { json: text({ phone: '+1 555-000-1234' }) },
    stored: (p) => expect(p['to']).toBe('15550001234'),
  },
  {
    name: 'a template variable with exactly four consecutive spaces',
    payload: { json: template({ templateVariables: { ...orderVars, '2': 'ORD    1' } }) },
    stored: (p) => expect(JSON.stringify(p['template'])).toContain('"ORD    1"'),
  },
  {
    name: 'an image caption of exactly 1024 characters',
    payload: { json: media('image', { caption: long(1024) }) },
    stored: (p) => expect(p['image']).toEqual({ link: 'https://example.com/file.bin', caption: long(1024) }),
  },
  {
    name: 'latitude 90 and longitude -180 (the bounds)',
    payload: { json: location({ latitude: 90, longitude: -180 }) },
    stored: (p) => expect(p['location']).toEqual({ latitude: 90, longitude: -180 }),
  },
  {
    name: 'an Idempotency-Key of exactly 255 visible ASCII characters',
    payload: { json: text({ content: 'keyed' }) },
    headers: { 'Idempotency-Key': `${'!~'.repeat(127)}k` },
    stored: storedText('keyed'),
  },
  {
    name: 'JSON declared and encoded as UTF-16 (an RFC 8259 utf-* charset body-parser decodes)',
    payload: {
      raw: Buffer.from(JSON.stringify(text({ content: 'héllo ₹ 😀' })), 'utf16le'),
      contentType: 'application/json; charset=utf-16',
    },
    stored: storedText('héllo ₹ 😀'),
  },
  {
    name: 'a UTF-8 byte order mark before the JSON',
    payload: {
      raw: Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from(JSON.stringify(text({ content: 'bom' }))),
      ]),
      contentType: 'application/json',
    },
    stored: storedText('bom'),
  },
  {
    name: 'pretty-printed JSON with tabs and CRLF, keys in another order, upper-case charset',
    payload: {
      raw: JSON.stringify({ content: 'pretty', phone: PHONE, type: 'text' }, null, '\t').replace(
        /\n/g,
        '\r\n',
      ),
      contentType: 'application/json; charset=UTF-8',
    },
    stored: storedText('pretty'),
  },
];

/** Valid bodies (for the workspace's templates): the seeds of the mutation fuzz. */
const VALID_BODIES: Array<Record<string, unknown>> = [
  text(),
  text({ phone: '+91 98765-43210', previewUrl: true }),
  template(),
  template({
    templateName: 'payment_thank_you',
    templateVariables: { '1': 'A', '2': '₹1', '3': 'INV-1', '4': 'B' },
  }),
  advanced(textParams('Jane', 'ORD-1', 'today')),
  template({
    templateName: 'summer_carousel',
    templateVariables: {
      '1': 'Ana',
      c0_header: 'https://cdn.example.com/0.jpg',
      c0_1: 'Sandals',
      c0_2: '$12',
      c0_button_0: 'sku-0',
      c1_header: 'https://cdn.example.com/1.jpg',
      c1_1: 'Hat',
      c1_2: '$15',
      c1_button_0: 'sku-1',
    },
  }),
  interactive(JSON.stringify(buttons('Yes', 'No'))),
  interactive(list([{ title: 'A', rows: rows(2) }])),
  interactive({
    type: 'cta_url',
    body: 'See dates',
    displayText: 'See Dates',
    url: 'https://example.com/book',
  }),
  media('image', { caption: 'A' }),
  media('document', { filename: 'invoice.pdf', caption: 'Invoice' }),
  without(media('sticker', { mediaId: '43' }), 'mediaUrl'),
  location({ name: 'HQ', address: '1 Hacker Way' }),
];

/** Sends one payload with the given headers. */
function send(app: TestApp['app'], headers: Headers, payload: Payload): Promise<Response> {
  const req = request(app).post(SEND).set(headers);
  if ('json' in payload) return req.send(payload.json as object);
  if (payload.contentType !== null) req.set('Content-Type', payload.contentType);
  if (payload.contentEncoding !== undefined) req.set('Content-Encoding', payload.contentEncoding);
  if (typeof payload.raw === 'string') return req.send(payload.raw);
  // superagent would run a Buffer through the serializer of its content type (JSON.stringify
  // turns it into {"type":"Buffer",…}); the identity serializer sends the bytes as they are.
  const bytes = payload.raw;
  return req.serialize(() => bytes as unknown as string).send(bytes);
}

interface ErrorBody {
  success: false;
  error: {
    code: string;
    message: string;
    requestId: string;
    details?: Array<{ path: string; message: string }>;
  };
}

const LEAKS: Array<[string, RegExp]> = [
  ['a stack trace', /\bat [\w.<>]+ \(|\bat (?:async )?\/|\n\s+at /],
  ['a file path', /(?:\/work\/|\/home\/|\/usr\/|node_modules|\.ts:\d+|\.js:\d+)/],
  ['SQL', /\b(?:select \S+ from|insert into|update \S+ set|delete from|returning)\b/i],
  ['a database error', /\b(?:postgres|knex|jsonb|pg_|sqlstate|relation ")/i],
  ['an error class name', /\b(?:TypeError|RangeError|SyntaxError|ReferenceError)\b/],
];

/** The envelope of docs/contracts.md §2.4, with the expected code and path, and nothing leaked. */
function expectErrorEnvelope(
  res: Response,
  c: Pick<HostileCase, 'status' | 'code' | 'path' | 'message'>,
): void {
  const body = res.body as ErrorBody;
  expect({ status: res.status, code: body.error?.code }).toEqual({ status: c.status, code: c.code });
  expect(res.headers['content-type']).toMatch(/^application\/json\b/);
  expect(body.success).toBe(false);
  expect(Object.keys(body).sort()).toEqual(['error', 'success']);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(body.error.requestId).toEqual(expect.any(String));
  expect(body.error.requestId).toBe(res.headers['x-request-id']);
  for (const k of Object.keys(body.error)) expect(['code', 'message', 'details', 'requestId']).toContain(k);
  if (c.path === null) {
    // No details: absent, or (the envelope's newer form) an empty list.
    expect(body.error.details ?? []).toEqual([]);
  } else {
    const paths = (body.error.details ?? []).map((d) => d.path);
    expect(paths).toContain(c.path);
    if (c.message !== undefined)
      expect(body.error.details?.find((d) => d.path === c.path)?.message).toMatch(c.message);
    for (const d of body.error.details ?? []) {
      expect(typeof d.message).toBe('string');
      expect(d.message.length).toBeGreaterThan(0);
    }
  }
  for (const [what, re] of LEAKS)
    expect({ what, match: re.exec(res.text)?.[0] }).toEqual({ what, match: undefined });
}

describe('POST /api/v1/public/messages/send with hostile input', () => {
  let t: TestApp;
  let f: Fixture;

  async function partner(withTemplates: boolean): Promise<Partner> {
    const ws = await createWorkspace(t.runtime.db);
    const { phoneNumberId } = await addPhoneNumber(t.runtime.db, t.config.secretKey, ws.workspaceId);
    if (withTemplates) {
      await addTemplate(t.runtime.db, ws.workspaceId, ORDER_CONFIRMATION);
      await addTemplate(t.runtime.db, ws.workspaceId, PAYMENT_THANK_YOU);
      const carousel = DEMO_TEMPLATES.find((x) => x['name'] === 'summer_carousel');
      if (!carousel) throw new Error('summer_carousel is missing from DEMO_TEMPLATES');
      await addTemplate(t.runtime.db, ws.workspaceId, carousel);
      await addTemplate(t.runtime.db, ws.workspaceId, NAMED_BALANCE);
      await addTemplate(t.runtime.db, ws.workspaceId, SHIPPING_HEADER);
      await addTemplate(t.runtime.db, ws.workspaceId, {
        ...PAYMENT_THANK_YOU,
        name: 'promo_pending',
        status: 'PENDING',
      });
      await addTemplate(t.runtime.db, ws.workspaceId, {
        ...PAYMENT_THANK_YOU,
        name: 'promo_rejected',
        status: 'REJECTED',
      });
    }
    const key = await createApiKey(t.runtime.db, ws.workspaceId);
    return {
      workspaceId: ws.workspaceId,
      phoneNumberId,
      headers: { apiKey: key.apiKey, apiSecret: key.apiSecret },
    };
  }

  /** What a workspace has stored (the Cloud API payloads, so a failure shows what got through). */
  async function stored(workspaceId: string): Promise<unknown[]> {
    const rows = await t.runtime
      .db('messages')
      .where({ workspace_id: workspaceId })
      .select<Array<{ payload: unknown }>>('payload');
    return rows.map((r) => r.payload);
  }

  beforeAll(async () => {
    t = await createTestApp();
    const main = await partner(true);
    const other = await partner(false);
    await addTemplate(t.runtime.db, other.workspaceId, {
      ...ORDER_CONFIRMATION,
      name: 'other_workspace_only',
    });
    const otherContactId = randomUUID();
    const optedOutContactId = randomUUID();
    await t.runtime.db('contacts').insert([
      { id: otherContactId, workspace_id: other.workspaceId, phone: PHONE },
      // Its own number: an opted-out contact refuses sends by phone too (docs/contracts.md §9).
      { id: optedOutContactId, workspace_id: main.workspaceId, phone: '919876500000', opted_out: true },
    ]);
    const bare = await createWorkspace(t.runtime.db);
    const bareKey = await createApiKey(t.runtime.db, bare.workspaceId);
    f = {
      main,
      other,
      otherContactId,
      optedOutContactId,
      numberless: {
        workspaceId: bare.workspaceId,
        headers: { apiKey: bareKey.apiKey, apiSecret: bareKey.apiSecret },
      },
    };
  });
  afterAll(async () => {
    await t.close();
  });

  it(`the table has at least 80 cases with unique names (${CASES.length})`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(80);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it.each(CASES.map((c) => [c.name, c] as const))(
    'when %s, then the exact 4xx envelope',
    async (_name, c) => {
      const headers = { ...(c.as === 'numberless' ? f.numberless.headers : f.main.headers), ...c.headers };
      const res = await send(t.app, headers, c.payload(f));
      expectErrorEnvelope(res, c);
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty('polluted');
    },
  );

  it('after the whole table, no workspace has a stored message', async () => {
    expect(await stored(f.main.workspaceId)).toEqual([]);
    expect(await stored(f.numberless.workspaceId)).toEqual([]);
    expect(await stored(f.other.workspaceId)).toEqual([]);
  });
});

describe('POST /api/v1/public/messages/send with odd but valid input', () => {
  let t: TestApp;
  let headers: Headers;
  let workspaceId: string;

  beforeAll(async () => {
    t = await createTestApp();
    const ws = await createWorkspace(t.runtime.db);
    await addPhoneNumber(t.runtime.db, t.config.secretKey, ws.workspaceId);
    await addTemplate(t.runtime.db, ws.workspaceId, ORDER_CONFIRMATION);
    const key = await createApiKey(t.runtime.db, ws.workspaceId);
    headers = { apiKey: key.apiKey, apiSecret: key.apiSecret };
    workspaceId = ws.workspaceId;
  });
  afterAll(async () => {
    await t.close();
  });

  it.each(ACCEPTED.map((c) => [c.name, c] as const))(
    'when %s, then 201 and exactly that is stored',
    async (_name, c) => {
      const res = await send(t.app, { ...headers, ...c.headers }, c.payload);
      expect({ status: res.status, body: res.body as unknown }).toEqual({
        status: 201,
        body: {
          success: true,
          data: {
            id: expect.any(String),
            status: 'ACCEPTED',
            message: 'Message received and being sent to the recipient.',
          },
        },
      });
      const id = (res.body as { data: { id: string } }).data.id;
      const row = await t.runtime
        .db('messages')
        .where({ id, workspace_id: workspaceId })
        .first<{ payload: Record<string, unknown> } | undefined>();
      expect(row).toBeDefined();
      c.stored(row?.payload ?? {});
    },
  );

  it('the seeds of the mutation fuzz are all valid as they are', async () => {
    const ws = await createWorkspace(t.runtime.db);
    await addPhoneNumber(t.runtime.db, t.config.secretKey, ws.workspaceId);
    for (const tpl of fuzzTemplates()) await addTemplate(t.runtime.db, ws.workspaceId, tpl);
    const key = await createApiKey(t.runtime.db, ws.workspaceId);
    for (const body of VALID_BODIES) {
      const res = await request(t.app)
        .post(SEND)
        .set({ apiKey: key.apiKey, apiSecret: key.apiSecret })
        .send(body);
      expect({ body, status: res.status, error: (res.body as Partial<ErrorBody>).error }).toEqual({
        body,
        status: 201,
        error: undefined,
      });
    }
  });
});

function fuzzTemplates(): Array<Record<string, unknown>> {
  const carousel = DEMO_TEMPLATES.find((x) => x['name'] === 'summer_carousel');
  if (!carousel) throw new Error('summer_carousel is missing from DEMO_TEMPLATES');
  return [ORDER_CONFIRMATION, PAYMENT_THANK_YOU, carousel];
}

type FieldPath = ReadonlyArray<string | number>;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every field of a JSON value, at any depth (not the root). */
function fieldPaths(value: unknown, prefix: FieldPath = []): FieldPath[] {
  const children: Array<[string | number, unknown]> = Array.isArray(value)
    ? value.map((v, i): [number, unknown] => [i, v])
    : isObject(value)
      ? Object.entries(value)
      : [];
  return children.flatMap(([k, v]) => [[...prefix, k], ...fieldPaths(v, [...prefix, k])]);
}

/** A copy of `root` with the field at `path` replaced (`remove`: deleted); a missing path changes nothing. */
function updateAt(root: unknown, path: FieldPath, value: unknown, remove: boolean): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  if (Array.isArray(root) && typeof head === 'number' && head < root.length) {
    const copy = [...root];
    if (remove && rest.length === 0) copy.splice(head, 1);
    else copy[head] = updateAt(copy[head], rest, value, remove);
    return copy;
  }
  if (isObject(root) && typeof head === 'string' && Object.hasOwn(root, head)) {
    const copy = { ...root };
    if (remove && rest.length === 0) delete copy[head];
    else copy[head] = updateAt(copy[head], rest, value, remove);
    return copy;
  }
  return root;
}
const replaceAt = (root: unknown, path: FieldPath, value: unknown) => updateAt(root, path, value, false);
const removeAt = (root: unknown, path: FieldPath) => updateAt(root, path, undefined, true);

/** Fixed, so a run is reproducible; FUZZ_SEED overrides it to explore further. */
const FUZZ_SEED = Number(process.env['FUZZ_SEED'] ?? 20_240_611);
const FUZZ_RUNS = { arbitrary: 100, mutated: 200, bytes: 50 } as const;

describe('POST /api/v1/public/messages/send under property-based fuzzing', () => {
  let t: TestApp;
  let headers: Headers;
  let workspaceId: string;
  const accepted: string[] = [];
  const statuses = new Map<number, number>();

  beforeAll(async () => {
    t = await createTestApp();
    const ws = await createWorkspace(t.runtime.db);
    await addPhoneNumber(t.runtime.db, t.config.secretKey, ws.workspaceId);
    for (const tpl of fuzzTemplates()) await addTemplate(t.runtime.db, ws.workspaceId, tpl);
    const key = await createApiKey(t.runtime.db, ws.workspaceId);
    headers = { apiKey: key.apiKey, apiSecret: key.apiSecret };
    workspaceId = ws.workspaceId;
  });
  afterAll(async () => {
    console.log(
      `fuzz (seed ${FUZZ_SEED}): ${[...statuses]
        .sort(([a], [b]) => a - b)
        .map(([s, n]) => `${n}×${s}`)
        .join(', ')}; ${accepted.length} accepted`,
    );
    await t.close();
  });

  /** Never a 5xx; a 201 is the success envelope, anything else the error envelope with its documented status. */
  async function check(payload: Payload): Promise<void> {
    const res = await send(t.app, headers, payload);
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    expect(res.headers['content-type']).toMatch(/^application\/json\b/);
    if (res.status === 201) {
      const data = (res.body as { success: true; data: { id: string; status: string } }).data;
      expect(data.status).toBe('ACCEPTED');
      expect(res.headers['location']).toBe(`/api/v1/public/messages/${data.id}`);
      accepted.push(data.id);
      return;
    }
    const body = res.body as ErrorBody;
    expect({ status: res.status, success: body.success }).toEqual({
      status: expect.any(Number),
      success: false,
    });
    expect([400, 413, 415, 422]).toContain(res.status);
    const documented = (ERROR_CODES as Record<string, { status: number } | undefined>)[body.error.code];
    expect({ code: body.error.code, status: documented?.status }).toEqual({
      code: body.error.code,
      status: res.status,
    });
    expect(body.error.requestId).toBe(res.headers['x-request-id']);
    for (const [what, re] of LEAKS)
      expect({ what, match: re.exec(res.text)?.[0] }).toEqual({ what, match: undefined });
  }

  // Strings from the whole of UTF-16 (lone surrogates and control characters included) as well as
  // ordinary text: the API must answer 4xx or store the message, never fail.
  const anyJson = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.jsonValue({ maxDepth: 4, stringUnit: 'grapheme' }),
    fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' }),
  );
  /**
   * One UTF-16 code unit of text, often a troublesome one: a control character (NUL, newline,
   * tab…), a lone surrogate, or a bidi / zero-width / BOM character.
   */
  const hostileChar = fc.oneof(
    { weight: 6, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)) },
    { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
    { weight: 1, arbitrary: fc.constantFrom('\u202e', '\u200b', '\ufeff', '\u2028', ' ') },
  );
  /** Replacement values: any JSON, strings of every kind, and a few known troublemakers. */
  const replacement = fc.oneof(
    { weight: 2, arbitrary: anyJson },
    { weight: 3, arbitrary: fc.string({ unit: hostileChar, maxLength: 16 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 16 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<unknown>(
        '',
        '     ',
        'a\nb',
        '\u0000',
        '\ud800',
        '\u202e',
        long(5000),
        -0,
        1e308,
        -1,
        2 ** 53,
        [],
        {},
        null,
      ),
    },
  );
  /** 1 or 2 fields, at any depth, replaced by a random value or deleted; sometimes an extra field. */
  const mutatedBody = fc
    .constantFrom(...VALID_BODIES)
    .chain((base) =>
      fc.tuple(
        fc.constant(base),
        fc.subarray(fieldPaths(base), { minLength: 1, maxLength: 2 }),
        fc.array(fc.option(replacement, { freq: 5 }), { minLength: 2, maxLength: 2 }),
        fc.oneof(
          { weight: 9, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 12 }), anyJson) },
        ),
      ),
    )
    .map(([base, paths, values, extra]) => {
      let body: unknown = structuredClone(base);
      paths.forEach((path, i) => {
        const value = values[i];
        body = value === null || value === undefined ? removeAt(body, path) : replaceAt(body, path, value);
      });
      if (extra !== undefined && isObject(body)) body = { ...body, [extra[0]]: extra[1] };
      return body;
    });

  it(`when the body is an arbitrary JSON value (${FUZZ_RUNS.arbitrary} runs), then never a 5xx and always the envelope`, async () => {
    await fc.assert(
      fc.asyncProperty(anyJson, async (value) => {
        await check({ raw: JSON.stringify(value), contentType: 'application/json' });
      }),
      { numRuns: FUZZ_RUNS.arbitrary, seed: FUZZ_SEED },
    );
  });

  it(`when a valid body has fields replaced by random JSON, deleted or added (${FUZZ_RUNS.mutated} runs), then never a 5xx and always the envelope`, async () => {
    await fc.assert(
      fc.asyncProperty(mutatedBody, async (body) => {
        await check({ raw: JSON.stringify(body), contentType: 'application/json' });
      }),
      { numRuns: FUZZ_RUNS.mutated, seed: FUZZ_SEED },
    );
  });

  it(`when the body is arbitrary bytes declared as JSON (${FUZZ_RUNS.bytes} runs), then never a 5xx and always the envelope`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 512 }), async (bytes) => {
        await check({ raw: Buffer.from(bytes), contentType: 'application/json' });
      }),
      { numRuns: FUZZ_RUNS.bytes, seed: FUZZ_SEED },
    );
  });

  it('then every 201 of the fuzz runs is a stored message, and nothing else was stored', async () => {
    const rows = await t.runtime
      .db('messages')
      .where({ workspace_id: workspaceId })
      .select<Array<{ id: string }>>('id');
    expect(rows.map((r) => r.id).sort()).toEqual([...accepted].sort());
  });
});
