/**
 * Checks a `POST /{phone-number-id}/messages` body the way the Cloud API does, and answers with
 * the code Meta would use. Written by hand because Meta's OpenAPI file is wrong or silent on
 * several points (docs/meta-cloud-api.md §10: no carousel template, no cta_url, no copy_code, a bogus
 * button-index pattern, `language.policy` marked required, media without caption/filename).
 *
 * Codes:
 * - 100 "Invalid parameter": not an object, a value of the wrong JSON type, an unexpected key,
 *   `messaging_product` missing or not `whatsapp` (Graph-level problems);
 * - 131008 "Required parameter is missing": a required field absent or empty;
 * - 131009 "Parameter value is not valid": a value out of range or too long, a bad enum value,
 *   duplicate button titles/ids, both `id` and `link` on a media object;
 * - 132001 template name/language malformed (such a template can not exist);
 * - 132000 / 132005 / 132012 / 132018: template parameter count, length, format and text-policy
 *   problems that can be seen without knowing the approved template.
 *
 * Every limit of docs/meta-cloud-api.md §1.7 is enforced. Where Meta's behaviour is not documented (the
 * exact card `type` values of interactive carousels, say) the check is lenient rather than
 * inventing a rule; those places are marked "lenient".
 */

export const MESSAGE_TYPES = [
  'text',
  'image',
  'video',
  'audio',
  'document',
  'sticker',
  'location',
  'contacts',
  'interactive',
  'template',
  'reaction',
] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export interface CheckedMessage {
  ok: true;
  kind: 'message';
  type: MessageType;
  /** `to` as sent (absent when only `recipient` is given). */
  to: string | undefined;
  recipient: string | undefined;
  bizOpaque: string | undefined;
  templateName: string | undefined;
}
export interface CheckedStatus {
  ok: true;
  kind: 'status';
}
export interface BodyViolation {
  ok: false;
  code: number;
  details: string;
}
export type BodyCheck = CheckedMessage | CheckedStatus | BodyViolation;

export const CODE_INVALID = 100;
export const CODE_MISSING = 131008;
export const CODE_VALUE = 131009;
export const CODE_TEMPLATE_MISSING = 132001;
export const CODE_TEMPLATE_PARAM_COUNT = 132000;
export const CODE_TEMPLATE_TEXT_TOO_LONG = 132005;
export const CODE_TEMPLATE_FORMAT = 132012;
export const CODE_TEMPLATE_PARAM_TEXT = 132018;

class Invalid extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
  ) {
    super(details);
  }
}

function fail(code: number, details: string): never {
  throw new Invalid(code, details);
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Length in characters (code points), as a person counts them; emoji count as one. */
function charLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++;
  }
  return n;
}

function keysOf(set: readonly string[]): ReadonlySet<string> {
  return new Set(set);
}

/** `v` must be an object with only `allowed` keys. */
function asObj(v: unknown, path: string, allowed: ReadonlySet<string>): Obj {
  if (!isObj(v)) fail(CODE_INVALID, `${path} must be a JSON object, got ${typeName(v)}`);
  for (const k in v) {
    if (!allowed.has(k)) fail(CODE_INVALID, `Unexpected key "${k}" on param "${path}"`);
  }
  return v;
}

function reqObj(o: Obj, key: string, path: string, allowed: ReadonlySet<string>): Obj {
  const v = o[key];
  if (v === undefined) fail(CODE_MISSING, `${path}.${key} is required`);
  return asObj(v, `${path}.${key}`, allowed);
}

interface StrOpts {
  max?: number;
  /** Allow the empty string (a reaction's emoji). */
  allowEmpty?: boolean;
  /** Code used for a too-long value (default 131009). */
  tooLongCode?: number;
}

function checkStr(v: unknown, path: string, required: boolean, opts: StrOpts): string {
  if (typeof v !== 'string') fail(CODE_INVALID, `${path} must be a string, got ${typeName(v)}`);
  if (!opts.allowEmpty && v.trim() === '') {
    fail(required ? CODE_MISSING : CODE_VALUE, `${path} must not be empty`);
  }
  if (opts.max !== undefined && v.length > opts.max) {
    const n = charLength(v);
    if (n > opts.max)
      fail(opts.tooLongCode ?? CODE_VALUE, `${path} must be at most ${opts.max} characters (got ${n})`);
  }
  return v;
}

function reqStr(o: Obj, key: string, path: string, opts: StrOpts = {}): string {
  const v = o[key];
  if (v === undefined) fail(CODE_MISSING, `${path}.${key} is required`);
  return checkStr(v, `${path}.${key}`, true, opts);
}

function optStr(o: Obj, key: string, path: string, opts: StrOpts = {}): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  return checkStr(v, `${path}.${key}`, false, opts);
}

function optBool(o: Obj, key: string, path: string): void {
  const v = o[key];
  if (v !== undefined && typeof v !== 'boolean')
    fail(CODE_INVALID, `${path}.${key} must be a boolean, got ${typeName(v)}`);
}

function reqArr(o: Obj, key: string, path: string): unknown[] {
  const v = o[key];
  if (v === undefined) fail(CODE_MISSING, `${path}.${key} is required`);
  if (!Array.isArray(v)) fail(CODE_INVALID, `${path}.${key} must be an array, got ${typeName(v)}`);
  return v;
}

