/**
 * The simple form of a template send: `templateVariables`, `bodyParameters` and `carousel`, keyed
 * as in docs/adr/0005-template-variable-keys.md, and the parser the builders read those keys with.
 */
import { Type, type SchemaOptions, type Static, type TSchema } from '@sinclair/typebox';
import {
  Discriminated,
  exactlyOneOf,
  Filename,
  HttpsUrl,
  LIMITS,
  MEDIA_ID_PATTERN,
  MediaId,
  errorMessages,
  ParamText,
  StringEnum,
  Text,
} from './common';

// ---------------------------------------------------------------------------------------------
// Simple form: templateVariables (see docs/adr/0005-template-variable-keys.md)
// ---------------------------------------------------------------------------------------------

/** Regular expressions for every key of `templateVariables`; they never overlap. */
export const TEMPLATE_VARIABLE_KEY_PATTERNS = {
  /** `{{1}}`, `{{2}}`, … of the main bubble's body. */
  bodyPositional: '^[1-9][0-9]{0,2}$',
  /** `{{first_name}}` of the main bubble's body (templates with named parameters). */
  bodyNamed: '^(?!header_|button_|c[0-9]+_)[a-z][a-z0-9_]{0,99}$',
  /** The header's text variable. */
  headerText: '^header_text$',
  /** The header's image, video or document: an https URL or a media id. */
  headerMedia: '^header_media$',
  /** File name shown for a document header. */
  headerFilename: '^header_filename$',
  /** Dynamic parameter of the template button at that index (URL suffix, quick-reply payload or coupon code). */
  button: '^button_[0-9]$',
  /** Carousel card `c` body variable: `c0_1` is card 0's `{{1}}` (or a named one: `c0_price`). */
  cardBody: '^c[0-9]_(?!header(?:_|$)|button_)(?:[1-9][0-9]{0,2}|[a-z][a-z0-9_]{0,99})$',
  /** Carousel card header image or video: an https URL or a media id. */
  cardHeader: '^c[0-9]_header$',
  /** Carousel card button dynamic parameter: `c0_button_0`, `c0_button_1`. */
  cardButton: '^c[0-9]_button_[01]$',
} as const;

const K = TEMPLATE_VARIABLE_KEY_PATTERNS;

/** An https URL or a media id (header media in `templateVariables`). */
const MediaRef = Type.String({
  minLength: 1,
  maxLength: LIMITS.mediaUrl,
  pattern: `^(?:https://[^\\s/?#]+\\S*|${MEDIA_ID_PATTERN.slice(1, -1)})$`,
  ...errorMessages({ pattern: 'must be an https:// URL or a WhatsApp media id' }),
});

const bodyValue = ParamText(LIMITS.templateBody);
const cardBodyValue = ParamText(LIMITS.carouselCardBody);
const buttonValue = ParamText(LIMITS.templateUrl);

const KEY_HELP =
  "use '1', '2', … (or the parameter name) for the body, 'header_text', 'header_media', 'header_filename', " +
  "'button_{index}', and for carousel cards 'c{card}_{slot}', 'c{card}_header', 'c{card}_button_{index}'";

function variablesObject(patternProperties: Record<string, TSchema>, options: SchemaOptions) {
  return Type.Unsafe<Record<string, string>>({
    type: 'object',
    patternProperties,
    additionalProperties: false,
    maxProperties: LIMITS.variablesMaxKeys,
    ...options,
  });
}

export const TemplateVariablesSchema = variablesObject(
  {
    [K.bodyPositional]: bodyValue,
    [K.bodyNamed]: bodyValue,
    [K.headerText]: ParamText(LIMITS.templateHeaderText),
    [K.headerMedia]: MediaRef,
    [K.headerFilename]: Filename(),
    [K.button]: buttonValue,
    [K.cardBody]: cardBodyValue,
    [K.cardHeader]: MediaRef,
    [K.cardButton]: buttonValue,
  },
  {
    description: `Template variables (simple form), every value a string. Keys: ${KEY_HELP}.`,
    examples: [{ '1': 'Jane', '2': 'ORD-9921', '3': 'Tomorrow 5pm' }],
    ...errorMessages({ additionalProperties: `'{property}' is not a template variable key; ${KEY_HELP}` }),
  },
);

const BODY_KEY_HELP = "use '1', '2', … for {{1}}, {{2}}, … or the parameter name of a named template";

export const BodyParametersSchema = variablesObject(
  { [K.bodyPositional]: bodyValue, [K.bodyNamed]: bodyValue },
  {
    description: 'Main-bubble body values that override the same keys of templateVariables.',
    ...errorMessages({ additionalProperties: `'{property}' is not a body variable key; ${BODY_KEY_HELP}` }),
  },
);

