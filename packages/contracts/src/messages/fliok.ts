import { Type, type Static } from '@sinclair/typebox';
import { Id } from '../http/common';
import { Success } from '../http/common';

/**
 * Fliok-compatible sends (docs/contracts.md §12): each Fliok body is rewritten into our own
 * `POST /messages/send` body and then goes through the very same validation, template checks,
 * idempotency and durable accept. Nothing is checked here; a field in the wrong shape is passed on
 * and named by the one validator (with Fliok's field names in the error paths).
 */
export const FLIOK_SEND_ROUTES = [
  'send',
  'send-media',
  'send-template',
  'send-buttons',
  'send-location',
] as const;
export type FliokSendRoute = (typeof FLIOK_SEND_ROUTES)[number];

type Body = Record<string, unknown>;

const pick = (b: Body, ...keys: string[]): Body =>
  Object.fromEntries(keys.filter((k) => b[k] !== undefined).map((k) => [k, b[k]]));

/** True for a `POST /messages/send` body in Fliok's `{to, message}` form (no `type`). */
export const isFliokText = (body: unknown): body is Body =>
  typeof body === 'object' &&
  body !== null &&
  !Array.isArray(body) &&
  !('type' in body) &&
  ('to' in body || 'message' in body);

/** Rewrites a Fliok body into ours; a body that is not an object is passed on as it is (400 there). */
export function fromFliok(route: FliokSendRoute, body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const b = body as Body;
  const common = { phone: b['to'], ...pick(b, 'phoneNumberId') };
  switch (route) {
    case 'send':
      return { type: 'text', ...common, content: b['message'], ...pick(b, 'previewUrl') };
    case 'send-media':
      return { type: b['type'], ...common, ...pick(b, 'mediaUrl', 'mediaId', 'caption', 'filename') };
    case 'send-template':
      return {
        type: 'template',
        ...common,
        templateName: b['templateName'],
        ...(b['language'] !== undefined ? { templateLanguage: b['language'] } : pick(b, 'templateLanguage')),
        ...(b['components'] !== undefined ? { templateComponents: b['components'] } : {}),
        ...pick(b, 'templateVariables', 'carousel', 'bodyParameters'),
      };
    case 'send-buttons': {
      const buttons = Array.isArray(b['buttons'])
        ? (b['buttons'] as unknown[]).map((x) =>
            typeof x === 'object' && x !== null
              ? { type: 'reply', reply: pick(x as Body, 'id', 'title') }
              : x,
          )
        : b['buttons'];
      return {
        type: 'interactive',
        ...common,
        content: {
          type: 'button',
          body: { text: b['body'] },
          action: { buttons },
          ...(b['header'] !== undefined ? { header: { type: 'text', text: b['header'] } } : {}),
          ...(b['footer'] !== undefined ? { footer: { text: b['footer'] } } : {}),
        },
      };
    }
    case 'send-location':
      return { type: 'location', ...common, ...pick(b, 'latitude', 'longitude', 'name', 'address') };
  }
}

/** Our field paths in validation errors, named as the Fliok body has them. */
export function fliokErrorPath(route: FliokSendRoute, path: string): string {
  const renames: Array<[RegExp, string]> = [[/^\/phone\b/, '/to']];
  if (route === 'send') renames.push([/^\/content\b/, '/message']);
  if (route === 'send-template')
    renames.push([/^\/templateComponents\b/, '/components'], [/^\/templateLanguage\b/, '/language']);
  if (route === 'send-buttons')
    renames.push(
      [/^\/content\/body\/text\b/, '/body'],
      [/^\/content\/action\/buttons\b/, '/buttons'],
      [/^\/content\b/, ''],
    );
  for (const [re, to] of renames) if (re.test(path)) return path.replace(re, to);
  return path;
}

/** 201 of the Fliok-compatible sends: Fliok's `messageId` and `to`, plus our `id` (the same). */
export const FliokSendResponseSchema = Success(
  Type.Object(
    {
      id: Id('The message id; poll GET /messages/{id}.'),
      messageId: Id('The same id, under the name Fliok clients read.'),
      to: Type.String({ description: 'The recipient as given.' }),
      status: Type.Literal('ACCEPTED'),
      message: Type.String(),
    },
    { additionalProperties: false },
  ),
  'FliokSendResponse',
);
export type FliokSendResponse = Static<typeof FliokSendResponseSchema>;
