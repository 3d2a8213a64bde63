import { Type, type Static } from '@sinclair/typebox';
import type { FieldError } from '../http/errors';
import {
  Discriminated,
  exactlyOneOf,
  Filename,
  HttpsUrl,
  LIMITS,
  MediaId,
  errorMessages,
  Text,
  WebUrl,
} from './common';

/** The interactive types Flowgate sends (docs/contracts.md §2.2): reply buttons, list, CTA URL. */
export const INTERACTIVE_TYPES = ['button', 'list', 'cta_url'] as const;
/** For messages: "'button' (reply buttons), 'list' or 'cta_url'". */
export const INTERACTIVE_TYPES_TEXT = "'button' (reply buttons), 'list' or 'cta_url'";

/**
 * Meta also has interactive media carousels, product and flow messages; docs/contracts.md §2.2 does not list
 * them, so the message says what exists and where a carousel can be had instead.
 */
const INTERACTIVE_TYPE_MESSAGE =
  `must be ${INTERACTIVE_TYPES_TEXT}; other interactive types (carousel, product, flow) are not supported ` +
  "(for a media carousel, send a carousel template with type 'template')";

// ---------------------------------------------------------------------------------------------
// Meta's interactive object (docs/meta-cloud-api.md §1.4): reply buttons, list, CTA URL.
// This is the shape the dispatcher sends as `interactive` and what every accepted request holds.
// ---------------------------------------------------------------------------------------------

const MediaLink = Type.Object(
  { id: Type.Optional(MediaId()), link: Type.Optional(HttpsUrl()) },
  { additionalProperties: false, ...exactlyOneOf(['id', 'link'] as const) },
);
const DocumentLink = Type.Object(
  { id: Type.Optional(MediaId()), link: Type.Optional(HttpsUrl()), filename: Type.Optional(Filename()) },
  { additionalProperties: false, ...exactlyOneOf(['id', 'link'] as const) },
);

const TextHeader = Type.Object(
  { type: Type.Literal('text'), text: Text(LIMITS.interactiveHeaderText) },
  { additionalProperties: false },
);
const ImageHeader = Type.Object(
  { type: Type.Literal('image'), image: MediaLink },
  { additionalProperties: false },
);
const VideoHeader = Type.Object(
  { type: Type.Literal('video'), video: MediaLink },
  { additionalProperties: false },
);
const DocumentHeader = Type.Object(
  { type: Type.Literal('document'), document: DocumentLink },
  { additionalProperties: false },
);

/** Header of a reply-button or CTA URL message: text, image, video or document. */
export const InteractiveHeaderSchema = Discriminated(
  'type',
  [TextHeader, ImageHeader, VideoHeader, DocumentHeader],
  {
    description: 'Optional header: text (≤60 characters) or an image, video or document ({id} or {link}).',
  },
);

const Body = Type.Object({ text: Text(LIMITS.interactiveBody) }, { additionalProperties: false });
const Footer = Type.Object({ text: Text(LIMITS.interactiveFooter) }, { additionalProperties: false });

