import type { Request } from 'express';
import type { Static, TObject, TSchema } from '@sinclair/typebox';
import { compile } from '@flowgate/contracts';
import { NotFoundError, ValidationError } from '@flowgate/errors';

/** Compiles a contracts schema once; the returned function validates a body or throws 400. */
export function bodyValidator<T extends TSchema>(schema: T): (body: unknown) => Static<T> {
  const check = compile(schema);
  return (body) => {
    const result = check(body ?? {});
    if (!result.ok)
      throw new ValidationError('VALIDATION_FAILED', 'The request body is invalid.', result.errors);
    return result.value;
  };
}

/**
 * Compiles a path-parameters schema once; the returned function validates `req.params`. A
 * parameter that does not match (an id that is not a UUID) names no resource: 404 with
 * `notFoundMessage`, the same answer as for an id that exists nowhere or in another workspace.
 */
export function paramsValidator<T extends TObject>(
  schema: T,
  notFoundMessage: string,
): (req: Request) => Static<T> {
  const check = compile(schema);
  const names = Object.keys(schema.properties);
  return (req) => {
    const params: Record<string, unknown> = {};
    for (const name of names) params[name] = req.params[name];
    const result = check(params);
    if (!result.ok) throw new NotFoundError('NOT_FOUND', notFoundMessage);
    return result.value;
  };
}

/**
 * Compiles a request-headers schema once (property names as documented, e.g. `Idempotency-Key`);
 * the returned function reads those headers (absent ones stay absent) and validates them, or
 * throws 400 whose `details` paths are the header names.
 */
export function headersValidator<T extends TObject>(schema: T): (req: Request) => Static<T> {
  const check = compile(schema);
  const names = Object.keys(schema.properties);
  return (req) => {
    const headers: Record<string, unknown> = {};
    for (const name of names) {
      const value = req.get(name);
      if (value !== undefined) headers[name] = value;
    }
    const result = check(headers);
    if (!result.ok) {
      const [first] = result.errors;
      throw new ValidationError(
        'VALIDATION_FAILED',
        `${first?.path.slice(1) ?? 'A header'} is invalid: ${first?.message ?? 'see details'}.`,
        result.errors.map((e) => ({ path: e.path.replace(/^\//, ''), message: e.message })),
      );
    }
    return result.value;
  };
}

/**
 * Compiles a query schema once; the returned function validates `req.query` (a repeated
 * parameter arrives as an array and fails its string type) or throws 400 naming each parameter.
 */
export function queryValidator<T extends TObject>(schema: T): (req: Request) => Static<T> {
  const check = compile(schema);
  return (req) => {
    const result = check({ ...(req.query as Record<string, unknown>) });
    if (!result.ok)
      throw new ValidationError(
        'VALIDATION_FAILED',
        `Query parameter ${result.errors[0]?.path.slice(1) || '?'} is invalid: ${result.errors[0]?.message ?? 'see details'}.`,
        result.errors,
      );
    return result.value;
  };
}
