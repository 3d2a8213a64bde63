import { Type, type SchemaOptions, type Static, type TSchema } from '@sinclair/typebox';
import type { FieldError } from '../http/errors';
import {
  Discriminated,
  errorMessages,
  type ErrorMessages,
  exactlyOneOf,
  Filename,
  HttpsUrl,
  Latitude,
  LIMITS,
  Longitude,
  MediaId,
  normalisePhone,
  PhoneDigits,
  PhoneInput,
  Text,
  Uuid,
} from './common';
import {
  checkInteractiveContent,
  InteractiveContentSchema,
  InteractiveContentWireSchema,
  MetaInteractiveSchema,
  toMetaInteractive,
} from './interactive';
import {
  BodyParametersSchema,
  CarouselInputSchema,
  checkCarouselInput,
  checkTemplateComponents,
  TemplateComponentsSchema,
  TEMPLATE_FORMS_EXCLUSIVE,
  BOTH_TEMPLATE_FORMS_MESSAGE,
  TemplateLanguageSchema,
  TemplateNameSchema,
  TemplateVariablesSchema,
} from './template';

/** Every value of `type` on `POST /messages/send`. */
export const SEND_MESSAGE_TYPES = [
  'text',
  'template',
  'interactive',
  'image',
  'video',
  'audio',
  'document',
  'sticker',
  'location',
] as const;
export type SendMessageType = (typeof SEND_MESSAGE_TYPES)[number];

export const MEDIA_MESSAGE_TYPES = ['image', 'video', 'audio', 'document', 'sticker'] as const;
export type MediaMessageType = (typeof MEDIA_MESSAGE_TYPES)[number];

const RECIPIENT = exactlyOneOf(['phone', 'contactId'] as const);
const MEDIA_SOURCE = exactlyOneOf(['mediaUrl', 'mediaId'] as const);

/**
 * The body schema of `POST /messages/send`, built for one phone shape and one interactive-content
 * shape. Three instances exist: the wire schema (published), the schema the validator runs (the
 * same, with a JSON-string `content` already parsed) and the normalised schema (what an accepted
 * request holds).
 */
