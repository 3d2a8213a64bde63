/**
 * The simple form of a template send: `templateVariables` (plus `carousel` and `bodyParameters`)
 * keyed as in ADR 0005, checked against the stored template and turned into Cloud API components.
 */
import {
  isPositional,
  templateKeys,
  templateSlots,
  type BubbleModel,
  type ButtonModel,
  type HeaderModel,
  type Slot,
  type TemplateModel,
} from './template-model';
import {
  TEMPLATE_PARAM_LIMITS,
  Problems,
  hydratedLength,
  parseMediaValue,
  pointer,
  subTypeOf,
  textRuleViolation,
  throwIfProblems,
  type MediaRef,
} from './template-rules';
import type { TemplateCarouselCard, TemplateSendRequest } from './template-types';
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

export function buildSimpleComponents(model: TemplateModel, request: TemplateSendRequest): unknown[] {
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
