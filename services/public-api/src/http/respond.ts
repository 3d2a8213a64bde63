import type { Application, Response } from 'express';
import type { Static, TSchema } from '@sinclair/typebox';
import { compile, type FieldError, type Parser } from '@flowgate/contracts';

/**
 * Express setting that forces strict response validation on (or off) whatever NODE_ENV says:
 * `app.set(STRICT_RESPONSES, true)`. Without it, strict is on exactly when NODE_ENV is `test`
 * (Jest sets it), so every response of every test is checked against its schema (ADR 0023).
 */
export const STRICT_RESPONSES = 'flowgate strict responses';

/** A response body that does not match the schema its route declares: a bug, never bad input. */
export class ResponseContractError extends Error {
  constructor(
    readonly status: number,
    readonly schemaTitle: string,
    readonly problems: readonly FieldError[],
  ) {
    super(
      `response ${status} violates its contract ${schemaTitle}: ${problems
        .map((p) => `${p.path === '' ? '/' : p.path} ${p.message}`)
        .join('; ')}`,
    );
    this.name = 'ResponseContractError';
  }
}

const parsers = new WeakMap<TSchema, Parser<unknown>>();

function parserOf(schema: TSchema): Parser<unknown> {
  let parser = parsers.get(schema);
  if (parser === undefined) {
    parser = compile(schema);
    parsers.set(schema, parser);
  }
  return parser;
}

export function strictResponses(app: Application): boolean {
  const forced: unknown = app.get(STRICT_RESPONSES);
  return typeof forced === 'boolean' ? forced : app.get('env') === 'test';
}

/**
 * Checks a body against its schema as the client will receive it (after JSON serialisation);
 * throws ResponseContractError when it does not match.
 */
export function assertConforms(schema: TSchema, status: number, body: unknown): void {
  const wire: unknown = body === undefined ? undefined : JSON.parse(JSON.stringify(body));
  const result = parserOf(schema)(wire);
  if (!result.ok)
    throw new ResponseContractError(
      status,
      typeof schema.title === 'string' ? schema.title : '(untitled schema)',
      result.errors,
    );
}

/**
 * The one way a route answers with JSON: the body is typed as the schema's `Static<>` type, and
 * with strict responses on (every test run) it is validated against the schema before it is
 * sent. A mismatch throws ResponseContractError, which the error mapper logs and turns into a
 * 500, so a test that meets it fails loudly.
 */
export function respond<T extends TSchema>(res: Response, status: number, schema: T, body: Static<T>): void {
  if (strictResponses(res.app)) assertConforms(schema, status, body);
  res.status(status).json(body);
}