const ReplyButton = Type.Object(
  {
    type: Type.Literal('reply'),
    reply: Type.Object(
      { id: Text(LIMITS.replyButtonId), title: Text(LIMITS.replyButtonTitle) },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const MetaButtonInteractiveSchema = Type.Object(
  {
    type: Type.Literal('button'),
    header: Type.Optional(InteractiveHeaderSchema),
    body: Body,
    footer: Type.Optional(Footer),
    action: Type.Object(
      {
        buttons: Type.Array(ReplyButton, {
          minItems: 1,
          maxItems: LIMITS.replyButtonsMax,
          description: '1 to 3 reply buttons; ids and titles unique within the message.',
        }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

const ListRow = Type.Object(
  {
    id: Text(LIMITS.listRowId),
    title: Text(LIMITS.listRowTitle),
    description: Type.Optional(Text(LIMITS.listRowDescription)),
  },
  { additionalProperties: false },
);

export const MetaListInteractiveSchema = Type.Object(
  {
    type: Type.Literal('list'),
    header: Type.Optional(TextHeader),
    body: Body,
    footer: Type.Optional(Footer),
    action: Type.Object(
      {
        button: Text(LIMITS.listButton, { description: 'Label of the button that opens the list.' }),
        sections: Type.Array(
          Type.Object(
            {
              title: Type.Optional(
                Text(LIMITS.listSectionTitle, {
                  description: 'Required when there is more than one section.',
                }),
              ),
              rows: Type.Array(ListRow, { minItems: 1, maxItems: LIMITS.listRowsTotalMax }),
            },
            { additionalProperties: false },
          ),
          {
            minItems: 1,
            maxItems: LIMITS.listSectionsMax,
            description: '1 to 10 sections with at most 10 rows in total.',
          },
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const MetaCtaUrlInteractiveSchema = Type.Object(
  {
    type: Type.Literal('cta_url'),
    header: Type.Optional(InteractiveHeaderSchema),
    body: Body,
    footer: Type.Optional(Footer),
    action: Type.Object(
      {
        name: Type.Literal('cta_url'),
        parameters: Type.Object(
          { display_text: Text(LIMITS.ctaDisplayText), url: WebUrl(LIMITS.ctaUrl) },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

/** Meta's `interactive` object for reply buttons, list and CTA URL messages. */
export const MetaInteractiveSchema = Discriminated(
  'type',
  [MetaButtonInteractiveSchema, MetaListInteractiveSchema, MetaCtaUrlInteractiveSchema],
  {
    title: 'MetaInteractive',
    description: "WhatsApp Cloud API `interactive` object (Meta's own shape).",
    ...errorMessages({ discriminator: INTERACTIVE_TYPE_MESSAGE }),
  },
);
export type MetaInteractive = Static<typeof MetaInteractiveSchema>;

// ---------------------------------------------------------------------------------------------
// The seed's simplified form: header/body/footer as plain strings, flat buttons and rows.
// ---------------------------------------------------------------------------------------------

const simpleCommon = {
  header: Type.Optional(Text(LIMITS.interactiveHeaderText, { description: 'Header text.' })),
  body: Text(LIMITS.interactiveBody, { description: 'Body text.' }),
  footer: Type.Optional(Text(LIMITS.interactiveFooter, { description: 'Footer text.' })),
};

export const SimpleButtonInteractiveSchema = Type.Object(
  {
    type: Type.Literal('button'),
    ...simpleCommon,
    buttons: Type.Array(
      Type.Object(
        { id: Text(LIMITS.replyButtonId), title: Text(LIMITS.replyButtonTitle) },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: LIMITS.replyButtonsMax },
    ),
  },
  { additionalProperties: false },
);

export const SimpleListInteractiveSchema = Type.Object(
  {
    type: Type.Literal('list'),
    ...simpleCommon,
    button: Text(LIMITS.listButton, { description: 'Label of the button that opens the list.' }),
    sections: Type.Array(
      Type.Object(
        {
          title: Type.Optional(Text(LIMITS.listSectionTitle)),
          rows: Type.Array(ListRow, { minItems: 1, maxItems: LIMITS.listRowsTotalMax }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: LIMITS.listSectionsMax },
    ),
  },
  { additionalProperties: false },
);

export const SimpleCtaUrlInteractiveSchema = Type.Object(
  {
    type: Type.Literal('cta_url'),
    ...simpleCommon,
    displayText: Text(LIMITS.ctaDisplayText, { description: 'Button label.' }),
    url: WebUrl(LIMITS.ctaUrl),
  },
  { additionalProperties: false },
);

/** Flowgate's simplified interactive form (as in the seed): strings instead of `{text}` objects. */
export const SimpleInteractiveSchema = Discriminated(
  'type',
  [SimpleButtonInteractiveSchema, SimpleListInteractiveSchema, SimpleCtaUrlInteractiveSchema],
  { title: 'SimpleInteractive', ...errorMessages({ discriminator: INTERACTIVE_TYPE_MESSAGE }) },
);
export type SimpleInteractive = Static<typeof SimpleInteractiveSchema>;

/**
 * Interactive `content` as an object, in either form. An object with `action`, or with `body` as
 * an object, is read as Meta's form; anything else as the simplified form. `if/then/else` (rather
 * than `oneOf`) lets the validator report errors for the chosen form only.
 */
export const InteractiveContentSchema = Type.Unsafe<MetaInteractive | SimpleInteractive>({
  type: 'object',
  title: 'InteractiveContent',
  description:
    "Meta's interactive object (with `action`), or the simplified form: " +
    '`{type:"button", body, header?, footer?, buttons:[{id,title}]}`, ' +
    '`{type:"list", body, header?, footer?, button, sections:[{title?, rows:[{id,title,description?}]}]}`, ' +
    '`{type:"cta_url", body, header?, footer?, displayText, url}`.',
  if: { anyOf: [{ required: ['action'] }, { properties: { body: { type: 'object' } }, required: ['body'] }] },
  then: MetaInteractiveSchema,
  else: SimpleInteractiveSchema,
  ...errorMessages({
    type: `must be an interactive object (type ${INTERACTIVE_TYPES_TEXT}), or a JSON string encoding one`,
  }),
});
export type InteractiveContent = Static<typeof InteractiveContentSchema>;

/** The wire form of `content`: the object, or a JSON string encoding it (as in the seed). */
export const InteractiveContentWireSchema = Type.Union(
  [
    Type.String({
      minLength: 1,
      maxLength: LIMITS.interactiveJsonString,
      contentMediaType: 'application/json',
      description: 'The interactive object as a JSON string.',
    }),
    InteractiveContentSchema,
  ],
  { description: 'The interactive payload, as an object or as a JSON string encoding one.' },
);

const isMetaForm = (c: InteractiveContent): c is MetaInteractive => 'action' in c;

/** Turns either accepted form into Meta's interactive object. */
export function toMetaInteractive(content: InteractiveContent): MetaInteractive {
  if (isMetaForm(content)) return content;
  const header =
    content.header === undefined ? {} : { header: { type: 'text' as const, text: content.header } };
  const footer = content.footer === undefined ? {} : { footer: { text: content.footer } };
  const body = { text: content.body };
  switch (content.type) {
    case 'button':
      return {
        type: 'button',
        ...header,
        body,
        ...footer,
        action: {
          buttons: content.buttons.map((b) => ({
            type: 'reply' as const,
            reply: { id: b.id, title: b.title },
          })),
        },
      };
    case 'list':
      return {
        type: 'list',
        ...header,
        body,
        ...footer,
        action: { button: content.button, sections: content.sections },
      };
    case 'cta_url':
      return {
        type: 'cta_url',
        ...header,
        body,
        ...footer,
        action: { name: 'cta_url', parameters: { display_text: content.displayText, url: content.url } },
      };
  }
}

/**
 * Rules JSON Schema cannot state, checked on schema-valid content: unique button ids and titles,
 * at most 10 list rows across all sections, unique row ids, section titles when there are several
 * sections. `base` is the JSON pointer of `content`.
 */
export function checkInteractiveContent(content: InteractiveContent, base: string): FieldError[] {
  type Labelled = { id: string; title: string; path: string };
  type Section = { title?: string | undefined; rows: { id: string }[] };
  let buttons: Labelled[] = [];
  let sections: Section[] = [];
  let sectionsPath = '';
  if (isMetaForm(content)) {
    if (content.type === 'button')
      buttons = content.action.buttons.map((b, i) => ({
        ...b.reply,
        path: `${base}/action/buttons/${i}/reply`,
      }));
    if (content.type === 'list')
      [sections, sectionsPath] = [content.action.sections, `${base}/action/sections`];
  } else {
    if (content.type === 'button')
      buttons = content.buttons.map((b, i) => ({ ...b, path: `${base}/buttons/${i}` }));
    if (content.type === 'list') [sections, sectionsPath] = [content.sections, `${base}/sections`];
  }

  const errors: FieldError[] = [];
  const ids = new Set<string>();
  const titles = new Set<string>();
  for (const b of buttons) {
    if (ids.has(b.id))
      errors.push({
        path: `${b.path}/id`,
        message: 'duplicate button id; button ids must be unique within the message',
      });
    if (titles.has(b.title))
      errors.push({
        path: `${b.path}/title`,
        message: 'duplicate button title; button titles must be unique within the message',
      });
    ids.add(b.id);
    titles.add(b.title);
  }

  const total = sections.reduce((n, s) => n + s.rows.length, 0);
  const rowIds = new Set<string>();
  let seen = 0;
  sections.forEach((section, s) => {
    if (sections.length > 1 && section.title === undefined)
      errors.push({
        path: `${sectionsPath}/${s}/title`,
        message: 'is required when the list has more than one section',
      });
    section.rows.forEach((row, r) => {
      seen += 1;
      if (seen === LIMITS.listRowsTotalMax + 1)
        errors.push({
          path: `${sectionsPath}/${s}/rows/${r}`,
          message: `the list has ${total} rows in total; at most ${LIMITS.listRowsTotalMax} are allowed across all sections`,
        });
      if (rowIds.has(row.id))
        errors.push({
          path: `${sectionsPath}/${s}/rows/${r}/id`,
          message: 'duplicate row id; row ids must be unique within the list',
        });
      rowIds.add(row.id);
    });
  });
  return errors;
}