function enumStr<T extends string>(
  o: Obj,
  key: string,
  path: string,
  values: readonly T[],
  required = true,
): T | undefined {
  const v = o[key];
  if (v === undefined) {
    if (required) fail(CODE_MISSING, `${path}.${key} is required`);
    return undefined;
  }
  if (typeof v !== 'string') fail(CODE_INVALID, `${path}.${key} must be a string, got ${typeName(v)}`);
  if (!(values as readonly string[]).includes(v)) {
    fail(CODE_VALUE, `${path}.${key} must be one of ${values.join(', ')} (got "${v}")`);
  }
  return v as T;
}

function checkUrl(v: string, path: string): void {
  if (v.length > 2000) fail(CODE_VALUE, `${path} must be at most 2000 characters`);
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    fail(CODE_VALUE, `${path} is not a valid URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    fail(CODE_VALUE, `${path} must be an http(s) URL`);
}

/** Accepts an integer or a string of digits (Meta's examples use both for indexes). */
function indexValue(o: Obj, key: string, path: string, max: number): number {
  const v = o[key];
  if (v === undefined) fail(CODE_MISSING, `${path}.${key} is required`);
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^\d{1,3}$/.test(v)) n = Number(v);
  else fail(CODE_VALUE, `${path}.${key} must be a zero-based integer index, got ${JSON.stringify(v)}`);
  if (!Number.isInteger(n) || n < 0 || n > max)
    fail(CODE_VALUE, `${path}.${key} must be an integer from 0 to ${max} (got ${n})`);
  return n;
}

function coordinate(o: Obj, key: string, path: string, limit: number): void {
  const v = o[key];
  if (v === undefined) fail(CODE_MISSING, `${path}.${key} is required`);
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) n = Number(v);
  else fail(CODE_INVALID, `${path}.${key} must be a number, got ${typeName(v)}`);
  if (!Number.isFinite(n) || n < -limit || n > limit) {
    fail(CODE_VALUE, `${path}.${key} must be between -${limit} and ${limit} (got ${n})`);
  }
}

// ---------------------------------------------------------------------------------------------
// Envelope
// ---------------------------------------------------------------------------------------------

const ENVELOPE_KEYS = [
  'messaging_product',
  'recipient_type',
  'to',
  'recipient',
  'type',
  'context',
  'biz_opaque_callback_data',
] as const;
const ENVELOPE_KEY_SET: ReadonlySet<string> = new Set(ENVELOPE_KEYS);
const STATUS_KEYS = keysOf(['messaging_product', 'status', 'message_id', 'typing_indicator']);
const CONTEXT_KEYS = keysOf(['message_id']);
const PHONE_SEPARATORS = /[\s\-().]/g;

export function checkMessageBody(body: unknown): BodyCheck {
  try {
    return checkBody(body);
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, code: err.code, details: err.details };
    throw err;
  }
}

function checkBody(body: unknown): CheckedMessage | CheckedStatus {
  if (!isObj(body)) fail(CODE_INVALID, `The request body must be a JSON object, got ${typeName(body)}`);
  const product = body['messaging_product'];
  if (product === undefined) fail(CODE_INVALID, 'The parameter messaging_product is required.');
  if (product !== 'whatsapp')
    fail(CODE_INVALID, `Param messaging_product must be "whatsapp" (got ${JSON.stringify(product)})`);

  // Mark-as-read / typing indicator shares the endpoint.
  if (body['status'] !== undefined && body['type'] === undefined) {
    const o = asObj(body, 'body', STATUS_KEYS);
    enumStr(o, 'status', 'body', ['read']);
    reqStr(o, 'message_id', 'body');
    if (o['typing_indicator'] !== undefined) {
      const t = asObj(o['typing_indicator'], 'typing_indicator', keysOf(['type']));
      enumStr(t, 'type', 'typing_indicator', ['text']);
    }
    return { ok: true, kind: 'status' };
  }

  const type = enumStr(body, 'type', 'body', MESSAGE_TYPES) as MessageType;
  for (const k in body) {
    if (k !== type && !ENVELOPE_KEY_SET.has(k))
      fail(CODE_INVALID, `Unexpected key "${k}" on param "body" (type is "${type}")`);
  }

  const recipientType =
    enumStr(body, 'recipient_type', 'body', ['individual', 'group'], false) ?? 'individual';
  const to = optStr(body, 'to', 'body');
  const recipient = optStr(body, 'recipient', 'body', { max: 256 });
  if (to === undefined && recipient === undefined) fail(CODE_MISSING, 'body.to is required');
  if (to !== undefined && recipientType === 'individual') {
    const digits = to.replace(PHONE_SEPARATORS, '').replace(/^\+/, '');
    if (!/^\d{5,15}$/.test(digits)) fail(CODE_VALUE, `body.to is not a valid phone number (got "${to}")`);
  }
  if (body['context'] !== undefined) {
    const c = asObj(body['context'], 'context', CONTEXT_KEYS);
    reqStr(c, 'message_id', 'context');
  }
  const bizOpaque = optStr(body, 'biz_opaque_callback_data', 'body', { max: 512, allowEmpty: true });

  let templateName: string | undefined;
  switch (type) {
    case 'text':
      checkText(body);
      break;
    case 'image':
    case 'video':
    case 'audio':
    case 'document':
    case 'sticker':
      checkMediaMessage(body, type);
      break;
    case 'location':
      checkLocation(reqObj(body, 'location', 'body', LOCATION_KEYS), 'location', true);
      break;
    case 'interactive':
      checkInteractive(body);
      break;
    case 'template':
      templateName = checkTemplate(body);
      break;
    case 'reaction':
      checkReaction(body);
      break;
    case 'contacts':
      checkContacts(body);
      break;
  }
  return { ok: true, kind: 'message', type, to, recipient, bizOpaque, templateName };
}

// ---------------------------------------------------------------------------------------------
// text, media, location, reaction, contacts
// ---------------------------------------------------------------------------------------------

const TEXT_KEYS = keysOf(['body', 'preview_url']);

function checkText(body: Obj): void {
  const t = reqObj(body, 'text', 'body', TEXT_KEYS);
  reqStr(t, 'body', 'text', { max: 4096 });
  optBool(t, 'preview_url', 'text');
}

const MEDIA_KEYS: Readonly<
  Record<'image' | 'video' | 'audio' | 'document' | 'sticker', ReadonlySet<string>>
> = {
  image: keysOf(['id', 'link', 'caption']),
  video: keysOf(['id', 'link', 'caption']),
  document: keysOf(['id', 'link', 'caption', 'filename']),
  // No caption on audio and sticker.
  audio: keysOf(['id', 'link']),
  sticker: keysOf(['id', 'link']),
};

/** `{id}` xor `{link}`; `allowed` decides about caption / filename. */
function checkMediaObject(v: unknown, path: string, allowed: ReadonlySet<string>): void {
  const m = asObj(v, path, allowed);
  const hasId = m['id'] !== undefined;
  const hasLink = m['link'] !== undefined;
  if (hasId && hasLink) fail(CODE_VALUE, `${path}: exactly one of id or link is allowed, not both`);
  if (!hasId && !hasLink) fail(CODE_MISSING, `${path}: one of id or link is required`);
  if (hasId) checkStr(m['id'], `${path}.id`, true, { max: 256 });
  else checkUrl(checkStr(m['link'], `${path}.link`, true, {}), `${path}.link`);
  optStr(m, 'caption', path, { max: 1024 });
  optStr(m, 'filename', path, { max: 240 });
}

function checkMediaMessage(body: Obj, kind: 'image' | 'video' | 'audio' | 'document' | 'sticker'): void {
  if (body[kind] === undefined) fail(CODE_MISSING, `body.${kind} is required`);
  checkMediaObject(body[kind], kind, MEDIA_KEYS[kind]);
}

const LOCATION_KEYS = keysOf(['latitude', 'longitude', 'name', 'address']);

function checkLocation(l: Obj, path: string, withText: boolean): void {
  coordinate(l, 'latitude', path, 90);
  coordinate(l, 'longitude', path, 180);
  if (withText) {
    optStr(l, 'name', path, { max: 1000 });
    optStr(l, 'address', path, { max: 1000 });
  }
}

function checkReaction(body: Obj): void {
  const r = reqObj(body, 'reaction', 'body', keysOf(['message_id', 'emoji']));
  reqStr(r, 'message_id', 'reaction');
  // An empty emoji removes a reaction.
  if (r['emoji'] === undefined) fail(CODE_MISSING, 'reaction.emoji is required');
  checkStr(r['emoji'], 'reaction.emoji', true, { allowEmpty: true, max: 10 });
}

const CONTACT_KEYS = keysOf(['addresses', 'birthday', 'emails', 'name', 'org', 'phones', 'urls']);

/** Lenient beyond the required `name.formatted_name`: the partner API does not send contacts. */
function checkContacts(body: Obj): void {
  const contacts = reqArr(body, 'contacts', 'body');
  if (contacts.length === 0) fail(CODE_MISSING, 'body.contacts must not be empty');
  if (contacts.length > 257) fail(CODE_VALUE, 'body.contacts has too many entries');
  contacts.forEach((c, i) => {
    const o = asObj(c, `contacts[${i}]`, CONTACT_KEYS);
    const name = reqObj(
      o,
      'name',
      `contacts[${i}]`,
      keysOf(['formatted_name', 'first_name', 'last_name', 'middle_name', 'suffix', 'prefix']),
    );
    reqStr(name, 'formatted_name', `contacts[${i}].name`);
  });
}

// ---------------------------------------------------------------------------------------------
// interactive
// ---------------------------------------------------------------------------------------------

const INTERACTIVE_TYPES = [
  'button',
  'list',
  'cta_url',
  'carousel',
  'flow',
  'product',
  'product_list',
  'catalog_message',
  'call_permission_request',
  'location_request_message',
] as const;
const INTERACTIVE_KEYS = keysOf(['type', 'header', 'body', 'footer', 'action']);
const HEADER_KEYS = keysOf(['type', 'text', 'image', 'video', 'document', 'sub_text']);
const TEXT_ONLY_KEYS = keysOf(['text']);
const HEADER_MEDIA_KEYS: Readonly<Record<string, ReadonlySet<string>>> = {
  image: keysOf(['id', 'link']),
  video: keysOf(['id', 'link']),
  document: keysOf(['id', 'link', 'filename']),
};

function checkInteractive(body: Obj): void {
  const it = reqObj(body, 'interactive', 'body', INTERACTIVE_KEYS);
  const type = enumStr(it, 'type', 'interactive', INTERACTIVE_TYPES)!;
  const path = 'interactive';
  switch (type) {
    case 'button':
      checkInteractiveHeader(it, ['text', 'image', 'video', 'document']);
      checkInteractiveBody(it, true, 1024);
      checkFooter(it);
      checkReplyButtons(reqObj(it, 'action', path, keysOf(['buttons'])));
      break;
    case 'list':
      checkInteractiveHeader(it, ['text']);
      checkInteractiveBody(it, true, 1024);
      checkFooter(it);
      checkList(reqObj(it, 'action', path, keysOf(['button', 'sections'])));
      break;
    case 'cta_url':
      checkInteractiveHeader(it, ['text', 'image', 'video', 'document']);
      checkInteractiveBody(it, true, 1024);
      checkFooter(it);
      checkCtaUrlAction(reqObj(it, 'action', path, keysOf(['name', 'parameters'])), 'interactive.action');
      break;
    case 'carousel':
      if (it['header'] !== undefined) fail(CODE_VALUE, 'interactive.header is not allowed on a carousel');
      if (it['footer'] !== undefined) fail(CODE_VALUE, 'interactive.footer is not allowed on a carousel');
      checkInteractiveBody(it, true, 1024);
      checkInteractiveCarousel(reqObj(it, 'action', path, keysOf(['cards'])));
      break;
    case 'flow':
    case 'product':
    case 'product_list':
    case 'catalog_message':
    case 'call_permission_request':
    case 'location_request_message':
      // lenient (the partner API does not send these): shared parts only.
      checkInteractiveHeader(it, ['text', 'image', 'video', 'document']);
      checkInteractiveBody(it, type !== 'product' && type !== 'call_permission_request', 1024);
      checkFooter(it);
      if (it['action'] === undefined) fail(CODE_MISSING, 'interactive.action is required');
      if (!isObj(it['action'])) fail(CODE_INVALID, 'interactive.action must be a JSON object');
  }
}

function checkInteractiveHeader(it: Obj, allowed: readonly string[]): void {
  if (it['header'] === undefined) return;
  const h = asObj(it['header'], 'interactive.header', HEADER_KEYS);
  const t = enumStr(h, 'type', 'interactive.header', ['text', 'image', 'video', 'document'])!;
  if (!allowed.includes(t))
    fail(CODE_VALUE, `interactive.header.type "${t}" is not allowed here (allowed: ${allowed.join(', ')})`);
  for (const k in h) {
    if (k !== 'type' && k !== t)
      fail(CODE_INVALID, `Unexpected key "${k}" on param "interactive.header" (type is "${t}")`);
  }
  if (t === 'text') reqStr(h, 'text', 'interactive.header', { max: 60 });
  else {
    if (h[t] === undefined) fail(CODE_MISSING, `interactive.header.${t} is required`);
    checkMediaObject(h[t], `interactive.header.${t}`, HEADER_MEDIA_KEYS[t] ?? keysOf(['id', 'link']));
  }
}

function checkInteractiveBody(it: Obj, required: boolean, max: number): void {
  if (it['body'] === undefined) {
    if (required) fail(CODE_MISSING, 'interactive.body is required');
    return;
  }
  const b = asObj(it['body'], 'interactive.body', TEXT_ONLY_KEYS);
  reqStr(b, 'text', 'interactive.body', { max });
}

function checkFooter(it: Obj): void {
  if (it['footer'] === undefined) return;
  const f = asObj(it['footer'], 'interactive.footer', TEXT_ONLY_KEYS);
  reqStr(f, 'text', 'interactive.footer', { max: 60 });
}

const REPLY_BUTTON_KEYS = keysOf(['type', 'reply']);
const REPLY_KEYS = keysOf(['id', 'title']);

function checkReplyButtons(action: Obj): void {
  const buttons = reqArr(action, 'buttons', 'interactive.action');
  if (buttons.length === 0) fail(CODE_MISSING, 'interactive.action.buttons must contain at least 1 button');
  if (buttons.length > 3)
    fail(CODE_VALUE, `interactive.action.buttons must contain at most 3 buttons (got ${buttons.length})`);
  const ids = new Set<string>();
  const titles = new Set<string>();
  buttons.forEach((raw, i) => {
    const path = `interactive.action.buttons[${i}]`;
    const b = asObj(raw, path, REPLY_BUTTON_KEYS);
    enumStr(b, 'type', path, ['reply']);
    const reply = reqObj(b, 'reply', path, REPLY_KEYS);
    const id = reqStr(reply, 'id', `${path}.reply`, { max: 256 });
    const title = reqStr(reply, 'title', `${path}.reply`, { max: 20 });
    if (ids.has(id)) fail(CODE_VALUE, `${path}.reply.id "${id}" is not unique`);
    if (titles.has(title)) fail(CODE_VALUE, `${path}.reply.title "${title}" is not unique`);
    ids.add(id);
    titles.add(title);
  });
}

const SECTION_KEYS = keysOf(['title', 'rows']);
const ROW_KEYS = keysOf(['id', 'title', 'description']);

function checkList(action: Obj): void {
  reqStr(action, 'button', 'interactive.action', { max: 20 });
  const sections = reqArr(action, 'sections', 'interactive.action');
  if (sections.length === 0)
    fail(CODE_MISSING, 'interactive.action.sections must contain at least 1 section');
  if (sections.length > 10)
    fail(CODE_VALUE, `interactive.action.sections must contain at most 10 sections (got ${sections.length})`);
  const rowIds = new Set<string>();
  let totalRows = 0;
  sections.forEach((raw, i) => {
    const path = `interactive.action.sections[${i}]`;
    const s = asObj(raw, path, SECTION_KEYS);
    if (sections.length > 1 && s['title'] === undefined) {
      fail(CODE_MISSING, `${path}.title is required when there is more than one section`);
    }
    optStr(s, 'title', path, { max: 24 });
    const rows = reqArr(s, 'rows', path);
    if (rows.length === 0) fail(CODE_MISSING, `${path}.rows must contain at least 1 row`);
    totalRows += rows.length;
    if (totalRows > 10) fail(CODE_VALUE, 'interactive.action.sections may contain at most 10 rows in total');
    rows.forEach((rawRow, j) => {
      const rp = `${path}.rows[${j}]`;
      const r = asObj(rawRow, rp, ROW_KEYS);
      const id = reqStr(r, 'id', rp, { max: 200 });
      reqStr(r, 'title', rp, { max: 24 });
      optStr(r, 'description', rp, { max: 72 });
      if (rowIds.has(id)) fail(CODE_VALUE, `${rp}.id "${id}" is not unique`);
      rowIds.add(id);
    });
  });
}

const CTA_PARAM_KEYS = keysOf(['display_text', 'url']);

function checkCtaUrlAction(action: Obj, path: string): void {
  enumStr(action, 'name', path, ['cta_url']);
  const p = reqObj(action, 'parameters', path, CTA_PARAM_KEYS);
  reqStr(p, 'display_text', `${path}.parameters`, { max: 20 });
  checkUrl(reqStr(p, 'url', `${path}.parameters`), `${path}.parameters.url`);
}

const ICARD_KEYS = keysOf(['card_index', 'type', 'header', 'body', 'action']);
const QUICK_REPLY_BUTTON_KEYS = keysOf(['type', 'quick_reply']);

function checkInteractiveCarousel(action: Obj): void {
  const cards = reqArr(action, 'cards', 'interactive.action');
  if (cards.length < 2 || cards.length > 10) {
    fail(CODE_VALUE, `interactive.action.cards must contain 2 to 10 cards (got ${cards.length})`);
  }
  const seen = new Set<number>();
  let headerType: string | undefined;
  let shape: string | undefined;
  cards.forEach((raw, i) => {
    const path = `interactive.action.cards[${i}]`;
    const c = asObj(raw, path, ICARD_KEYS);
    const idx = indexValue(c, 'card_index', path, cards.length - 1);
    if (seen.has(idx)) fail(CODE_VALUE, `${path}.card_index ${idx} is not unique`);
    seen.add(idx);
    // lenient: the documented values are cta_url (URL button) and button / quick_reply.
    enumStr(c, 'type', path, ['cta_url', 'button', 'quick_reply'], false);
    const h = reqObj(c, 'header', path, HEADER_KEYS);
    const ht = enumStr(h, 'type', `${path}.header`, ['image', 'video'])!;
    for (const k in h)
      if (k !== 'type' && k !== ht) fail(CODE_INVALID, `Unexpected key "${k}" on param "${path}.header"`);
    if (h[ht] === undefined) fail(CODE_MISSING, `${path}.header.${ht} is required`);
    checkMediaObject(h[ht], `${path}.header.${ht}`, keysOf(['id', 'link']));
    if (headerType !== undefined && ht !== headerType)
      fail(CODE_VALUE, `${path}.header.type must be the same on every card`);
    headerType = ht;
    if (c['body'] !== undefined)
      reqStr(asObj(c['body'], `${path}.body`, TEXT_ONLY_KEYS), 'text', `${path}.body`, { max: 160 });
    const a = reqObj(c, 'action', path, keysOf(['name', 'parameters', 'buttons']));
    let cardShape: string;
    if (a['buttons'] !== undefined) {
      if (a['name'] !== undefined || a['parameters'] !== undefined) {
        fail(CODE_INVALID, `${path}.action must have either buttons or name/parameters, not both`);
      }
      const buttons = reqArr(a, 'buttons', `${path}.action`);
      // lenient on the count: Meta documents quick replies but no per-card maximum below 3.
      if (buttons.length === 0 || buttons.length > 3)
        fail(CODE_VALUE, `${path}.action.buttons must contain 1 to 3 buttons`);
      const ids = new Set<string>();
      buttons.forEach((rb, j) => {
        const bp = `${path}.action.buttons[${j}]`;
        const b = asObj(rb, bp, QUICK_REPLY_BUTTON_KEYS);
        enumStr(b, 'type', bp, ['quick_reply']);
        const q = reqObj(b, 'quick_reply', bp, REPLY_KEYS);
        const id = reqStr(q, 'id', `${bp}.quick_reply`, { max: 256 });
        reqStr(q, 'title', `${bp}.quick_reply`, { max: 20 });
        if (ids.has(id)) fail(CODE_VALUE, `${bp}.quick_reply.id "${id}" is not unique`);
        ids.add(id);
      });
      cardShape = `quick_reply:${buttons.length}`;
    } else {
      checkCtaUrlAction(a, `${path}.action`);
      cardShape = 'cta_url';
    }
    if (shape !== undefined && shape !== cardShape) {
      fail(CODE_VALUE, `${path}.action: every card must have the same button kind and count`);
    }
    shape = cardShape;
  });
}

// ---------------------------------------------------------------------------------------------
// template
// ---------------------------------------------------------------------------------------------

const TEMPLATE_KEYS = keysOf(['name', 'language', 'components']);
const LANGUAGE_KEYS = keysOf(['code', 'policy']);
const COMPONENT_TYPES = ['header', 'body', 'button', 'carousel', 'limited_time_offer'] as const;
const HEADER_COMPONENT_KEYS = keysOf(['type', 'parameters']);
const BUTTON_COMPONENT_KEYS = keysOf(['type', 'sub_type', 'index', 'parameters']);
const CAROUSEL_COMPONENT_KEYS = keysOf(['type', 'cards']);
const CARD_KEYS = keysOf(['card_index', 'components']);
const BUTTON_SUB_TYPES = ['quick_reply', 'url', 'copy_code', 'flow', 'catalog', 'mpm'] as const;
const TEMPLATE_NAME = /^[a-z0-9_]{1,512}$/;
const LANGUAGE_CODE = /^[a-z]{2,3}(_[A-Z]{2})?$/;
/** Newline, tab, or more than four consecutive spaces (Meta error 132018). */
const BAD_PARAM_TEXT = /[\n\r\t]| {5,}/;

function checkTemplate(body: Obj): string {
  const t = reqObj(body, 'template', 'body', TEMPLATE_KEYS);
  const name = reqStr(t, 'name', 'template');
  const lang = reqObj(t, 'language', 'template', LANGUAGE_KEYS);
  const code = reqStr(lang, 'code', 'template.language');
  enumStr(lang, 'policy', 'template.language', ['deterministic'], false);
  if (!LANGUAGE_CODE.test(code))
    fail(CODE_TEMPLATE_MISSING, `template language (${code}) is not a valid locale`);
  if (!TEMPLATE_NAME.test(name)) {
    fail(
      CODE_TEMPLATE_MISSING,
      `template name (${name}) does not exist in ${code} (names are lowercase letters, digits and _)`,
    );
  }
  if (t['components'] === undefined) return name;
  const components = reqArr(t, 'components', 'template');
  const seen = new Set<string>();
  const buttonIndexes = new Set<number>();
  components.forEach((raw, i) => {
    const path = `template.components[${i}]`;
    if (!isObj(raw)) fail(CODE_INVALID, `${path} must be a JSON object, got ${typeName(raw)}`);
    const type = enumStr(raw, 'type', path, COMPONENT_TYPES)!;
    if (type !== 'button') {
      if (seen.has(type)) fail(CODE_VALUE, `${path}: only one ${type} component is allowed`);
      seen.add(type);
    }
    switch (type) {
      case 'header':
        checkHeaderComponent(asObj(raw, path, HEADER_COMPONENT_KEYS), path, false);
        break;
      case 'body':
        checkBodyComponent(asObj(raw, path, HEADER_COMPONENT_KEYS), path, 1024);
        break;
      case 'button': {
        const idx = checkButtonComponent(asObj(raw, path, BUTTON_COMPONENT_KEYS), path, 9);
        if (buttonIndexes.has(idx))
          fail(CODE_VALUE, `${path}.index ${idx} is used by more than one button component`);
        buttonIndexes.add(idx);
        break;
      }
      case 'carousel':
        checkTemplateCarousel(asObj(raw, path, CAROUSEL_COMPONENT_KEYS), path);
        break;
      case 'limited_time_offer':
        checkLimitedTimeOffer(asObj(raw, path, HEADER_COMPONENT_KEYS), path);
        break;
    }
  });
  if (seen.has('carousel') && (seen.has('header') || buttonIndexes.size > 0)) {
    fail(
      CODE_TEMPLATE_PARAM_COUNT,
      'template.components: a carousel template takes only body and carousel components at message level',
    );
  }
  return name;
}

function checkHeaderComponent(c: Obj, path: string, inCard: boolean): string {
  const params = reqArr(c, 'parameters', path);
  if (params.length !== 1) {
    fail(
      params.length === 0 ? CODE_MISSING : CODE_TEMPLATE_PARAM_COUNT,
      `${path}: header takes exactly 1 parameter (got ${params.length})`,
    );
  }
  const pp = `${path}.parameters[0]`;
  const p = params[0];
  if (!isObj(p)) fail(CODE_INVALID, `${pp} must be a JSON object, got ${typeName(p)}`);
  const allowed = inCard
    ? (['image', 'video', 'product'] as const)
    : (['text', 'image', 'video', 'document', 'location'] as const);
  const type = enumStr(p, 'type', pp, allowed)!;
  switch (type) {
    case 'text':
      checkTextParam(p, pp, 60);
      break;
    case 'image':
    case 'video':
    case 'document':
      asObj(p, pp, keysOf(['type', type]));
      if (p[type] === undefined) fail(CODE_MISSING, `${pp}.${type} is required`);
      checkMediaObject(
        p[type],
        `${pp}.${type}`,
        type === 'document' ? keysOf(['id', 'link', 'filename']) : keysOf(['id', 'link']),
      );
      break;
    case 'location': {
      asObj(p, pp, keysOf(['type', 'location']));
      checkLocation(reqObj(p, 'location', pp, LOCATION_KEYS), `${pp}.location`, true);
      break;
    }
    case 'product': {
      asObj(p, pp, keysOf(['type', 'product']));
      const prod = reqObj(p, 'product', pp, keysOf(['product_retailer_id', 'catalog_id']));
      reqStr(prod, 'product_retailer_id', `${pp}.product`);
      reqStr(prod, 'catalog_id', `${pp}.product`);
      break;
    }
  }
  return type;
}

function checkTextParam(p: Obj, path: string, maxLength: number): void {
  asObj(p, path, keysOf(['type', 'text', 'parameter_name']));
  const v = p['text'];
  if (v === undefined) fail(CODE_MISSING, `${path}: Parameter of type text is missing text value`);
  if (typeof v !== 'string') fail(CODE_INVALID, `${path}.text must be a string, got ${typeName(v)}`);
  if (v.trim() === '') fail(CODE_MISSING, `${path}: Parameter of type text is missing text value`);
  if (BAD_PARAM_TEXT.test(v)) {
    fail(
      CODE_TEMPLATE_PARAM_TEXT,
      `${path}.text: Param text cannot have new-line/tab characters or more than 4 consecutive spaces`,
    );
  }
  if (v.length > maxLength && charLength(v) > maxLength) {
    fail(
      CODE_TEMPLATE_TEXT_TOO_LONG,
      `${path}.text is longer than the ${maxLength} characters the component can hold`,
    );
  }
  if (p['parameter_name'] !== undefined) {
    const n = checkStr(p['parameter_name'], `${path}.parameter_name`, false, {});
    if (!/^[a-z0-9_]+$/.test(n))
      fail(CODE_VALUE, `${path}.parameter_name must be lowercase letters, digits and _`);
  }
}

const CURRENCY_KEYS = keysOf(['fallback_value', 'code', 'amount_1000']);
const DATE_TIME_KEYS = keysOf([
  'fallback_value',
  'day_of_week',
  'year',
  'month',
  'day_of_month',
  'hour',
  'minute',
  'calendar',
  'timestamp',
]);

function checkBodyComponent(c: Obj, path: string, maxLength: number): void {
  const params = reqArr(c, 'parameters', path);
  params.forEach((p, i) => {
    const pp = `${path}.parameters[${i}]`;
    if (!isObj(p)) fail(CODE_INVALID, `${pp} must be a JSON object, got ${typeName(p)}`);
    const type = enumStr(p, 'type', pp, ['text', 'currency', 'date_time'] as const)!;
    switch (type) {
      case 'text':
        checkTextParam(p, pp, maxLength);
        break;
      case 'currency': {
        asObj(p, pp, keysOf(['type', 'currency', 'parameter_name']));
        const cur = reqObj(p, 'currency', pp, CURRENCY_KEYS);
        reqStr(cur, 'fallback_value', `${pp}.currency`);
        const code = reqStr(cur, 'code', `${pp}.currency`);
        if (!/^[A-Z]{3}$/.test(code))
          fail(CODE_VALUE, `${pp}.currency.code must be an ISO 4217 code (got "${code}")`);
        const amount = cur['amount_1000'];
        if (amount === undefined) fail(CODE_MISSING, `${pp}.currency.amount_1000 is required`);
        if (typeof amount !== 'number') fail(CODE_INVALID, `${pp}.currency.amount_1000 must be a number`);
        if (!Number.isSafeInteger(amount)) fail(CODE_VALUE, `${pp}.currency.amount_1000 must be an integer`);
        break;
      }
      case 'date_time': {
        asObj(p, pp, keysOf(['type', 'date_time', 'parameter_name']));
        const dt = reqObj(p, 'date_time', pp, DATE_TIME_KEYS);
        reqStr(dt, 'fallback_value', `${pp}.date_time`);
        break;
      }
    }
  });
}

const BUTTON_PARAM: Readonly<Record<(typeof BUTTON_SUB_TYPES)[number], string>> = {
  quick_reply: 'payload',
  url: 'text',
  copy_code: 'coupon_code',
  flow: 'action',
  catalog: 'action',
  mpm: 'action',
};

/** Returns the button index. */
function checkButtonComponent(c: Obj, path: string, maxIndex: number): number {
  const subType = enumStr(c, 'sub_type', path, BUTTON_SUB_TYPES)!;
  const index = indexValue(c, 'index', path, maxIndex);
  const params = reqArr(c, 'parameters', path);
  if (params.length === 0) fail(CODE_MISSING, `${path}.parameters must contain 1 parameter`);
  if (params.length > 1)
    fail(
      CODE_TEMPLATE_PARAM_COUNT,
      `${path}: a ${subType} button takes exactly 1 parameter (got ${params.length})`,
    );
  const pp = `${path}.parameters[0]`;
  const expected = BUTTON_PARAM[subType];
  const p = asObj(params[0], pp, keysOf(['type', expected]));
  enumStr(p, 'type', pp, [expected]);
  switch (subType) {
    case 'quick_reply':
      reqStr(p, 'payload', pp, { max: 1000 });
      break;
    case 'url': {
      const suffix = reqStr(p, 'text', pp, { max: 2000 });
      if (/\s/.test(suffix)) fail(CODE_VALUE, `${pp}.text (URL suffix) must not contain whitespace`);
      break;
    }
    case 'copy_code':
      reqStr(p, 'coupon_code', pp, { max: 15 });
      break;
    case 'flow':
    case 'catalog':
    case 'mpm':
      // lenient: Flow/catalog action payloads are opaque to the sandbox.
      if (p['action'] === undefined) fail(CODE_MISSING, `${pp}.action is required`);
      if (!isObj(p['action'])) fail(CODE_INVALID, `${pp}.action must be a JSON object`);
      break;
  }
  return index;
}

function checkTemplateCarousel(c: Obj, path: string): void {
  const cards = reqArr(c, 'cards', path);
  if (cards.length === 0) fail(CODE_MISSING, `${path}.cards must contain at least 1 card`);
  if (cards.length > 10)
    fail(CODE_VALUE, `${path}.cards must contain at most 10 cards (got ${cards.length})`);
  const seen = new Set<number>();
  let firstShape: string | undefined;
  cards.forEach((raw, i) => {
    const cp = `${path}.cards[${i}]`;
    const card = asObj(raw, cp, CARD_KEYS);
    const idx = indexValue(card, 'card_index', cp, cards.length - 1);
    if (seen.has(idx)) fail(CODE_VALUE, `${cp}.card_index ${idx} is not unique`);
    seen.add(idx);
    const comps = reqArr(card, 'components', cp);
    let headerType: string | undefined;
    let hasBody = false;
    const buttons = new Map<number, string>();
    comps.forEach((rc, j) => {
      const p = `${cp}.components[${j}]`;
      if (!isObj(rc)) fail(CODE_INVALID, `${p} must be a JSON object, got ${typeName(rc)}`);
      const type = enumStr(rc, 'type', p, ['header', 'body', 'button'] as const)!;
      switch (type) {
        case 'header':
          if (headerType !== undefined) fail(CODE_VALUE, `${p}: only one header component per card`);
          headerType = checkHeaderComponent(asObj(rc, p, HEADER_COMPONENT_KEYS), p, true);
          break;
        case 'body':
          if (hasBody) fail(CODE_VALUE, `${p}: only one body component per card`);
          hasBody = true;
          checkBodyComponent(asObj(rc, p, HEADER_COMPONENT_KEYS), p, 160);
          break;
        case 'button': {
          const b = asObj(rc, p, BUTTON_COMPONENT_KEYS);
          const bi = checkButtonComponent(b, p, 1);
          if (buttons.has(bi))
            fail(CODE_VALUE, `${p}.index ${bi} is used by more than one button of the card`);
          buttons.set(bi, String(b['sub_type']));
          break;
        }
      }
    });
    if (headerType === undefined)
      fail(CODE_TEMPLATE_FORMAT, `${cp}: header component parameter should not be empty`);
    const shape = `${headerType}|${hasBody}|${[...buttons.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([k, v]) => `${k}:${v}`)
      .join(',')}`;
    if (firstShape !== undefined && shape !== firstShape) {
      fail(CODE_TEMPLATE_FORMAT, `${cp}: every card must have the same components as card 0`);
    }
    firstShape = shape;
  });
}

function checkLimitedTimeOffer(c: Obj, path: string): void {
  const params = reqArr(c, 'parameters', path);
  if (params.length !== 1)
    fail(CODE_TEMPLATE_PARAM_COUNT, `${path}: limited_time_offer takes exactly 1 parameter`);
  const pp = `${path}.parameters[0]`;
  const p = asObj(params[0], pp, keysOf(['type', 'limited_time_offer']));
  enumStr(p, 'type', pp, ['limited_time_offer']);
  const lto = reqObj(p, 'limited_time_offer', pp, keysOf(['expiration_time_ms']));
  const ms = lto['expiration_time_ms'];
  if (ms === undefined) fail(CODE_MISSING, `${pp}.limited_time_offer.expiration_time_ms is required`);
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms <= 0) {
    fail(CODE_VALUE, `${pp}.limited_time_offer.expiration_time_ms must be a positive integer (epoch ms)`);
  }
}
