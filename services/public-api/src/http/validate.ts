import type { Static, TSchema } from '@sinclair/typebox';
import { compile } from '@flowgate/contracts';
import { ValidationError } from '@flowgate/errors';

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
