import {
  Type,
  type SchemaOptions,
  type Static,
  type TSchema,
  type TUnion,
  type TUnsafe,
} from '@sinclair/typebox';

import { LIMITS } from './limits';

export { LIMITS };

/**
 * Messages for errors a keyword raises, keyed by the AJV keyword. Read by the validator (through
 * AJV's `verbose` errors) and published in the OpenAPI document as a specification extension. A
 * value may name a child `property`, which then becomes the error's path; `{property}` in a
 * message is replaced by the offending property name (for `additionalProperties`).
 */
export type ErrorMessages = Record<string, string | { property: string; message: string }>;

/** Adds error messages to schema options. */
export const errorMessages = (m: ErrorMessages): { 'x-messages': ErrorMessages } => ({ 'x-messages': m });

/** A string enum as `{type: 'string', enum: [...]}` (one error, not one per member as with anyOf of consts). */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: SchemaOptions = {},
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, type: 'string', enum: [...values] });
}

/**
 * A union of object schemas told apart by one property whose value is a constant in every
 * variant. Emitted as `oneOf` with AJV's (and OpenAPI's) `discriminator`, so AJV validates only the
 * variant the tag selects and reports errors about that variant alone.
 */
export function Discriminated<T extends TSchema[]>(
  propertyName: string,
  variants: [...T],
  options: SchemaOptions = {},
): TUnsafe<Static<TUnion<T>>> {
  return Type.Unsafe<Static<TUnion<T>>>({
    ...options,
    type: 'object',
    discriminator: { propertyName },
    oneOf: variants,
  });
}

/**
 * "Exactly one of these properties": a `oneOf` of single `required` lists. The validator turns
 * its errors into "must have required property 'a' or 'b'" and "cannot be combined with 'a'".
 */
export function exactlyOneOf<const K extends readonly string[]>(
  keys: K,
): { oneOf: { required: [K[number]] }[] } {
  return { oneOf: keys.map((k): { required: [K[number]] } => ({ required: [k] })) };
}

// ---------------------------------------------------------------------------------------------
// Primitives
// ---------------------------------------------------------------------------------------------

const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

export const Uuid = (options: SchemaOptions = {}) =>
  Type.String({
    format: 'uuid',
    pattern: UUID_PATTERN,
    ...errorMessages({ format: 'must be a UUID', pattern: 'must be a UUID' }),
    ...options,
  });

/** International phone number as partners write it: digits, optional leading `+`, spaces and dashes between digits. */
export const PHONE_INPUT_PATTERN = '^\\+?[1-9](?:[ -]*[0-9]){7,14}$';
/** The normalised form: digits only, country code first. */
export const PHONE_DIGITS_PATTERN = '^[1-9][0-9]{7,14}$';

const PHONE_MESSAGE =
  "must be a phone number with country code: 8 to 15 digits, not starting with 0; a leading '+', spaces and dashes are allowed (e.g. '+91 98765 43210')";

export const PhoneInput = Type.String({
  maxLength: 32,
  pattern: PHONE_INPUT_PATTERN,
  description:
    "Recipient's WhatsApp number with country code. A leading '+', spaces and dashes are tolerated and removed.",
  examples: ['919876543210', '+91 98765-43210'],
  ...errorMessages({ pattern: PHONE_MESSAGE, maxLength: PHONE_MESSAGE }),
});

export const PhoneDigits = Type.String({
  pattern: PHONE_DIGITS_PATTERN,
  description: 'Recipient number, digits only, country code first.',
  examples: ['919876543210'],
  ...errorMessages({ pattern: 'must be 8 to 15 digits, country code first, not starting with 0' }),
});

/** Removes everything but digits: `+91 98765-43210` → `919876543210`. */
export const normalisePhone = (phone: string): string => phone.replace(/[^0-9]/g, '');

const HTTPS_URL_MESSAGE = 'must be an https:// URL';

export const HttpsUrl = (maxLength: number = LIMITS.mediaUrl, options: SchemaOptions = {}) =>
  Type.String({
    maxLength,
    format: 'uri',
    pattern: '^https://[^\\s/?#]+',
    ...errorMessages({ pattern: HTTPS_URL_MESSAGE, format: HTTPS_URL_MESSAGE }),
    ...options,
  });

/** A link a WhatsApp user taps (CTA buttons): http or https. */
export const WebUrl = (maxLength: number, options: SchemaOptions = {}) =>
  Type.String({
    maxLength,
    format: 'uri',
    pattern: '^https?://[^\\s/?#]+',
    ...errorMessages({
      pattern: 'must be an http:// or https:// URL',
      format: 'must be an http:// or https:// URL',
    }),
    ...options,
  });

export const MEDIA_ID_PATTERN = '^[A-Za-z0-9._:=-]+$';

export const MediaId = (options: SchemaOptions = {}) =>
  Type.String({
    minLength: 1,
    maxLength: LIMITS.mediaId,
    pattern: MEDIA_ID_PATTERN,
    description: 'A WhatsApp media id (from the Cloud API media upload).',
    ...errorMessages({ pattern: "must be a WhatsApp media id (letters, digits, '.', '_', ':', '=', '-')" }),
    ...options,
  });

export const Filename = (options: SchemaOptions = {}) =>
  Type.String({
    minLength: 1,
    maxLength: LIMITS.filename,
    pattern: '^[^/\\\\\\u0000-\\u001f]+$',
    ...errorMessages({ pattern: "must be a file name without '/', '\\' or control characters" }),
    ...options,
  });

/** Non-empty text with a length limit. */
export const Text = (maxLength: number, options: SchemaOptions = {}) =>
  Type.String({ minLength: 1, maxLength, ...options });

/**
 * Template parameter text: non-empty, no newline or tab, no run of more than four spaces (Meta
 * rejects those with 132018).
 */
export const PARAM_TEXT_PATTERN = '^(?!.* {5})[^\\t\\n\\r]+$';
export const PARAM_TEXT_MESSAGE = 'must not contain newlines, tabs or more than four consecutive spaces';

export const ParamText = (maxLength: number, options: SchemaOptions = {}) =>
  Type.String({
    minLength: 1,
    maxLength,
    pattern: PARAM_TEXT_PATTERN,
    ...errorMessages({ pattern: PARAM_TEXT_MESSAGE }),
    ...options,
  });

export const Latitude = Type.Number({ minimum: -90, maximum: 90 });
export const Longitude = Type.Number({ minimum: -180, maximum: 180 });