const CardBodyValuesSchema = variablesObject(
  { [K.bodyPositional]: cardBodyValue, [K.bodyNamed]: cardBodyValue },
  {
    description:
      "Card body values: keys '1', '2', … for {{1}}, {{2}}, … or named keys, mapped to body slots in key order.",
    ...errorMessages({
      additionalProperties: `'{property}' is not a card body variable key; ${BODY_KEY_HELP}`,
    }),
  },
);

const CardButtonIndex = Type.Integer({
  minimum: 0,
  maximum: LIMITS.carouselCardButtonsMax - 1,
  description: 'Position of the button within the card.',
});

/** A dynamic value for one carousel card button; `parameters.type` must suit `sub_type`. */
export const CarouselButtonValueSchema = Discriminated('sub_type', [
  Type.Object(
    {
      index: CardButtonIndex,
      sub_type: Type.Literal('url'),
      parameters: Type.Object(
        { type: Type.Literal('text'), text: ParamText(LIMITS.templateUrl) },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      index: CardButtonIndex,
      sub_type: Type.Literal('quick_reply'),
      parameters: Type.Object(
        { type: Type.Literal('payload'), payload: Text(LIMITS.quickReplyPayload) },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      index: CardButtonIndex,
      sub_type: Type.Literal('copy_code'),
      parameters: Type.Object(
        { type: Type.Literal('coupon_code'), coupon_code: Text(LIMITS.couponCode) },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
]);

export const CarouselCardInputSchema = Type.Object(
  {
    index: Type.Integer({
      minimum: 0,
      maximum: LIMITS.carouselCardsMax - 1,
      description: 'Zero-based card position.',
    }),
    bodyValues: Type.Optional(CardBodyValuesSchema),
    buttonValues: Type.Optional(
      Type.Array(CarouselButtonValueSchema, { maxItems: LIMITS.carouselCardButtonsMax }),
    ),
    header: Type.Optional(
      Type.Object(
        {
          format: StringEnum(['image', 'video'] as const),
          id: Type.Optional(MediaId()),
          link: Type.Optional(HttpsUrl()),
        },
        { additionalProperties: false, ...exactlyOneOf(['id', 'link'] as const) },
      ),
    ),
  },
  { additionalProperties: false },
);

/** Structured carousel values (simple form). */
export const CarouselInputSchema = Type.Object(
  { cards: Type.Array(CarouselCardInputSchema, { minItems: 1, maxItems: LIMITS.carouselCardsMax }) },
  { additionalProperties: false },
);
export type CarouselInput = Static<typeof CarouselInputSchema>;

// ---------------------------------------------------------------------------------------------
// Reading templateVariables keys (for the builders)
// ---------------------------------------------------------------------------------------------

/** What one `templateVariables` key addresses. */
export type TemplateVariableKey =
  | { kind: 'body'; slot: string }
  | { kind: 'header_text' }
  | { kind: 'header_media' }
  | { kind: 'header_filename' }
  | { kind: 'button'; index: number }
  | { kind: 'card_body'; card: number; slot: string }
  | { kind: 'card_header'; card: number }
  | { kind: 'card_button'; card: number; index: number };

const re = (p: string) => new RegExp(p, 'u');
const KEY_RE = {
  bodyPositional: re(K.bodyPositional),
  bodyNamed: re(K.bodyNamed),
  button: re(K.button),
  cardBody: re(K.cardBody),
  cardHeader: re(K.cardHeader),
  cardButton: re(K.cardButton),
};

/**
 * Parses a `templateVariables` key (docs/adr/0005-template-variable-keys.md); `null` for a key
 * the scheme does not define. Body slots are `'1'`, `'2'`, … or a parameter name.
 */
export function parseTemplateVariableKey(key: string): TemplateVariableKey | null {
  if (KEY_RE.bodyPositional.test(key) || KEY_RE.bodyNamed.test(key)) return { kind: 'body', slot: key };
  if (key === 'header_text' || key === 'header_media' || key === 'header_filename') return { kind: key };
  if (KEY_RE.button.test(key)) return { kind: 'button', index: Number(key.slice('button_'.length)) };
  const card = Number(key.charAt(1));
  if (KEY_RE.cardHeader.test(key)) return { kind: 'card_header', card };
  if (KEY_RE.cardButton.test(key)) return { kind: 'card_button', card, index: Number(key.slice(-1)) };
  if (KEY_RE.cardBody.test(key)) return { kind: 'card_body', card, slot: key.slice(3) };
  return null;
}
