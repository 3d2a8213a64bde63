/** The advanced form of a template send: Cloud API `templateComponents` as sent to Meta. */
import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import {
  Discriminated,
  exactlyOneOf,
  Filename,
  HttpsUrl,
  Latitude,
  LIMITS,
  Longitude,
  MediaId,
  errorMessages,
  ParamText,
  Text,
} from './common';

// ---------------------------------------------------------------------------------------------
// Advanced form: Cloud API send components as-is (docs/meta-cloud-api.md §1.5, §1.6)
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
