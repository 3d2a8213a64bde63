/**
 * A template's components (as Meta's template management API returns them) read into the
 * model the send path needs: which placeholders each part declares, which buttons take a value
 * at send time, and the carousel's cards. Also the simple-form key scheme (ADR 0005) that turns
 * each of those slots into one `templateVariables` key.
 *
 * Stored templates were validated when they were added, so this reader is tolerant: anything it
 * does not recognise is ignored rather than rejected.
 */

export type ParameterFormat = 'POSITIONAL' | 'NAMED';
export type HeaderMediaFormat = 'image' | 'video' | 'document';

export type HeaderModel =
  | { kind: 'text'; text: string; variables: string[] }
  | { kind: 'media'; format: HeaderMediaFormat }
  | { kind: 'location' };

/** Meta's button `sub_type` at send time. */
export type ButtonSubType = 'quick_reply' | 'url' | 'copy_code' | 'flow';

export interface ButtonModel {
  /** Zero-based position among the template's (or the card's) buttons. */
  index: number;
  /** Meta's definition type, upper case: QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE, OTP, FLOW, … */
  type: string;
  /**
   * What the send request must (required) or may (optional) carry for this button:
   * - `url`: a dynamic URL suffix (URL button whose url has `{{1}}`);
   * - `copy_code`: the coupon code (COPY_CODE button);
   * - `otp`: the one-time code (authentication templates: taken from body `{{1}}`, no own key);
   * - `quick_reply`: an optional payload;
   * - `none`: nothing to send.
   */
  value: 'url' | 'copy_code' | 'otp' | 'quick_reply' | 'none';
  /** The URL as defined, for URL buttons (used for the 2000-character limit). */
  url?: string;
}

export interface BubbleModel {
  header?: HeaderModel;
  bodyText?: string;
  bodyVariables: string[];
  buttons: ButtonModel[];
}

export interface TemplateModel extends BubbleModel {
  format: ParameterFormat;
  /** Carousel cards in order (card_index = position), or undefined for a single-bubble template. */
  cards?: BubbleModel[];
}

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

/** Distinct placeholder names in order of first appearance (`{{1}}` → `"1"`). */
export function placeholdersIn(text: string): string[] {
  const seen: string[] = [];
  for (const m of text.matchAll(PLACEHOLDER)) {
    const name = m[1];
    if (name !== undefined && !seen.includes(name)) seen.push(name);
  }
  return seen;
}

export const isPositional = (name: string): boolean => /^[0-9]+$/.test(name);

