import { Type, type TSchema } from '@sinclair/typebox';
import { Uuid } from '../messages/common';

/** An ISO 8601 timestamp with time zone, as produced by `Date.prototype.toISOString()`. */
export const Timestamp = (description?: string) =>
  Type.String({
    format: 'date-time',
    ...(description === undefined ? {} : { description }),
    examples: ['2026-11-22T10:15:30.000Z'],
  });

/**
 * A resource id: a plain hyphenated UUID. The pattern matters for path parameters: the `uuid`
 * format alone also accepts `urn:uuid:…`, which PostgreSQL's uuid type refuses (a 500, not a 404).
 */
export const Id = (description?: string) => Uuid(description === undefined ? {} : { description });

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** `{success: true, data}`: every successful JSON response. */
export const Success = <T extends TSchema>(data: T, title: string) =>
  Type.Object({ success: Type.Literal(true), data }, { title, additionalProperties: false });
