/**
 * Validation of a template definition in Meta's template management format (what
 * `GET /{waba-id}/message_templates` returns), as loaded from a file by `pnpm cli template:add`.
 * Checks the creation limits of docs/meta-cloud-api.md §1.5–1.7 and that placeholders are usable at send
 * time (positional `{{1}}..{{n}}` without gaps, or named `{{first_name}}`, never mixed).
 */
import { LIMITS, TEMPLATE_CATEGORIES } from '@flowgate/contracts';
import { isPositional, isRecord, placeholdersIn } from './template-model';

export { TEMPLATE_CATEGORIES };

export interface TemplateDefinitionError {
  path: string;
  message: string;
}

export interface TemplateDefinition {
  name: string;
  language: string;
  category: string;
  status: string;
  components: unknown[];
}

export type TemplateDefinitionResult =
  { ok: true; value: TemplateDefinition } | { ok: false; errors: TemplateDefinitionError[] };

export const TEMPLATE_STATUSES = [
  'APPROVED',
  'PENDING',
  'REJECTED',
  'PAUSED',
  'DISABLED',
  'IN_APPEAL',
  'PENDING_DELETION',
  'DELETED',
  'LIMIT_EXCEEDED',
  'ARCHIVED',
] as const;

/** Documented creation limits (docs/meta-cloud-api.md §1.7), named for the checks below; the numbers are `LIMITS`. */
export const TEMPLATE_LIMITS = {
  name: LIMITS.templateName,
  headerText: LIMITS.templateHeaderText,
  body: LIMITS.templateBody,
  footer: LIMITS.templateFooter,
  buttons: LIMITS.templateButtonsMax,
  buttonText: LIMITS.templateButtonText,
  url: LIMITS.templateUrl,
  phoneNumber: LIMITS.templatePhoneNumber,
  carouselCards: LIMITS.carouselCardsMax,
  cardBody: LIMITS.carouselCardBody,
  cardButtons: LIMITS.carouselCardButtonsMax,
} as const;

const HEADER_FORMATS = ['TEXT', 'IMAGE', 'VIDEO', 'DOCUMENT', 'LOCATION'];
const BUTTON_TYPES = ['QUICK_REPLY', 'URL', 'PHONE_NUMBER', 'COPY_CODE', 'OTP', 'FLOW', 'CATALOG', 'MPM'];
const CARD_BUTTON_TYPES = ['QUICK_REPLY', 'URL', 'PHONE_NUMBER'];
const NAMED_PLACEHOLDER = /^[a-z_][a-z0-9_]*$/;

class Collector {
  readonly errors: TemplateDefinitionError[] = [];
  add(path: string, message: string): void {
    this.errors.push({ path, message });
  }
}

/** Placeholder names found in all texts, to check the template uses one format consistently. */
interface PlaceholderUse {
  path: string;
  names: string[];
}

function checkText(
  out: Collector,
  component: Record<string, unknown>,
  path: string,
  max: number,
  what: string,
): string | undefined {
  const text = component['text'];
  if (typeof text !== 'string' || text.length === 0) {
    out.add(`${path}/text`, `${what} text is required`);
    return undefined;
  }
  if (text.length > max)
    out.add(`${path}/text`, `${what} text is ${text.length} characters; the limit is ${max}`);
  return text;
}

/** Positional placeholders must be exactly {{1}}..{{n}}. */
function checkSequential(out: Collector, path: string, names: string[], what: string): void {
  const positional = names.filter(isPositional).map(Number);
  if (positional.length === 0 || positional.length !== names.length) return;
  const sorted = [...positional].sort((a, b) => a - b);
  if (sorted.some((n, i) => n !== i + 1)) {
    out.add(path, `${what} placeholders must be numbered {{1}} to {{${sorted.length}}} without gaps`);
  }
}