/** Positional placeholders are sent in numeric order, named ones in order of appearance. */
function orderVariables(names: string[]): string[] {
  if (names.every(isPositional)) return [...names].sort((a, b) => Number(a) - Number(b));
  return names;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value as an array of unknowns, or an empty array. */
export const asArray = (value: unknown): readonly unknown[] =>
  Array.isArray(value) ? (value as unknown[]) : [];

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const upper = (value: unknown): string => (typeof value === 'string' ? value.toUpperCase() : '');

function readButtons(component: Record<string, unknown>): ButtonModel[] {
  const list = asArray(component['buttons']);
  return list.map((b: unknown, index): ButtonModel => {
    const button = isRecord(b) ? b : {};
    const type = upper(button['type']);
    const url = str(button['url']);
    switch (type) {
      case 'URL':
        return url !== undefined && placeholdersIn(url).length > 0
          ? { index, type, value: 'url', url }
          : { index, type, value: 'none', ...(url !== undefined ? { url } : {}) };
      case 'COPY_CODE':
        return { index, type, value: 'copy_code' };
      case 'OTP':
        // ONE_TAP / ZERO_TAP / COPY_CODE OTP buttons all take the code as a url-button parameter.
        return { index, type, value: 'otp' };
      case 'QUICK_REPLY':
        return { index, type, value: 'quick_reply' };
      default:
        return { index, type, value: 'none' };
    }
  });
}

function readHeader(component: Record<string, unknown>): HeaderModel | undefined {
  const format = upper(component['format']);
  switch (format) {
    case 'TEXT': {
      const text = str(component['text']) ?? '';
      return { kind: 'text', text, variables: orderVariables(placeholdersIn(text)) };
    }
    case 'IMAGE':
      return { kind: 'media', format: 'image' };
    case 'VIDEO':
      return { kind: 'media', format: 'video' };
    case 'DOCUMENT':
      return { kind: 'media', format: 'document' };
    case 'LOCATION':
      return { kind: 'location' };
    default:
      return undefined;
  }
}

function readBubble(components: readonly unknown[]): BubbleModel & { carousel?: unknown[] } {
  const bubble: BubbleModel & { carousel?: unknown[] } = { bodyVariables: [], buttons: [] };
  for (const c of components) {
    if (!isRecord(c)) continue;
    switch (upper(c['type'])) {
      case 'HEADER': {
        const header = readHeader(c);
        if (header) bubble.header = header;
        break;
      }
      case 'BODY': {
        const text = str(c['text']) ?? '';
        bubble.bodyText = text;
        bubble.bodyVariables = orderVariables(placeholdersIn(text));
        break;
      }
      case 'BUTTONS':
        bubble.buttons = readButtons(c);
        break;
      case 'CAROUSEL':
        bubble.carousel = [...asArray(c['cards'])];
        break;
      default:
        break;
    }
  }
  return bubble;
}

/** Reads stored template components into the send-path model. */
export function readTemplateModel(components: readonly unknown[]): TemplateModel {
  const { carousel, ...main } = readBubble(components);
  const cards = carousel?.map((card) => {
    const cardComponents = isRecord(card) ? asArray(card['components']) : [];
    const bubble: BubbleModel & { carousel?: unknown[] } = readBubble(cardComponents);
    delete bubble.carousel; // cards do not nest
    return bubble;
  });
  const all: string[] = [
    ...main.bodyVariables,
    ...(main.header?.kind === 'text' ? main.header.variables : []),
    ...(cards ?? []).flatMap((c) => [...c.bodyVariables]),
  ];
  const format: ParameterFormat = all.some((v) => !isPositional(v)) ? 'NAMED' : 'POSITIONAL';
  return { ...main, format, ...(cards ? { cards } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Simple-form key scheme (docs/adr/0005-template-variable-keys.md)
// ---------------------------------------------------------------------------------------------

export const templateKeys = {
  /** Main-bubble body placeholder: `{{2}}` → `"2"`, `{{first_name}}` → `"first_name"`. */
  body: (variable: string): string => variable,
  /** The header's text placeholder (a header has at most one). */
  headerText: 'header_text' as const,
  /** Header media (IMAGE/VIDEO/DOCUMENT): value is a media id or an https link. */
  headerMedia: 'header_media' as const,
  /** Optional file name shown for a DOCUMENT header. */
  headerFilename: 'header_filename' as const,
  /** Dynamic main-bubble button value (URL suffix, coupon code): button index `1` → `"button_1"`. */
  button: (index: number): string => `button_${index}`,
  /** Carousel card body placeholder: card 0's `{{1}}` → `"c0_1"`. */
  cardBody: (card: number, variable: string): string => `c${card}_${variable}`,
  /** Carousel card media header: `"c0_header"`. */
  cardHeader: (card: number): string => `c${card}_header`,
  /** Dynamic card button value: card 1, button 0 → `"c1_button_0"`. */
  cardButton: (card: number, index: number): string => `c${card}_button_${index}`,
};

export type SlotKind = 'text' | 'media' | 'url' | 'coupon';

/** One value the simple form must supply, with enough context to explain it in an error. */
export interface Slot {
  key: string;
  kind: SlotKind;
  /** Undefined for the main bubble. */
  card?: number;
  part: 'header' | 'body' | 'button';
  /** Placeholder name for text slots (`"1"`, `"first_name"`). */
  variable?: string;
  buttonIndex?: number;
  mediaFormat?: HeaderMediaFormat;
  /** Human-readable, completes "the template declares …" / "… needs …". */
  describe: string;
}

function bubbleSlots(bubble: BubbleModel, card: number | undefined): Slot[] {
  const where = card === undefined ? '' : `card ${card}'s `;
  const inCard = card === undefined ? {} : { card };
  const body: Slot[] = bubble.bodyVariables.map((v) => ({
    key: card === undefined ? templateKeys.body(v) : templateKeys.cardBody(card, v),
    kind: 'text',
    part: 'body',
    variable: v,
    ...inCard,
    describe: `{{${v}}} in ${where || 'its '}body`,
  }));
  const header: Slot[] = [];
  if (bubble.header?.kind === 'text' && card === undefined) {
    // Carousel cards have media headers only; a text header (one variable at most) is the main bubble's.
    const v = bubble.header.variables[0];
    if (v !== undefined) {
      header.push({
        key: templateKeys.headerText,
        kind: 'text',
        part: 'header',
        variable: v,
        describe: `{{${v}}} in its header`,
      });
    }
  } else if (bubble.header?.kind === 'media') {
    const format = bubble.header.format;
    header.push({
      key: card === undefined ? templateKeys.headerMedia : templateKeys.cardHeader(card),
      kind: 'media',
      part: 'header',
      mediaFormat: format,
      ...inCard,
      describe: `an ${format.toUpperCase()} header${card === undefined ? '' : ` on card ${card}`} (a media id or an https link)`,
    });
  }
  const buttons: Slot[] = bubble.buttons
    .filter((b) => b.value === 'url' || b.value === 'copy_code')
    .map((b) => ({
      key: card === undefined ? templateKeys.button(b.index) : templateKeys.cardButton(card, b.index),
      kind: b.value === 'url' ? 'url' : 'coupon',
      part: 'button',
      buttonIndex: b.index,
      ...inCard,
      describe:
        b.value === 'url'
          ? `a dynamic URL suffix on ${where}button ${b.index}`
          : `a coupon code on ${where}button ${b.index} (COPY_CODE)`,
    }));
  // ADR 0005 order: body, header, buttons.
  return [...body, ...header, ...buttons];
}

/** Every value the simple form must supply, in ADR 0005's order: main bubble, then card by card. */
export function templateSlots(model: TemplateModel): Slot[] {
  return [
    ...bubbleSlots(model, undefined),
    ...(model.cards ?? []).flatMap((card, i) => bubbleSlots(card, i)),
  ];
}
