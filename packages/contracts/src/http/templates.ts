import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../messages/common';
import { Id, Nullable, Success } from './common';

export const TEMPLATE_CATEGORIES = ['MARKETING', 'UTILITY', 'AUTHENTICATION'] as const;
export type TemplateCategory = (typeof TEMPLATE_CATEGORIES)[number];

/** One approved template as `GET /templates` lists it. */
export const TemplateSummarySchema = Type.Object(
  {
    id: Id(),
    name: Type.String({ description: 'Use as `templateName`.' }),
    language: Type.String({ description: 'Use as `templateLanguage`, e.g. en_US.' }),
    category: StringEnum(TEMPLATE_CATEGORIES),
    status: Type.String({
      description:
        "Meta's review status: APPROVED (the default list), PENDING, REJECTED, PAUSED, DISABLED, …",
      examples: ['APPROVED'],
    }),
    rejectionReason: Type.Optional(Nullable(Type.String({ description: "Meta's reason, when REJECTED." }))),
    components: Type.Array(Type.Object({ type: Type.String() }, { additionalProperties: true }), {
      description: "The template's components as Meta's template API returns them.",
    }),
    variables: Type.Array(Type.String(), {
      description:
        "The `templateVariables` keys the template expects, e.g. ['1', '2', 'header_media', 'button_0'].",
    }),
  },
  { title: 'TemplateSummary', additionalProperties: false },
);
export type TemplateSummary = Static<typeof TemplateSummarySchema>;

export const ListTemplatesResponseSchema = Success(
  Type.Object({ templates: Type.Array(TemplateSummarySchema) }, { additionalProperties: false }),
  'ListTemplatesResponse',
);
export type ListTemplatesResponse = Static<typeof ListTemplatesResponseSchema>;

export const ListTemplatesQuerySchema = Type.Object(
  {
    status: Type.Optional(
      Type.String({
        pattern: '^(ALL|[A-Z_]{3,30})$',
        description: 'APPROVED (default), one other status such as PENDING, or ALL.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const GetTemplateResponseSchema = Success(TemplateSummarySchema, 'GetTemplateResponse');
