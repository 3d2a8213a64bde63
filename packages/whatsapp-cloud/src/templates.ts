/**
 * Stored WhatsApp templates: choosing the one a send request names, the variables each expects,
 * and turning a request's values into the Cloud API `template` object (cloud-api.md §1.5–1.6).
 *
 * Everything here is pure and throws `UnprocessableError`s with stable codes, so the public API
 * can run it at accept time (422 with precise details) and the dispatcher again at send time.
 */
import { MEDIA_ID_PATTERN, type SendMessageRequest } from '@flowgate/contracts';
import { UnprocessableError, type ErrorDetail } from '@flowgate/errors';
import {
  asArray,
  isPositional,
  isRecord,
  readTemplateModel,
  templateKeys,
  templateSlots,
  type BubbleModel,
  type ButtonModel,
  type HeaderModel,
  type Slot,
  type TemplateModel,
} from './template-model';

export {
  validateTemplateDefinition,
  TEMPLATE_LIMITS,
  TEMPLATE_CATEGORIES,
  TEMPLATE_STATUSES,
} from './template-definition';
export type {
  TemplateDefinition,
  TemplateDefinitionError,
  TemplateDefinitionResult,
} from './template-definition';
export { templateKeys, readTemplateModel } from './template-model';
export type { TemplateModel, ParameterFormat } from './template-model';

/** The template variant of the normalised send request (`@flowgate/contracts`). */
export type TemplateSendRequest = Extract<SendMessageRequest, { type: 'template' }>;
type TemplateCarouselCard = NonNullable<TemplateSendRequest['carousel']>['cards'][number];

/** A workspace's copy of one template in one language. */
export interface StoredTemplate {
  id: string;
  name: string;
  language: string;
  category: string;
  status: string;
  /** As Meta's template management API returns them (HEADER, BODY, FOOTER, BUTTONS, CAROUSEL). */
  components: unknown[];
  /** The simple-form keys the template expects (`deriveTemplateVariables`), computed when stored. */
  variables: string[];
}

/** The Cloud API `template` object of a send body. */
export interface CloudApiTemplateObject {
  name: string;
  language: { code: string };
  components?: unknown[];
}

/** The simple-form keys a template expects, in a stable order: main bubble, then card by card. */
export function deriveTemplateVariables(components: readonly unknown[]): string[] {
  return templateSlots(readTemplateModel(components)).map((s) => s.key);
}

// ---------------------------------------------------------------------------------------------
// Selection
// ---------------------------------------------------------------------------------------------

const normaliseLanguage = (code: string): string => {
  const [base = '', region] = code.trim().replace('-', '_').split('_');
  return region === undefined ? base.toLowerCase() : `${base.toLowerCase()}_${region.toUpperCase()}`;
};
const baseLanguage = (code: string): string => normaliseLanguage(code).split('_')[0] ?? '';

/**
 * Picks the stored template a request names. `candidates` are the workspace's templates with
 * that name (any language, any status). Exact language wins; a bare language (`en`) matches a
 * regional one (`en_US`) only when it is the one candidate with that base language.
 */
export function selectTemplate(
  candidates: readonly StoredTemplate[],
  name: string,
  language?: string,
): StoredTemplate {
  const named = candidates.filter((t) => t.name === name);
  const available = named.map((t) => t.language).sort();
  if (named.length === 0) {
    throw new UnprocessableError('TEMPLATE_NOT_FOUND', `No template named "${name}" in this workspace.`, [
      { path: '/templateName', message: `no template named "${name}"` },
    ]);
  }

  let chosen: StoredTemplate | undefined;
  if (language === undefined || language.trim() === '') {
    if (named.length > 1) {
      throw new UnprocessableError(
        'TEMPLATE_LANGUAGE_AMBIGUOUS',
        `Template "${name}" exists in several languages (${available.join(', ')}); pass templateLanguage.`,
        [{ path: '/templateLanguage', message: `pass one of: ${available.join(', ')}` }],
      );
    }
    chosen = named[0];
  } else {
    const wanted = normaliseLanguage(language);
    chosen =
      named.find((t) => t.language === language) ??
      named.find((t) => normaliseLanguage(t.language) === wanted);
    if (!chosen && !wanted.includes('_')) {
      const sameBase = named.filter((t) => baseLanguage(t.language) === wanted);
      if (sameBase.length > 1) {
        const langs = sameBase.map((t) => t.language).sort();
        throw new UnprocessableError(
          'TEMPLATE_LANGUAGE_AMBIGUOUS',
          `Template "${name}" has several "${language}" variants (${langs.join(', ')}); pass the exact templateLanguage.`,
          [
            {
              path: '/templateLanguage',
              message: `"${language}" matches ${langs.join(', ')}; pass one of them`,
            },
          ],
        );
      }
      chosen = sameBase[0];
    }
    if (!chosen) {
      throw new UnprocessableError(
        'TEMPLATE_NOT_FOUND',
        `Template "${name}" has no "${language}" version (available: ${available.join(', ')}).`,
        [
          {
            path: '/templateLanguage',
            message: `no "${language}" version; available: ${available.join(', ')}`,
          },
        ],
      );
    }
  }
  if (!chosen) throw new Error('unreachable: a template was found');
  if (chosen.status !== 'APPROVED') {
    throw new UnprocessableError(
      'TEMPLATE_NOT_APPROVED',
      `Template "${name}" (${chosen.language}) is ${chosen.status}; only APPROVED templates can be sent.`,
      [{ path: '/templateName', message: `template status is ${chosen.status}, not APPROVED` }],
    );
  }
  return chosen;
}

