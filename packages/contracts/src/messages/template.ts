import { Type, type SchemaOptions, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import type { FieldError } from '../http/errors';
import {
  Discriminated,
  exactlyOneOf,
  Filename,
  HttpsUrl,
  Latitude,
  LIMITS,
  Longitude,
  MEDIA_ID_PATTERN,
  MediaId,
  errorMessages,
  ParamText,
  StringEnum,
  Text,
} from './common';

// ---------------------------------------------------------------------------------------------
// Template name and language
// ---------------------------------------------------------------------------------------------

export const TemplateNameSchema = Type.String({
  minLength: 1,
  maxLength: LIMITS.templateName,
  pattern: '^[a-z0-9_]+$',
  description: 'Name of an approved template of the workspace.',
  examples: ['order_confirmation'],
  ...errorMessages({ pattern: 'must contain only lowercase letters, digits and underscores' }),
});

export const TemplateLanguageSchema = Type.String({
  pattern: '^[a-z]{2,3}(?:_[A-Z]{2})?$',
  description:
    "Template language code, e.g. 'en', 'en_US', 'pt_BR', 'zh_CN'. 'en' matches a stored 'en_US' when that is the only candidate.",
  examples: ['en', 'en_US', 'pt_BR'],
  ...errorMessages({ pattern: "must be a language code such as 'en', 'en_US', 'pt_BR' or 'zh_CN'" }),
});

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
// Advanced form: Cloud API send components as-is (cloud-api.md §1.5, §1.6)
// ---------------------------------------------------------------------------------------------

const ParameterName = Type.String({
  pattern: '^[a-z][a-z0-9_]*$',
  maxLength: 100,
  description: 'For templates with named parameters.',
  ...errorMessages({ pattern: 'must be a parameter name of lowercase letters, digits and underscores' }),
});

const MediaObject = Type.Object(
  { id: Type.Optional(MediaId()), link: Type.Optional(HttpsUrl()) },
  { additionalProperties: false, ...exactlyOneOf(['id', 'link'] as const) },
);
const DocumentObject = Type.Object(
  { id: Type.Optional(MediaId()), link: Type.Optional(HttpsUrl()), filename: Type.Optional(Filename()) },
  { additionalProperties: false, ...exactlyOneOf(['id', 'link'] as const) },
);

const textParam = (maxLength: number) =>
  Type.Object(
    { type: Type.Literal('text'), text: ParamText(maxLength), parameter_name: Type.Optional(ParameterName) },
    { additionalProperties: false },
  );
const CurrencyParam = Type.Object(
  {
    type: Type.Literal('currency'),
    currency: Type.Object(
      {
        fallback_value: ParamText(LIMITS.templateBody),
        code: Type.String({
          pattern: '^[A-Z]{3}$',
          ...errorMessages({ pattern: "must be an ISO 4217 currency code such as 'USD'" }),
        }),
        amount_1000: Type.Integer({ description: 'Amount × 1000.' }),
      },
      { additionalProperties: false },
    ),
    parameter_name: Type.Optional(ParameterName),
  },
  { additionalProperties: false },
);
const DateTimeParam = Type.Object(
  {
    type: Type.Literal('date_time'),
    date_time: Type.Object(
      { fallback_value: ParamText(LIMITS.templateBody) },
      { additionalProperties: false },
    ),
    parameter_name: Type.Optional(ParameterName),
  },
  { additionalProperties: false },
);
const ImageParam = Type.Object(
  { type: Type.Literal('image'), image: MediaObject },
  { additionalProperties: false },
);
const VideoParam = Type.Object(
  { type: Type.Literal('video'), video: MediaObject },
  { additionalProperties: false },
);
const DocumentParam = Type.Object(
  { type: Type.Literal('document'), document: DocumentObject },
  { additionalProperties: false },
);
const LocationParam = Type.Object(
  {
    type: Type.Literal('location'),
    location: Type.Object(
      {
        latitude: Latitude,
        longitude: Longitude,
        name: Type.Optional(Text(LIMITS.locationName)),
        address: Type.Optional(Text(LIMITS.locationAddress)),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

const HeaderComponent = Type.Object(
  {
    type: Type.Literal('header'),
    parameters: Type.Array(
      Discriminated('type', [
        textParam(LIMITS.templateHeaderText),
        ImageParam,
        VideoParam,
        DocumentParam,
        LocationParam,
      ]),
      { minItems: 1, maxItems: 1 },
    ),
  },
  { additionalProperties: false },
);

const bodyComponent = (maxLength: number) =>
  Type.Object(
    {
      type: Type.Literal('body'),
      parameters: Type.Array(Discriminated('type', [textParam(maxLength), CurrencyParam, DateTimeParam]), {
        minItems: 1,
        maxItems: 100,
      }),
    },
    { additionalProperties: false },
  );

/** Button position: Meta's examples send a string ("0"); integers are accepted too. */
const buttonIndex = (max: number) =>
  Type.Unsafe<string | number>({
    anyOf: [
      { type: 'string', pattern: `^[0-${max}]$` },
      { type: 'integer', minimum: 0, maximum: max },
    ],
    description: `Zero-based button position (0 to ${max}), as a string or an integer.`,
    ...errorMessages({ anyOf: `must be a button index from 0 to ${max}, as a string ("0") or an integer` }),
  });

const one = <T extends TSchema>(item: T) => Type.Array(item, { minItems: 1, maxItems: 1 });

const quickReplyButton = (max: number) =>
  Type.Object(
    {
      type: Type.Literal('button'),
      sub_type: Type.Literal('quick_reply'),
      index: buttonIndex(max),
      parameters: one(
        Type.Object(
          { type: Type.Literal('payload'), payload: Text(LIMITS.quickReplyPayload) },
          { additionalProperties: false },
        ),
      ),
    },
    { additionalProperties: false },
  );
const urlButton = (max: number) =>
  Type.Object(
    {
      type: Type.Literal('button'),
      sub_type: Type.Literal('url'),
      index: buttonIndex(max),
      parameters: one(
        Type.Object(
          { type: Type.Literal('text'), text: ParamText(LIMITS.templateUrl) },
          { additionalProperties: false },
        ),
      ),
    },
    { additionalProperties: false },
  );
const copyCodeButton = Type.Object(
  {
    type: Type.Literal('button'),
    sub_type: Type.Literal('copy_code'),
    index: buttonIndex(LIMITS.templateButtonsMax - 1),
    parameters: one(
      Type.Object(
        { type: Type.Literal('coupon_code'), coupon_code: Text(LIMITS.couponCode) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
const flowButton = Type.Object(
  {
    type: Type.Literal('button'),
    sub_type: Type.Literal('flow'),
    index: buttonIndex(LIMITS.templateButtonsMax - 1),
    parameters: one(
      Type.Object(
        {
          type: Type.Literal('action'),
          action: Type.Object(
            {
              flow_token: Type.Optional(Text(1000)),
              flow_action_data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
            },
            { additionalProperties: false },
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
const catalogButton = Type.Object(
  {
    type: Type.Literal('button'),
    sub_type: Type.Literal('catalog'),
    index: buttonIndex(LIMITS.templateButtonsMax - 1),
    parameters: one(
      Type.Object(
        {
          type: Type.Literal('action'),
          action: Type.Object({ thumbnail_product_retailer_id: Text(1000) }, { additionalProperties: false }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** A button component; its `sub_type` selects the parameter shape. */
const buttonComponent = <T extends TObject[]>(variants: [...T]) =>
  Discriminated('sub_type', variants, { properties: { type: Type.Literal('button') }, required: ['type'] });

const CardHeaderComponent = Type.Object(
  { type: Type.Literal('header'), parameters: one(Discriminated('type', [ImageParam, VideoParam])) },
  { additionalProperties: false },
);

const CarouselComponent = Type.Object(
  {
    type: Type.Literal('carousel'),
    cards: Type.Array(
      Type.Object(
        {
          card_index: Type.Integer({ minimum: 0, maximum: LIMITS.carouselCardsMax - 1 }),
          components: Type.Array(
            Discriminated('type', [
              CardHeaderComponent,
              bodyComponent(LIMITS.carouselCardBody),
              buttonComponent([
                quickReplyButton(LIMITS.carouselCardButtonsMax - 1),
                urlButton(LIMITS.carouselCardButtonsMax - 1),
              ]),
            ]),
            { minItems: 1, maxItems: 2 + LIMITS.carouselCardButtonsMax },
          ),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: LIMITS.carouselCardsMax },
    ),
  },
  { additionalProperties: false },
);

/** One Cloud API template send component (header, body, button or carousel). */
export const TemplateComponentSchema = Discriminated(
  'type',
  [
    HeaderComponent,
    bodyComponent(LIMITS.templateBody),
    buttonComponent([
      quickReplyButton(LIMITS.templateButtonsMax - 1),
      urlButton(LIMITS.templateButtonsMax - 1),
      copyCodeButton,
      flowButton,
      catalogButton,
    ]),
    CarouselComponent,
  ],
  { title: 'TemplateComponent' },
);
export type TemplateComponent = Static<typeof TemplateComponentSchema>;

export const TemplateComponentsSchema = Type.Array(TemplateComponentSchema, {
  minItems: 1,
  maxItems: 3 + LIMITS.templateButtonsMax,
  description:
    'Advanced form: Cloud API template components as sent to Meta (header, body, button, carousel with their parameters). ' +
    'Cannot be combined with templateVariables, carousel or bodyParameters.',
});

/** Property names of the simple form, which `templateComponents` excludes. */
export const SIMPLE_TEMPLATE_FIELDS = ['templateVariables', 'carousel', 'bodyParameters'] as const;

export const BOTH_TEMPLATE_FORMS_MESSAGE =
  'cannot be combined with templateVariables, carousel or bodyParameters: send either the simple form or templateComponents, not both';

/** `not` schema of the template branch: the simple and the advanced form exclude each other. */
export const TEMPLATE_FORMS_EXCLUSIVE = {
  required: ['templateComponents'],
  anyOf: SIMPLE_TEMPLATE_FIELDS.map((f) => ({ required: [f] })),
};

type ButtonRef = { sub_type: string; index: string | number };
const indexOf = (b: ButtonRef): number => Number(b.index);

/** Duplicate components, buttons and cards, which JSON Schema cannot see. `base` points at the array. */
export function checkTemplateComponents(
  components: readonly TemplateComponent[],
  base: string,
): FieldError[] {
  const errors: FieldError[] = [];
  const seenTypes = new Set<string>();
  const buttonIndexes = new Set<number>();
  components.forEach((c, i) => {
    if (c.type === 'button') {
      if (buttonIndexes.has(indexOf(c)))
        errors.push({
          path: `${base}/${i}/index`,
          message: `duplicate button index ${indexOf(c)}; send one component per button`,
        });
      buttonIndexes.add(indexOf(c));
      return;
    }
    if (seenTypes.has(c.type))
      errors.push({ path: `${base}/${i}`, message: `duplicate '${c.type}' component; send at most one` });
    seenTypes.add(c.type);
    if (c.type !== 'carousel') return;
    const cardIndexes = new Set<number>();
    c.cards.forEach((card, k) => {
      const cardPath = `${base}/${i}/cards/${k}`;
      if (cardIndexes.has(card.card_index))
        errors.push({
          path: `${cardPath}/card_index`,
          message: `duplicate card_index ${card.card_index}; card indexes must be unique`,
        });
      cardIndexes.add(card.card_index);
      const cardTypes = new Set<string>();
      const cardButtons = new Set<number>();
      card.components.forEach((cc, j) => {
        if (cc.type === 'button') {
          if (cardButtons.has(indexOf(cc)))
            errors.push({
              path: `${cardPath}/components/${j}/index`,
              message: `duplicate button index ${indexOf(cc)} in this card`,
            });
          cardButtons.add(indexOf(cc));
          return;
        }
        if (cardTypes.has(cc.type))
          errors.push({
            path: `${cardPath}/components/${j}`,
            message: `duplicate '${cc.type}' component in this card`,
          });
        cardTypes.add(cc.type);
      });
    });
  });
  return errors;
}

/** Duplicate card and button indexes in the simple `carousel`. `base` points at `carousel`. */
export function checkCarouselInput(carousel: CarouselInput, base: string): FieldError[] {
  const errors: FieldError[] = [];
  const cardIndexes = new Set<number>();
  carousel.cards.forEach((card, k) => {
    if (cardIndexes.has(card.index))
      errors.push({
        path: `${base}/cards/${k}/index`,
        message: `duplicate card index ${card.index}; card indexes must be unique`,
      });
    cardIndexes.add(card.index);
    const buttons = new Set<number>();
    (card.buttonValues ?? []).forEach((b, j) => {
      if (buttons.has(b.index))
        errors.push({
          path: `${base}/cards/${k}/buttonValues/${j}/index`,
          message: `duplicate button index ${b.index} in this card`,
        });
      buttons.add(b.index);
    });
  });
  return errors;
}

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