function buildSendMessageSchema<P extends TSchema, C extends TSchema>(
  phone: P,
  interactiveContent: C,
  options: SchemaOptions,
) {
  const recipient = {
    phone: Type.Optional(phone),
    contactId: Type.Optional(Uuid({ description: 'A contact of the same workspace (instead of `phone`).' })),
    phoneNumberId: Type.Optional(
      Uuid({
        description:
          "Which of the workspace's connected numbers sends. Default: the workspace's active number.",
      }),
    ),
  };
  const only = (
    type: SendMessageType,
    title: string,
    extra: SchemaOptions = {},
    messages: ErrorMessages = {},
  ) => ({
    title,
    additionalProperties: false,
    allOf: [RECIPIENT],
    ...errorMessages({
      additionalProperties: `unknown property '{property}' for type '${type}'`,
      ...messages,
    }),
    ...extra,
  });
  const media = {
    mediaUrl: Type.Optional(
      HttpsUrl(LIMITS.mediaUrl, { description: 'Public https URL of the file (Meta downloads it).' }),
    ),
    mediaId: Type.Optional(MediaId()),
  };
  const mediaOptions = (type: MediaMessageType, title: string) =>
    only(type, title, { allOf: [RECIPIENT, MEDIA_SOURCE] });
  const caption = { caption: Type.Optional(Text(LIMITS.mediaCaption)) };

  const text = Type.Object(
    {
      type: Type.Literal('text'),
      ...recipient,
      content: Text(LIMITS.textBody, { description: 'Message text (URLs are linked).' }),
      previewUrl: Type.Optional(Type.Boolean({ description: 'Render a preview of the first URL.' })),
    },
    only('text', 'Text message'),
  );
  const template = Type.Object(
    {
      type: Type.Literal('template'),
      ...recipient,
      templateName: TemplateNameSchema,
      templateLanguage: Type.Optional(TemplateLanguageSchema),
      templateVariables: Type.Optional(TemplateVariablesSchema),
      carousel: Type.Optional(CarouselInputSchema),
      bodyParameters: Type.Optional(BodyParametersSchema),
      templateComponents: Type.Optional(TemplateComponentsSchema),
    },
    only(
      'template',
      'Template message',
      { not: TEMPLATE_FORMS_EXCLUSIVE },
      { not: { property: 'templateComponents', message: BOTH_TEMPLATE_FORMS_MESSAGE } },
    ),
  );
  const interactive = Type.Object(
    { type: Type.Literal('interactive'), ...recipient, content: interactiveContent },
    only('interactive', 'Interactive message'),
  );
  const image = Type.Object(
    { type: Type.Literal('image'), ...recipient, ...media, ...caption },
    mediaOptions('image', 'Image message'),
  );
  const video = Type.Object(
    { type: Type.Literal('video'), ...recipient, ...media, ...caption },
    mediaOptions('video', 'Video message'),
  );
  const audio = Type.Object(
    { type: Type.Literal('audio'), ...recipient, ...media },
    mediaOptions('audio', 'Audio message'),
  );
  const document = Type.Object(
    {
      type: Type.Literal('document'),
      ...recipient,
      ...media,
      ...caption,
      filename: Type.Optional(
        Filename({ description: 'File name shown to the recipient; its extension drives the icon.' }),
      ),
    },
    mediaOptions('document', 'Document message'),
  );
  const sticker = Type.Object(
    { type: Type.Literal('sticker'), ...recipient, ...media },
    mediaOptions('sticker', 'Sticker message'),
  );
  const location = Type.Object(
    {
      type: Type.Literal('location'),
      ...recipient,
      latitude: Latitude,
      longitude: Longitude,
      name: Type.Optional(Text(LIMITS.locationName)),
      address: Type.Optional(Text(LIMITS.locationAddress)),
    },
    only('location', 'Location message'),
  );
  return Discriminated(
    'type',
    [text, template, interactive, image, video, audio, document, sticker, location],
    options,
  );
}

/** What partners send (published in the OpenAPI document): `content` may be a JSON string. */
export const SendMessageBodySchema = buildSendMessageSchema(PhoneInput, InteractiveContentWireSchema, {
  title: 'SendMessageBody',
  description:
    'Body of POST /api/v1/public/messages/send. Exactly one of `phone` or `contactId`; `type` selects the other fields.',
});
export type SendMessageBody = Static<typeof SendMessageBodySchema>;

/** The schema the validator runs: the wire schema after a JSON-string `content` has been parsed. */
export const SendMessageInputSchema = buildSendMessageSchema(PhoneInput, InteractiveContentSchema, {
  title: 'SendMessageInput',
});
export type SendMessageInput = Static<typeof SendMessageInputSchema>;

/** An accepted request: `phone` is digits only and interactive `content` is Meta's interactive object. */
export const SendMessageRequestSchema = buildSendMessageSchema(PhoneDigits, MetaInteractiveSchema, {
  title: 'SendMessageRequest',
});
export type SendMessageRequest = Static<typeof SendMessageRequestSchema>;

/** Cross-field rules JSON Schema cannot state, for a schema-valid input. */
export function checkSendMessage(input: SendMessageInput): FieldError[] {
  if (input.type === 'interactive') return checkInteractiveContent(input.content, '/content');
  if (input.type === 'template')
    return [
      ...(input.carousel ? checkCarouselInput(input.carousel, '/carousel') : []),
      ...(input.templateComponents
        ? checkTemplateComponents(input.templateComponents, '/templateComponents')
        : []),
    ];
  return [];
}

/** Normalises a schema-valid input: phone to digits, interactive content to Meta's object. */
export function normaliseSendMessage(input: SendMessageInput): SendMessageRequest {
  const withPhone = input.phone === undefined ? input : { ...input, phone: normalisePhone(input.phone) };
  if (withPhone.type === 'interactive')
    return { ...withPhone, content: toMetaInteractive(withPhone.content) };
  return withPhone;
}