// ---------------------------------------------------------------------------------------------
// Parameter rules
// ---------------------------------------------------------------------------------------------

/** Send-time limits (cloud-api.md §1.5, §1.7; filename and payload caps are Flowgate's, as in the request schema). */
export const TEMPLATE_PARAM_LIMITS = {
  couponCode: 15,
  url: 2000,
  hydratedBody: 1024,
  /** A text header once its variable is filled in (cloud-api.md §1.7: header 60). */
  hydratedHeaderText: 60,
  /** A carousel card's body once filled in (§1.7: card body 160). */
  hydratedCardBody: 160,
  mediaId: 256,
  filename: 240,
  quickReplyPayload: 1000,
} as const;

/** Meta's rule for parameter text (error 132018), and non-empty (an empty one is a count mismatch). */
export function textRuleViolation(text: string): string | undefined {
  if (text.trim().length === 0) return 'must not be empty';
  if (/[\r\n]/.test(text)) return 'must not contain a newline';
  if (text.includes('\t')) return 'must not contain a tab';
  if (/ {5,}/.test(text)) return 'must not contain more than 4 consecutive spaces';
  return undefined;
}

const pointer = (segment: string | number): string =>
  String(segment).replace(/~/g, '~0').replace(/\//g, '~1');

type MediaRef = { id: string } | { link: string };

const MEDIA_ID = new RegExp(MEDIA_ID_PATTERN);

/** A simple-form media value: an https link, or otherwise a media id. */
function parseMediaValue(value: string): MediaRef | string {
  if (/^https:\/\//i.test(value)) {
    try {
      new URL(value);
    } catch {
      return 'must be an https:// URL or a WhatsApp media id';
    }
    if (/\s/.test(value)) return 'must be an https:// URL or a WhatsApp media id';
    if (value.length > TEMPLATE_PARAM_LIMITS.url)
      return `link is longer than ${TEMPLATE_PARAM_LIMITS.url} characters`;
    return { link: value };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return 'links must use https';
  if (!MEDIA_ID.test(value) || value.length > TEMPLATE_PARAM_LIMITS.mediaId)
    return 'must be an https:// URL or a WhatsApp media id';
  return { id: value };
}

// ---------------------------------------------------------------------------------------------
// Simple form
// ---------------------------------------------------------------------------------------------

/** A value the request supplies for one key, and where in the request it came from. */
interface Provided {
  key: string;
  path: string;
  value: string;
  /** For media given structurally (`carousel.cards[].header`): which field it was. */
  media?: MediaRef;
  /** For structured media headers: the format the request declared. */
  mediaFormat?: string;
}

/** Why a detail was raised: counted in the error's summary line. */
type Reason = 'missing' | 'unexpected' | 'invalid' | 'count' | 'card_count' | 'too_long' | 'duplicate';

class Problems {
  readonly details: ErrorDetail[] = [];
  readonly reasons: Reason[] = [];
  add(path: string, message: string, reason: Reason): void {
    this.details.push({ path, message });
    this.reasons.push(reason);
  }
}

const subTypeOf = (b: ButtonModel): string | undefined =>
  b.value === 'url' || b.value === 'otp'
    ? 'url'
    : b.value === 'copy_code'
      ? 'copy_code'
      : b.value === 'quick_reply'
        ? 'quick_reply'
        : undefined;

/**
 * Values a request may add but need not: quick-reply payloads (`button_{i}`, `c{c}_button_{i}`)
 * and the file name of a DOCUMENT header (`header_filename`).
 */
function optionalKeys(model: TemplateModel): Map<string, 'payload' | 'filename'> {
  const keys = new Map<string, 'payload' | 'filename'>();
  if (model.header?.kind === 'media' && model.header.format === 'document')
    keys.set(templateKeys.headerFilename, 'filename');
  for (const b of model.buttons)
    if (b.value === 'quick_reply') keys.set(templateKeys.button(b.index), 'payload');
  (model.cards ?? []).forEach((card, c) => {
    for (const b of card.buttons)
      if (b.value === 'quick_reply') keys.set(templateKeys.cardButton(c, b.index), 'payload');
  });
  return keys;
}

/** What is wrong with an optional value, if anything. */
function optionalValueViolation(kind: 'payload' | 'filename', value: string): string | undefined {
  if (kind === 'filename') {
    if (value.trim().length === 0) return 'must not be empty';
    if (value.length > TEMPLATE_PARAM_LIMITS.filename)
      return `must be at most ${TEMPLATE_PARAM_LIMITS.filename} characters`;
    // eslint-disable-next-line no-control-regex
    if (/[/\\\u0000-\u001f]/.test(value))
      return "must be a file name without '/', '\\' or control characters";
    return undefined;
  }
  if (value.length === 0) return 'must not be empty';
  if (value.length > TEMPLATE_PARAM_LIMITS.quickReplyPayload)
    return `must be at most ${TEMPLATE_PARAM_LIMITS.quickReplyPayload} characters`;
  return undefined;
}

/** Maps a card's `bodyValues` keys onto its placeholders (numbered keys by number, other keys in order). */
function mapCardBodyValues(
  card: BubbleModel,
  c: number,
  values: Record<string, string>,
  basePath: string,
  provided: Provided[],
): void {
  const named = card.bodyVariables.some((v) => !isPositional(v));
  const entries = Object.entries(values);
  const taken = new Set(entries.map(([k]) => k).filter((k) => card.bodyVariables.includes(k)));
  const free = card.bodyVariables.filter((v) => !taken.has(v));
  for (const [k, value] of entries) {
    const path = `${basePath}/${pointer(k)}`;
    let variable = k;
    // Keys that are not placeholders of a numbered card take the next free slot, in key order.
    if (!named && !card.bodyVariables.includes(k) && !isPositional(k)) variable = free.shift() ?? k;
    provided.push({ key: templateKeys.cardBody(c, variable), path, value });
  }
}

function collectStructuredCarousel(
  model: TemplateModel,
  cards: readonly TemplateCarouselCard[],
  provided: Provided[],
  problems: Problems,
): void {
  const templateCards = model.cards;
  if (!templateCards) {
    problems.add('/carousel', 'unexpected: the template is not a carousel template', 'unexpected');
    return;
  }
  const seen = new Set<number>();
  cards.forEach((card, i) => {
    const base = `/carousel/cards/${i}`;
    const c = card.index;
    const tc = templateCards[c];
    if (!tc) {
      problems.add(
        `${base}/index`,
        `unexpected: the template has no card ${c} (cards are 0 to ${templateCards.length - 1})`,
        'unexpected',
      );
      return;
    }
    if (seen.has(c)) {
      problems.add(`${base}/index`, `invalid: card ${c} is given more than once`, 'duplicate');
      return;
    }
    seen.add(c);
    if (card.bodyValues) mapCardBodyValues(tc, c, card.bodyValues, `${base}/bodyValues`, provided);
    (card.buttonValues ?? []).forEach((bv, j) => {
      const path = `${base}/buttonValues/${j}`;
      const button = tc.buttons[bv.index];
      const expected = button ? subTypeOf(button) : undefined;
      if (!button || expected === undefined) {
        problems.add(
          path,
          `unexpected: card ${c} has no button ${bv.index} that takes a value`,
          'unexpected',
        );
        return;
      }
      if (bv.sub_type !== expected) {
        problems.add(
          `${path}/sub_type`,
          `invalid: card ${c} button ${bv.index} is ${button.type}; sub_type must be "${expected}"`,
          'invalid',
        );
        return;
      }
      const p = bv.parameters;
      const value =
        p.type === 'text' && expected === 'url'
          ? p.text
          : p.type === 'payload' && expected === 'quick_reply'
            ? p.payload
            : p.type === 'coupon_code' && expected === 'copy_code'
              ? p.coupon_code
              : undefined;
      if (value === undefined) {
        const want = expected === 'url' ? 'text' : expected === 'quick_reply' ? 'payload' : 'coupon_code';
        problems.add(
          `${path}/parameters/type`,
          `invalid: a ${expected} button takes a parameter of type "${want}"`,
          'invalid',
        );
        return;
      }
      provided.push({ key: templateKeys.cardButton(c, bv.index), path: `${path}/parameters`, value });
    });
    if (card.header) {
      const path = `${base}/header`;
      const h = card.header;
      const media: MediaRef | undefined =
        h.id !== undefined ? { id: h.id } : h.link !== undefined ? { link: h.link } : undefined;
      if (!media) {
        problems.add(path, 'invalid: a card header needs id or link', 'invalid');
        return;
      }
      provided.push({
        key: templateKeys.cardHeader(c),
        path,
        value: h.id ?? h.link ?? '',
        media,
        mediaFormat: h.format,
      });
    }
  });
}

/** Explains a key the template does not expect. */
function explainUnexpected(key: string, model: TemplateModel): string {
  const card = /^c(\d+)_(.+)$/.exec(key);
  if (card) {
    const c = Number(card[1]);
    const rest = card[2] ?? '';
    if (!model.cards) return `unexpected: the template has no carousel, so no card ${c}`;
    if (!model.cards[c]) return `unexpected: the template has no card ${c} (it has ${model.cards.length})`;
    if (rest === 'header') return `unexpected: card ${c} has no media header`;
    const btn = /^button_(\d+)$/.exec(rest);
    if (btn) return `unexpected: card ${c} has no button ${btn[1]} that takes a value`;
    return `unexpected: card ${c} has no {{${rest}}}`;
  }
  if (key === templateKeys.headerMedia) return 'unexpected: the template has no media header';
  if (key === templateKeys.headerFilename) return 'unexpected: the template has no DOCUMENT header';
  if (key === templateKeys.headerText) return 'unexpected: the template has no header text placeholder';
  const btn = /^button_(\d+)$/.exec(key);
  if (btn) return `unexpected: the template has no button ${btn[1]} that takes a value`;
  return `unexpected: the template has no {{${key}}}`;
}

interface Resolved {
  text?: string;
  media?: MediaRef;
}

function textParam(value: string, variable: string | undefined, named: boolean): Record<string, unknown> {
  return named && variable !== undefined
    ? { type: 'text', parameter_name: variable, text: value }
    : { type: 'text', text: value };
}

function headerComponent(
  header: HeaderModel | undefined,
  text: Resolved | undefined,
  media: Resolved | undefined,
  filename: Resolved | undefined,
  named: boolean,
): unknown[] {
  if (header?.kind === 'text') {
    const v = header.variables[0];
    return v === undefined ? [] : [{ type: 'header', parameters: [textParam(text?.text ?? '', v, named)] }];
  }
  if (header?.kind === 'media' && media?.media) {
    const object =
      header.format === 'document' && filename?.text !== undefined
        ? { ...media.media, filename: filename.text }
        : media.media;
    return [{ type: 'header', parameters: [{ type: header.format, [header.format]: object }] }];
  }
  return [];
}

function buttonComponents(
  buttons: readonly ButtonModel[],
  lookup: (index: number) => string | undefined,
  otpCode: string | undefined,
): unknown[] {
  const out: unknown[] = [];
  for (const b of buttons) {
    const index = String(b.index);
    if (b.value === 'otp') {
      if (otpCode !== undefined)
        out.push({ type: 'button', sub_type: 'url', index, parameters: [{ type: 'text', text: otpCode }] });
      continue;
    }
    const value = lookup(b.index);
    if (value === undefined) continue;
    if (b.value === 'url')
      out.push({ type: 'button', sub_type: 'url', index, parameters: [{ type: 'text', text: value }] });
    if (b.value === 'copy_code') {
      out.push({
        type: 'button',
        sub_type: 'copy_code',
        index,
        parameters: [{ type: 'coupon_code', coupon_code: value }],
      });
    }
    if (b.value === 'quick_reply') {
      out.push({
        type: 'button',
        sub_type: 'quick_reply',
        index,
        parameters: [{ type: 'payload', payload: value }],
      });
    }
  }
  return out;
}

function bubbleComponents(
  bubble: BubbleModel,
  card: number | undefined,
  values: ReadonlyMap<string, Resolved>,
  named: boolean,
): unknown[] {
  const key = {
    body: (v: string) => (card === undefined ? templateKeys.body(v) : templateKeys.cardBody(card, v)),
    button: (i: number) => (card === undefined ? templateKeys.button(i) : templateKeys.cardButton(card, i)),
  };
  const components: unknown[] =
    card === undefined
      ? headerComponent(
          bubble.header,
          values.get(templateKeys.headerText),
          values.get(templateKeys.headerMedia),
          values.get(templateKeys.headerFilename),
          named,
        )
      : headerComponent(
          bubble.header,
          undefined,
          values.get(templateKeys.cardHeader(card)),
          undefined,
          named,
        );
  if (bubble.bodyVariables.length > 0) {
    components.push({
      type: 'body',
      parameters: bubble.bodyVariables.map((v) => textParam(values.get(key.body(v))?.text ?? '', v, named)),
    });
  }
  const firstBody = bubble.bodyVariables[0];
  const otpCode = firstBody === undefined ? undefined : values.get(key.body(firstBody))?.text;
  components.push(...buttonComponents(bubble.buttons, (i) => values.get(key.button(i))?.text, otpCode));
  return components;
}

function hydratedLength(
  text: string,
  variables: readonly string[],
  valueOf: (v: string) => string | undefined,
): number {
  let out = text;
  for (const v of variables) out = out.split(new RegExp(`\\{\\{\\s*${v}\\s*\\}\\}`)).join(valueOf(v) ?? '');
  return out.length;
}

function validateValue(
  slot: Slot,
  p: Provided,
  problems: Problems,
  model: TemplateModel,
): Resolved | undefined {
  const extra = 'invalid' as const;
  if (slot.kind === 'media') {
    const media = p.media ?? parseMediaValue(p.value);
    if (typeof media === 'string') {
      problems.add(p.path, `invalid: "${slot.key}" ${media}`, extra);
      return undefined;
    }
    if ('link' in media && typeof parseMediaValue(media.link) === 'string') {
      problems.add(p.path, `invalid: "${slot.key}" link must be an https URL`, extra);
      return undefined;
    }
    if ('id' in media && media.id.trim() === '') {
      problems.add(p.path, `invalid: "${slot.key}" media id must not be empty`, extra);
      return undefined;
    }
    if (p.mediaFormat !== undefined && p.mediaFormat !== slot.mediaFormat) {
      problems.add(
        p.path,
        `invalid: the template's header is ${String(slot.mediaFormat).toUpperCase()}, not ${p.mediaFormat.toUpperCase()}`,
        extra,
      );
      return undefined;
    }
    return { media };
  }
  const rule = textRuleViolation(p.value);
  if (rule) {
    problems.add(p.path, `invalid: "${slot.key}" ${rule}`, extra);
    return undefined;
  }
  if (slot.kind === 'coupon' && p.value.length > TEMPLATE_PARAM_LIMITS.couponCode) {
    problems.add(
      p.path,
      `invalid: "${slot.key}" coupon code is ${p.value.length} characters; the limit is ${TEMPLATE_PARAM_LIMITS.couponCode}`,
      extra,
    );
    return undefined;
  }
  if (slot.kind === 'url') {
    if (/\s/.test(p.value)) {
      problems.add(p.path, `invalid: "${slot.key}" is a URL suffix and must not contain spaces`, extra);
      return undefined;
    }
    const bubble = slot.card === undefined ? model : model.cards?.[slot.card];
    const url = bubble?.buttons[slot.buttonIndex ?? -1]?.url ?? '';
    const length = url.replace(/\{\{\s*1\s*\}\}/, '').length + p.value.length;
    if (length > TEMPLATE_PARAM_LIMITS.url) {
      problems.add(
        p.path,
        `invalid: "${slot.key}" makes the URL ${length} characters; the limit is ${TEMPLATE_PARAM_LIMITS.url}`,
        extra,
      );
      return undefined;
    }
  }
  return { text: p.value };
}

function buildSimpleComponents(model: TemplateModel, request: TemplateSendRequest): unknown[] {
  const problems = new Problems();
  const provided: Provided[] = [];
  for (const [k, value] of Object.entries(request.templateVariables ?? {})) {
    provided.push({ key: k, path: `/templateVariables/${pointer(k)}`, value });
  }
  if (request.carousel) collectStructuredCarousel(model, request.carousel.cards, provided, problems);
  // bodyParameters override the main bubble's body slots given in templateVariables.
  for (const [k, value] of Object.entries(request.bodyParameters ?? {})) {
    const path = `/bodyParameters/${pointer(k)}`;
    if (!model.bodyVariables.includes(k)) {
      problems.add(path, `unexpected: the template body has no {{${k}}}`, 'unexpected');
      continue;
    }
    provided.push({ key: templateKeys.body(k), path, value });
  }

  // Later sources win (ADR 0005: templateVariables, then carousel, then bodyParameters).
  const byKey = new Map<string, Provided>();
  for (const p of provided) byKey.set(p.key, p);

  // Meta needs exactly the approved number of cards (fewer fails with a misleading 132012).
  if (model.cards) {
    const addressed = new Set<number>();
    for (const card of request.carousel?.cards ?? []) addressed.add(card.index);
    for (const key of byKey.keys()) {
      const m = /^c(\d+)_/.exec(key);
      if (m) addressed.add(Number(m[1]));
    }
    if (addressed.size !== model.cards.length) {
      const list = [...addressed].sort((a, b) => a - b).join(', ');
      problems.add(
        request.carousel ? '/carousel/cards' : '/templateVariables',
        `the template has ${model.cards.length} carousel cards; the request fills ${addressed.size}` +
          `${addressed.size > 0 ? ` (card${addressed.size > 1 ? 's' : ''} ${list})` : ''}; they must be equal`,
        'card_count',
      );
    }
  }

  const slots = templateSlots(model);
  const slotKeys = new Set(slots.map((s) => s.key));
  const optional = optionalKeys(model);
  const values = new Map<string, Resolved>();

  for (const slot of slots) {
    const p = byKey.get(slot.key);
    if (!p) {
      problems.add(
        `/templateVariables/${pointer(slot.key)}`,
        `missing: the template declares ${slot.describe}`,
        'missing',
      );
      continue;
    }
    const resolved = validateValue(slot, p, problems, model);
    if (resolved) values.set(slot.key, resolved);
  }
  for (const p of byKey.values()) {
    if (slotKeys.has(p.key)) continue;
    const opt = optional.get(p.key);
    if (opt) {
      const rule = optionalValueViolation(opt, p.value);
      if (rule) problems.add(p.path, `invalid: "${p.key}" ${rule}`, 'invalid');
      else values.set(p.key, { text: p.value });
      continue;
    }
    problems.add(p.path, explainUnexpected(p.key, model), 'unexpected');
  }

  if (model.header?.kind === 'location') {
    problems.add(
      '/templateVariables',
      'missing: the template has a LOCATION header, which templateVariables cannot fill; send templateComponents (advanced form) with a location header parameter',
      'missing',
    );
  }
  // Every card must carry the same components: a quick-reply payload on one card needs one on all.
  (model.cards?.[0]?.buttons ?? []).forEach((b) => {
    if (b.value !== 'quick_reply' || !model.cards) return;
    const keys = model.cards.map((_, c) => templateKeys.cardButton(c, b.index));
    const given = keys.filter((k) => values.has(k));
    if (given.length === 0 || given.length === keys.length) return;
    for (const k of keys) {
      if (values.has(k)) continue;
      problems.add(
        `/templateVariables/${pointer(k)}`,
        `missing: ${given[0] ?? ''} gives a quick-reply payload for button ${b.index}, so every card must (cards must have the same components)`,
        'missing',
      );
    }
  });

  if (problems.details.length === 0) {
    // Meta's limits apply to the text as the recipient sees it (132005 otherwise).
    if (model.bodyText !== undefined) {
      const length = hydratedLength(
        model.bodyText,
        model.bodyVariables,
        (v) => values.get(templateKeys.body(v))?.text,
      );
      if (length > TEMPLATE_PARAM_LIMITS.hydratedBody) {
        problems.add(
          '/templateVariables',
          `the body would be ${length} characters once filled in; the limit is ${TEMPLATE_PARAM_LIMITS.hydratedBody}`,
          'too_long',
        );
      }
    }
    if (model.header?.kind === 'text' && model.header.variables.length > 0) {
      const length = hydratedLength(
        model.header.text,
        model.header.variables,
        () => values.get(templateKeys.headerText)?.text,
      );
      if (length > TEMPLATE_PARAM_LIMITS.hydratedHeaderText) {
        problems.add(
          byKey.get(templateKeys.headerText)?.path ?? `/templateVariables/${templateKeys.headerText}`,
          `invalid: the header would be ${length} characters once filled in; the limit is ${TEMPLATE_PARAM_LIMITS.hydratedHeaderText}`,
          'too_long',
        );
      }
    }
    (model.cards ?? []).forEach((card, c) => {
      if (card.bodyText === undefined) return;
      const key = (v: string) => templateKeys.cardBody(c, v);
      const length = hydratedLength(card.bodyText, card.bodyVariables, (v) => values.get(key(v))?.text);
      if (length <= TEMPLATE_PARAM_LIMITS.hydratedCardBody) return;
      // Named after the longest value, the one to shorten first.
      const longest = [...card.bodyVariables].sort(
        (a, b) => (byKey.get(key(b))?.value.length ?? 0) - (byKey.get(key(a))?.value.length ?? 0),
      )[0];
      problems.add(
        (longest !== undefined ? byKey.get(key(longest))?.path : undefined) ?? '/templateVariables',
        `invalid: card ${c}'s body would be ${length} characters once filled in; the limit is ${TEMPLATE_PARAM_LIMITS.hydratedCardBody}`,
        'too_long',
      );
    });
  }
  throwIfProblems(problems);

  const named = model.format === 'NAMED';
  const components = bubbleComponents(model, undefined, values, named);
  if (model.cards) {
    components.push({
      type: 'carousel',
      cards: model.cards.map((card, c) => ({
        card_index: c,
        components: bubbleComponents(card, c, values, named),
      })),
    });
  }
  return components;
}

function throwIfProblems(problems: Problems): void {
  if (problems.details.length === 0) return;
  const counts = { missing: 0, unexpected: 0 };
  for (const reason of problems.reasons) {
    if (reason === 'missing') counts.missing += 1;
    if (reason === 'unexpected') counts.unexpected += 1;
  }
  const summary = [
    counts.missing > 0 ? `${counts.missing} missing` : undefined,
    counts.unexpected > 0 ? `${counts.unexpected} unexpected` : undefined,
  ].filter((s) => s !== undefined);
  const message =
    summary.length > 0
      ? `The template variables do not match the template (${summary.join(', ')}); see details.`
      : 'Some template parameters are invalid; see details.';
  throw new UnprocessableError('TEMPLATE_PARAMS_MISMATCH', message, problems.details);
}

// ---------------------------------------------------------------------------------------------
// Advanced form: Cloud API components as given, checked against the template
// ---------------------------------------------------------------------------------------------

const PARAM_TEXT_FIELDS: Record<string, string> = {
  text: 'text',
  payload: 'payload',
  coupon_code: 'coupon_code',
};

function checkParameterTexts(
  parameters: readonly unknown[],
  path: string,
  problems: Problems,
  urlSuffix = false,
): void {
  parameters.forEach((param, i) => {
    if (!isRecord(param) || typeof param['type'] !== 'string') {
      problems.add(`${path}/${i}`, 'invalid: a parameter needs a type', 'invalid');
      return;
    }
    const field = PARAM_TEXT_FIELDS[param['type']];
    if (field === undefined) return;
    const value = param[field];
    if (typeof value !== 'string') {
      problems.add(
        `${path}/${i}/${field}`,
        `invalid: a ${param['type']} parameter needs a string "${field}"`,
        'invalid',
      );
      return;
    }
    // Quick-reply payloads are data, not displayed text: only non-empty.
    const rule =
      field === 'payload' ? (value.length === 0 ? 'must not be empty' : undefined) : textRuleViolation(value);
    if (rule) problems.add(`${path}/${i}/${field}`, `invalid: parameter ${rule}`, 'invalid');
    else if (urlSuffix && field === 'text' && /\s/.test(value)) {
      problems.add(`${path}/${i}/${field}`, 'invalid: a URL suffix must not contain spaces', 'invalid');
    } else if (field === 'coupon_code' && value.length > TEMPLATE_PARAM_LIMITS.couponCode) {
      problems.add(
        `${path}/${i}/${field}`,
        `invalid: coupon code is ${value.length} characters; the limit is ${TEMPLATE_PARAM_LIMITS.couponCode}`,
        'invalid',
      );
    }
  });
}

/** The text a parameter puts into the message: its text, or a currency's or date's fallback. */
function displayedText(param: unknown): string | undefined {
  if (!isRecord(param)) return undefined;
  if (typeof param['text'] === 'string') return param['text'];
  for (const kind of ['currency', 'date_time']) {
    const object = param[kind];
    if (isRecord(object) && typeof object['fallback_value'] === 'string') return object['fallback_value'];
  }
  return undefined;
}

/**
 * Which placeholder each parameter fills: by position, or in a NAMED template by its
 * `parameter_name`, which Meta requires there on every parameter (one per placeholder). Returns
 * the filled-in values, or undefined after reporting what does not match.
 */
function assignParameters(
  variables: readonly string[],
  parameters: readonly unknown[],
  named: boolean,
  path: string,
  part: string,
  problems: Problems,
): Map<string, string | undefined> | undefined {
  const values = new Map<string, string | undefined>();
  if (!named) {
    variables.forEach((v, i) => values.set(v, displayedText(parameters[i])));
    return parameters.length === variables.length ? values : undefined;
  }
  const before = problems.details.length;
  const list = variables.map((v) => `{{${v}}}`).join(', ');
  parameters.forEach((param, i) => {
    const name = isRecord(param) ? param['parameter_name'] : undefined;
    if (typeof name !== 'string') {
      problems.add(
        `${path}/${i}/parameter_name`,
        `missing: the template uses named parameters, so every ${part} parameter needs "parameter_name" (${list})`,
        'missing',
      );
      return;
    }
    if (!variables.includes(name)) {
      problems.add(
        `${path}/${i}/parameter_name`,
        `unexpected: the template's ${part} has no {{${name}}} (it has ${list || 'none'})`,
        'unexpected',
      );
      return;
    }
    if (values.has(name)) {
      problems.add(
        `${path}/${i}/parameter_name`,
        `invalid: {{${name}}} is given more than once`,
        'duplicate',
      );
      return;
    }
    values.set(name, displayedText(param));
  });
  if (problems.details.length > before) return undefined;
  const missing = variables.filter((v) => !values.has(v));
  if (missing.length > 0) {
    // A count problem has been reported already when the numbers differ; this names the gaps.
    if (parameters.length === variables.length)
      problems.add(path, `missing: no parameter for ${missing.map((v) => `{{${v}}}`).join(', ')}`, 'missing');
    return undefined;
  }
  return values;
}

/** Reports text that would exceed `limit` once its placeholders are filled in. */
function checkFilledLength(
  text: string | undefined,
  values: ReadonlyMap<string, string | undefined> | undefined,
  limit: number,
  path: string,
  what: string,
  problems: Problems,
): void {
  if (text === undefined || values === undefined) return;
  const length = hydratedLength(text, [...values.keys()], (v) => values.get(v));
  if (length > limit)
    problems.add(
      path,
      `invalid: ${what} would be ${length} characters once filled in; the limit is ${limit}`,
      'too_long',
    );
}

function expectedHeaderParams(header: HeaderModel | undefined): number {
  if (!header) return 0;
  return header.kind === 'text' ? header.variables.length : 1;
}

function checkAdvancedBubble(
  bubble: BubbleModel,
  components: readonly unknown[],
  path: string,
  /** Who owns these components, for messages: "the template" or "card 1". */
  owner: string,
  problems: Problems,
  allowCarousel: boolean,
  named: boolean,
): readonly unknown[] | undefined {
  const where = owner === 'the template' ? 'the template ' : `${owner}'s `;
  const bodyLimit = allowCarousel
    ? TEMPLATE_PARAM_LIMITS.hydratedBody
    : TEMPLATE_PARAM_LIMITS.hydratedCardBody;
  let carousel: readonly unknown[] | undefined;
  const seen = new Set<string>();
  const buttonsSeen = new Set<number>();
  components.forEach((raw, i) => {
    const cp = `${path}/${i}`;
    if (!isRecord(raw) || typeof raw['type'] !== 'string') {
      problems.add(`${cp}/type`, 'invalid: a component needs a type', 'invalid');
      return;
    }
    const type = raw['type'].toLowerCase();
    const parameters = asArray(raw['parameters']);
    if (type !== 'button') {
      if (seen.has(type)) problems.add(`${cp}/type`, `invalid: more than one ${type} component`, 'invalid');
      seen.add(type);
    }
    switch (type) {
      case 'header': {
        const expected = expectedHeaderParams(bubble.header);
        if (parameters.length !== expected) {
          problems.add(
            `${cp}/parameters`,
            headerCountMessage(bubble.header, where, parameters.length),
            'count',
          );
        } else if (bubble.header?.kind === 'media') {
          const p = parameters[0];
          const got = isRecord(p) ? p['type'] : undefined;
          if (got !== bubble.header.format) {
            problems.add(
              `${cp}/parameters/0/type`,
              `invalid: ${where}header is ${bubble.header.format.toUpperCase()}; the parameter type must be "${bubble.header.format}"`,
              'invalid',
            );
          }
        } else if (bubble.header?.kind === 'location') {
          const p = parameters[0];
          if (!isRecord(p) || p['type'] !== 'location') {
            problems.add(
              `${cp}/parameters/0/type`,
              `invalid: ${where}header is LOCATION; the parameter type must be "location"`,
              'invalid',
            );
          }
        }
        const before = problems.details.length;
        checkParameterTexts(parameters, `${cp}/parameters`, problems);
        if (bubble.header?.kind === 'text' && parameters.length === expected) {
          const values = assignParameters(
            bubble.header.variables,
            parameters,
            named,
            `${cp}/parameters`,
            'header',
            problems,
          );
          if (problems.details.length === before)
            checkFilledLength(
              bubble.header.text,
              values,
              TEMPLATE_PARAM_LIMITS.hydratedHeaderText,
              `${cp}/parameters`,
              `${where}header`,
              problems,
            );
        }
        break;
      }
      case 'body': {
        if (parameters.length !== bubble.bodyVariables.length) {
          problems.add(
            `${cp}/parameters`,
            `${where}body declares ${bubble.bodyVariables.length} placeholder(s); ${parameters.length} parameter(s) given`,
            'count',
          );
        }
        const before = problems.details.length;
        checkParameterTexts(parameters, `${cp}/parameters`, problems);
        const values = assignParameters(
          bubble.bodyVariables,
          parameters,
          named,
          `${cp}/parameters`,
          'body',
          problems,
        );
        if (problems.details.length === before)
          checkFilledLength(bubble.bodyText, values, bodyLimit, `${cp}/parameters`, `${where}body`, problems);
        break;
      }
      case 'button': {
        const index = typeof raw['index'] === 'string' ? Number(raw['index']) : raw['index'];
        const button =
          typeof index === 'number' && Number.isInteger(index) ? bubble.buttons[index] : undefined;
        const subType = button ? subTypeOf(button) : undefined;
        if (!button || subType === undefined || typeof index !== 'number') {
          problems.add(
            `${cp}/index`,
            `unexpected: ${owner} has no button ${String(raw['index'])} that takes a value`,
            'unexpected',
          );
          break;
        }
        if (buttonsSeen.has(index))
          problems.add(`${cp}/index`, `invalid: button ${index} is given more than once`, 'invalid');
        buttonsSeen.add(index);
        if (raw['sub_type'] !== subType) {
          problems.add(
            `${cp}/sub_type`,
            `invalid: ${where}button ${index} is ${button.type}; sub_type must be "${subType}"`,
            'invalid',
          );
        }
        if (parameters.length !== 1) {
          problems.add(
            `${cp}/parameters`,
            `invalid: a button component takes exactly one parameter`,
            'count',
          );
        }
        checkParameterTexts(parameters, `${cp}/parameters`, problems, subType === 'url');
        break;
      }
      case 'carousel':
        if (!allowCarousel) {
          problems.add(`${cp}/type`, `unexpected: ${owner} cannot hold a carousel`, 'unexpected');
          break;
        }
        carousel = asArray(raw['cards']);
        break;
      default:
        problems.add(
          `${cp}/type`,
          `unexpected: "${type}" is not a send-time template component`,
          'unexpected',
        );
    }
  });
  if (!seen.has('header') && expectedHeaderParams(bubble.header) > 0) {
    problems.add(path, `missing: ${where}header needs a parameter (${headerWhat(bubble.header)})`, 'missing');
  }
  if (!seen.has('body') && bubble.bodyVariables.length > 0) {
    problems.add(
      path,
      `missing: ${where}body declares ${bubble.bodyVariables.length} placeholder(s); no body component given`,
      'missing',
    );
  }
  for (const b of bubble.buttons) {
    if ((b.value === 'url' || b.value === 'copy_code' || b.value === 'otp') && !buttonsSeen.has(b.index)) {
      problems.add(
        path,
        `missing: ${where}button ${b.index} (${b.type}) needs a "${subTypeOf(b)}" button component`,
        'missing',
      );
    }
  }
  return carousel;
}

function headerWhat(header: HeaderModel | undefined): string {
  if (header?.kind === 'media') return header.format;
  if (header?.kind === 'location') return 'location';
  return 'text';
}

function headerCountMessage(header: HeaderModel | undefined, where: string, got: number): string {
  const expected = expectedHeaderParams(header);
  if (expected === 0) return `unexpected: ${where}header takes no parameters; ${got} given`;
  return `${where}header takes ${expected} parameter(s) (${headerWhat(header)}); ${got} given`;
}

function checkAdvancedComponents(model: TemplateModel, components: readonly unknown[]): void {
  const problems = new Problems();
  const named = model.format === 'NAMED';
  const carousel = checkAdvancedBubble(
    model,
    components,
    '/templateComponents',
    'the template',
    problems,
    true,
    named,
  );
  const cards = model.cards;
  if (cards && carousel === undefined) {
    problems.add(
      '/templateComponents',
      `missing: the template is a carousel with ${cards.length} cards; no carousel component given`,
      'missing',
    );
  }
  if (!cards && carousel !== undefined) {
    problems.add('/templateComponents', 'unexpected: the template is not a carousel template', 'unexpected');
  }
  if (cards && carousel) {
    const carouselIndex = components.findIndex(
      (c) => isRecord(c) && typeof c['type'] === 'string' && c['type'].toLowerCase() === 'carousel',
    );
    const base = `/templateComponents/${carouselIndex}/cards`;
    if (carousel.length !== cards.length) {
      problems.add(
        base,
        `the template has ${cards.length} carousel cards; ${carousel.length} given (they must be equal)`,
        'card_count',
      );
    }
    const seen = new Set<number>();
    let firstShape: string | undefined;
    carousel.forEach((raw, i) => {
      const path = `${base}/${i}`;
      const cardIndex = isRecord(raw) ? raw['card_index'] : undefined;
      const index = typeof cardIndex === 'string' ? Number(cardIndex) : cardIndex;
      const card = typeof index === 'number' && Number.isInteger(index) ? cards[index] : undefined;
      if (!isRecord(raw) || typeof index !== 'number' || !card) {
        problems.add(
          `${path}/card_index`,
          `unexpected: the template has no card ${String(cardIndex)}`,
          'unexpected',
        );
        return;
      }
      if (seen.has(index))
        problems.add(`${path}/card_index`, `invalid: card ${index} is given more than once`, 'invalid');
      seen.add(index);
      const cardComponents = asArray(raw['components']);
      checkAdvancedBubble(
        card,
        cardComponents,
        `${path}/components`,
        `card ${index}`,
        problems,
        false,
        named,
      );
      // Every card must carry the same components (header, body, the same buttons).
      const shape = cardComponents
        .map((c) =>
          isRecord(c)
            ? `${String(c['type'])}:${typeof c['sub_type'] === 'string' ? c['sub_type'] : ''}:${c['index'] === undefined ? '' : Number(c['index'])}`
            : '?',
        )
        .sort()
        .join('|');
      if (firstShape !== undefined && shape !== firstShape) {
        problems.add(
          `${path}/components`,
          'invalid: every card must have the same components (header, body, buttons) as the first card',
          'invalid',
        );
      }
      firstShape ??= shape;
    });
  }
  throwIfProblems(problems);
}

// ---------------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------------

/**
 * The Cloud API `template` object for a send request against its stored template. Throws
 * `UnprocessableError('TEMPLATE_PARAMS_MISMATCH')` listing every missing, unexpected or invalid
 * value at once.
 */
export function buildTemplateObject(
  template: StoredTemplate,
  request: TemplateSendRequest,
): CloudApiTemplateObject {
  const model = readTemplateModel(template.components);
  const base = { name: template.name, language: { code: template.language } };
  if (request.templateComponents !== undefined) {
    checkAdvancedComponents(model, request.templateComponents);
    return request.templateComponents.length > 0
      ? { ...base, components: [...request.templateComponents] }
      : base;
  }
  const components = buildSimpleComponents(model, request);
  return components.length > 0 ? { ...base, components } : base;
}
