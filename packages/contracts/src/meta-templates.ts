import { Type, type Static } from '@sinclair/typebox';

/**
 * One page of Meta's template list, `GET /{waba-id}/message_templates` (docs/meta-cloud-api.md
 * §7), as far as Flowgate reads it: `{"data": [...], "paging": {"cursors": {"before", "after"},
 * "next"}}`. Checked once where the Cloud API client reads the answer; each template is then
 * checked in full by the same rules as `pnpm cli template:add` (validateTemplateDefinition).
 * Unknown fields are allowed (Meta adds fields without notice).
 */
export const MetaTemplateSchema = Type.Object({
  id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  name: Type.String({ minLength: 1, maxLength: 512 }),
  language: Type.String({ minLength: 1, maxLength: 20 }),
  status: Type.String({ minLength: 1, maxLength: 64 }),
  category: Type.String({ minLength: 1, maxLength: 64 }),
  components: Type.Array(Type.Unknown(), { maxItems: 20 }),
  parameter_format: Type.Optional(Type.String({ maxLength: 32 })),
  rejected_reason: Type.Optional(Type.String({ maxLength: 1000 })),
});
export type MetaTemplate = Static<typeof MetaTemplateSchema>;

export const MetaTemplatePageSchema = Type.Object({
  data: Type.Array(Type.Unknown(), { maxItems: 1000 }),
  paging: Type.Optional(
    Type.Object({
      cursors: Type.Optional(
        Type.Object({
          before: Type.Optional(Type.String({ maxLength: 2048 })),
          after: Type.Optional(Type.String({ maxLength: 2048 })),
        }),
      ),
      next: Type.Optional(Type.String({ maxLength: 8192 })),
      previous: Type.Optional(Type.String({ maxLength: 8192 })),
    }),
  ),
});
export type MetaTemplatePage = Static<typeof MetaTemplatePageSchema>;

/** The `fields` Flowgate asks for (what a stored template keeps, and the reason of a rejection). */
export const META_TEMPLATE_FIELDS = [
  'id',
  'name',
  'language',
  'status',
  'category',
  'components',
  'parameter_format',
  'rejected_reason',
] as const;
