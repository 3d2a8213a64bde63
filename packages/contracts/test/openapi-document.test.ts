import { buildOpenApiDocument } from '../src/openapi';

/**
 * The generated document checked by an OpenAPI validator we did not write
 * (@seriousme/openapi-schema-validator: the OpenAPI Initiative's published 3.1 schema, with the
 * JSON Schema 2020-12 dialect for schema objects). ESM-only, so it is imported dynamically.
 */
async function validator() {
  const { Validator } = await import('@seriousme/openapi-schema-validator');
  return new Validator();
}

type Spec = Parameters<Awaited<ReturnType<typeof validator>>['validate']>[0];

/** The document as a client gets it: plain JSON. */
const served = (): Spec => JSON.parse(JSON.stringify(buildOpenApiDocument())) as Spec;

describe('the OpenAPI document, validated by @seriousme/openapi-schema-validator', () => {
  it('when the generated document is validated, then it is a valid OpenAPI 3.1 document', async () => {
    const v = await validator();
    const result = await v.validate(served());
    expect(result).toEqual({ valid: true });
    expect(v.version).toBe('3.1');
  });

  it('when every $ref is resolved by the validator, then none dangles', async () => {
    const v = await validator();
    await v.validate(served());
    // resolveRefs throws on a $ref that points nowhere.
    expect(() => v.resolveRefs()).not.toThrow();
  });

  /** Sets (or, with undefined, deletes) the value at `path` of a plain-JSON copy of the document. */
  function broken(path: string[], value: unknown): Record<string, unknown> {
    const doc = JSON.parse(JSON.stringify(buildOpenApiDocument())) as Record<string, unknown>;
    let node: Record<string, unknown> = doc;
    for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
    const last = path[path.length - 1] ?? '';
    if (value === undefined) delete node[last];
    else node[last] = value;
    return doc;
  }

  it.each([
    [
      'a response without a description',
      ['paths', '/healthz', 'get', 'responses', '200', 'description'],
      undefined,
    ],
    [
      'a path parameter that is not required',
      ['paths', '/api/v1/public/messages/{id}', 'get', 'parameters', '0', 'required'],
      false,
    ],
    ['an unknown top-level field', ['extra'], true],
  ])(
    'when the document is broken by %s, then the validator says so (the check is not vacuous)',
    async (_name, path, value) => {
      const doc = broken(path, value);
      const result = await (await validator()).validate(doc);
      expect(result.valid).toBe(false);
    },
  );
});