function checkHeader(
  out: Collector,
  c: Record<string, unknown>,
  path: string,
  uses: PlaceholderUse[],
  inCard: boolean,
): void {
  const format = typeof c['format'] === 'string' ? c['format'].toUpperCase() : undefined;
  const allowed = inCard ? ['IMAGE', 'VIDEO'] : HEADER_FORMATS;
  if (format === undefined || !allowed.includes(format)) {
    out.add(`${path}/format`, `header format must be one of ${allowed.join(', ')}`);
    return;
  }
  if (format !== 'TEXT') return;
  const text = checkText(out, c, path, TEMPLATE_LIMITS.headerText, 'header');
  if (text === undefined) return;
  const names = placeholdersIn(text);
  if (names.length > 1) out.add(`${path}/text`, 'header text may have at most one placeholder');
  checkSequential(out, `${path}/text`, names, 'header');
  uses.push({ path: `${path}/text`, names });
}

function checkButtons(out: Collector, c: Record<string, unknown>, path: string, inCard: boolean): string[] {
  const buttons = c['buttons'];
  if (!Array.isArray(buttons) || buttons.length === 0) {
    out.add(`${path}/buttons`, 'a BUTTONS component needs at least one button');
    return [];
  }
  const max = inCard ? TEMPLATE_LIMITS.cardButtons : TEMPLATE_LIMITS.buttons;
  if (buttons.length > max) out.add(`${path}/buttons`, `${buttons.length} buttons; the limit is ${max}`);
  const allowed = inCard ? CARD_BUTTON_TYPES : BUTTON_TYPES;
  return buttons.map((b: unknown, i) => {
    const bp = `${path}/buttons/${i}`;
    if (!isRecord(b)) {
      out.add(bp, 'a button must be an object');
      return '';
    }
    const type = typeof b['type'] === 'string' ? b['type'].toUpperCase() : '';
    if (!allowed.includes(type)) {
      out.add(`${bp}/type`, `button type must be one of ${allowed.join(', ')}`);
      return type;
    }
    const text = b['text'];
    if (type !== 'COPY_CODE' && type !== 'OTP' && (typeof text !== 'string' || text.length === 0)) {
      out.add(`${bp}/text`, 'button text is required');
    } else if (typeof text === 'string' && text.length > TEMPLATE_LIMITS.buttonText) {
      out.add(
        `${bp}/text`,
        `button text is ${text.length} characters; the limit is ${TEMPLATE_LIMITS.buttonText}`,
      );
    }
    if (type === 'URL') {
      const url = b['url'];
      if (typeof url !== 'string' || url.length === 0) out.add(`${bp}/url`, 'a URL button needs a url');
      else {
        if (url.length > TEMPLATE_LIMITS.url)
          out.add(`${bp}/url`, `url is ${url.length} characters; the limit is ${TEMPLATE_LIMITS.url}`);
        if (!/^https?:\/\//i.test(url)) out.add(`${bp}/url`, 'url must start with http:// or https://');
        const names = placeholdersIn(url);
        if (names.length > 1 || (names.length === 1 && names[0] !== '1')) {
          out.add(`${bp}/url`, 'a URL may have one placeholder, {{1}}');
        } else if (names.length === 1 && !/\{\{\s*1\s*\}\}$/.test(url)) {
          out.add(`${bp}/url`, 'the {{1}} placeholder must be at the end of the url');
        }
      }
    }
    if (type === 'PHONE_NUMBER') {
      const phone = b['phone_number'];
      if (typeof phone !== 'string' || phone.length === 0)
        out.add(`${bp}/phone_number`, 'a PHONE_NUMBER button needs phone_number');
      else if (phone.length > TEMPLATE_LIMITS.phoneNumber) {
        out.add(
          `${bp}/phone_number`,
          `phone_number is ${phone.length} characters; the limit is ${TEMPLATE_LIMITS.phoneNumber}`,
        );
      }
    }
    return type;
  });
}

/** Signature of a card's component set, to check every card has the same one. */
type CardShape = string;

function checkCard(
  out: Collector,
  card: unknown,
  path: string,
  uses: PlaceholderUse[],
): CardShape | undefined {
  if (!isRecord(card) || !Array.isArray(card['components'])) {
    out.add(`${path}/components`, 'a card needs a components array');
    return undefined;
  }
  const seen = new Set<string>();
  const shape: string[] = [];
  card['components'].forEach((c: unknown, i) => {
    const cp = `${path}/components/${i}`;
    if (!isRecord(c) || typeof c['type'] !== 'string') {
      out.add(`${cp}/type`, 'a component needs a type');
      return;
    }
    const type = c['type'].toUpperCase();
    if (seen.has(type)) out.add(`${cp}/type`, `a card may have one ${type} component`);
    seen.add(type);
    switch (type) {
      case 'HEADER':
        checkHeader(out, c, cp, uses, true);
        shape.push(`HEADER:${String(c['format']).toUpperCase()}`);
        break;
      case 'BODY': {
        const text = checkText(out, c, cp, TEMPLATE_LIMITS.cardBody, 'card body');
        if (text !== undefined) {
          const names = placeholdersIn(text);
          checkSequential(out, `${cp}/text`, names, 'card body');
          uses.push({ path: `${cp}/text`, names });
        }
        shape.push('BODY');
        break;
      }
      case 'BUTTONS':
        shape.push(`BUTTONS:${checkButtons(out, c, cp, true).join(',')}`);
        break;
      default:
        out.add(`${cp}/type`, 'a card may only have HEADER, BODY and BUTTONS components');
    }
  });
  if (!seen.has('HEADER')) out.add(`${path}/components`, 'every card needs an IMAGE or VIDEO header');
  return shape.sort().join('|');
}

function checkCarousel(
  out: Collector,
  c: Record<string, unknown>,
  path: string,
  uses: PlaceholderUse[],
): void {
  const cards = c['cards'];
  if (!Array.isArray(cards) || cards.length === 0) {
    out.add(`${path}/cards`, 'a CAROUSEL component needs at least one card');
    return;
  }
  if (cards.length > TEMPLATE_LIMITS.carouselCards) {
    out.add(`${path}/cards`, `${cards.length} cards; the limit is ${TEMPLATE_LIMITS.carouselCards}`);
  }
  const shapes = cards.map((card: unknown, i) => checkCard(out, card, `${path}/cards/${i}`, uses));
  const first = shapes[0];
  shapes.forEach((s, i) => {
    if (i > 0 && first !== undefined && s !== undefined && s !== first) {
      out.add(
        `${path}/cards/${i}`,
        'every card must have the same components (header format, body, button types) as card 0',
      );
    }
  });
}

/** Validates a template definition in Meta's management-API format. */
export function validateTemplateDefinition(input: unknown): TemplateDefinitionResult {
  const out = new Collector();
  if (!isRecord(input))
    return { ok: false, errors: [{ path: '', message: 'the template must be a JSON object' }] };

  const { name, language, category, status, components } = input;
  if (typeof name !== 'string' || name.length === 0) out.add('/name', 'name is required');
  else {
    if (name.length > TEMPLATE_LIMITS.name)
      out.add('/name', `name is ${name.length} characters; the limit is ${TEMPLATE_LIMITS.name}`);
    if (!/^[a-z0-9_]+$/.test(name))
      out.add('/name', 'name may only contain lowercase letters, digits and underscores');
  }
  if (typeof language !== 'string' || !/^[a-z]{2,3}(_[A-Z]{2})?$/.test(language)) {
    out.add('/language', 'language must be a locale code such as en, en_US or pt_BR');
  }
  if (typeof category !== 'string' || !(TEMPLATE_CATEGORIES as readonly string[]).includes(category)) {
    out.add('/category', `category must be one of ${TEMPLATE_CATEGORIES.join(', ')}`);
  }
  if (typeof status !== 'string' || !(TEMPLATE_STATUSES as readonly string[]).includes(status)) {
    out.add('/status', `status must be one of ${TEMPLATE_STATUSES.join(', ')}`);
  }
  const parameterFormat = input['parameter_format'];
  if (parameterFormat !== undefined && parameterFormat !== 'POSITIONAL' && parameterFormat !== 'NAMED') {
    out.add('/parameter_format', 'parameter_format must be POSITIONAL or NAMED');
  }

  if (!Array.isArray(components) || components.length === 0) {
    out.add('/components', 'components must be a non-empty array');
    return { ok: false, errors: out.errors };
  }

  const uses: PlaceholderUse[] = [];
  const seen = new Set<string>();
  components.forEach((c: unknown, i) => {
    const path = `/components/${i}`;
    if (!isRecord(c) || typeof c['type'] !== 'string') {
      out.add(`${path}/type`, 'a component needs a type');
      return;
    }
    const type = c['type'].toUpperCase();
    if (seen.has(type)) out.add(`${path}/type`, `a template may have one ${type} component`);
    seen.add(type);
    switch (type) {
      case 'HEADER':
        checkHeader(out, c, path, uses, false);
        break;
      case 'BODY': {
        const text = checkText(out, c, path, TEMPLATE_LIMITS.body, 'body');
        if (text !== undefined) {
          const names = placeholdersIn(text);
          checkSequential(out, `${path}/text`, names, 'body');
          uses.push({ path: `${path}/text`, names });
        }
        break;
      }
      case 'FOOTER': {
        const text = checkText(out, c, path, TEMPLATE_LIMITS.footer, 'footer');
        if (text !== undefined && placeholdersIn(text).length > 0)
          out.add(`${path}/text`, 'footer text may not have placeholders');
        break;
      }
      case 'BUTTONS':
        checkButtons(out, c, path, false);
        break;
      case 'CAROUSEL':
        checkCarousel(out, c, path, uses);
        break;
      default:
        out.add(`${path}/type`, 'component type must be HEADER, BODY, FOOTER, BUTTONS or CAROUSEL');
    }
  });

  if (!seen.has('BODY')) out.add('/components', 'a template needs a BODY component');
  if (seen.has('CAROUSEL')) {
    for (const t of ['HEADER', 'FOOTER', 'BUTTONS']) {
      if (seen.has(t))
        out.add('/components', `a carousel template has a BODY and a CAROUSEL only, not a ${t}`);
    }
    if (typeof category === 'string' && category !== 'MARKETING')
      out.add('/category', 'carousel templates are MARKETING only');
  }

  // One placeholder format across the template, matching parameter_format when given.
  const all = uses.flatMap((u) => u.names.map((n) => ({ path: u.path, name: n })));
  const named = all.filter((u) => !isPositional(u.name));
  const positional = all.filter((u) => isPositional(u.name));
  if (named.length > 0 && positional.length > 0) {
    out.add(
      named[0]?.path ?? '/components',
      'placeholders must be all numbered ({{1}}) or all named ({{first_name}}), not mixed',
    );
  }
  for (const u of named) {
    if (!NAMED_PLACEHOLDER.test(u.name))
      out.add(
        u.path,
        `named placeholder {{${u.name}}} may only use lowercase letters, digits and underscores`,
      );
  }
  if (parameterFormat === 'NAMED' && positional[0]) {
    out.add(positional[0].path, 'parameter_format is NAMED but the text has numbered placeholders');
  }
  if ((parameterFormat === undefined || parameterFormat === 'POSITIONAL') && named[0]) {
    out.add(named[0].path, 'named placeholders need parameter_format NAMED');
  }

  if (out.errors.length > 0) return { ok: false, errors: out.errors };
  return {
    ok: true,
    value: {
      name: name as string,
      language: language as string,
      category: category as string,
      status: status as string,
      components,
    },
  };
}
