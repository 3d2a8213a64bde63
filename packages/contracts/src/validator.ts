import Ajv2020, { type ErrorObject } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Static, TSchema } from '@sinclair/typebox';
import type { FieldError } from './http/errors';
import { LIMITS } from './messages/common';
import { INTERACTIVE_TYPES_TEXT } from './messages/interactive';
import {
  checkSendMessage,
  normaliseSendMessage,
  SendMessageInputSchema,
  type SendMessageRequest,
} from './messages/send';

export type { FieldError } from './http/errors';

/** The outcome of parsing untrusted input. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** Returned by `compile`: never throws, never mutates its argument. */
export type Parser<T> = (value: unknown) => ParseResult<T>;

/** Annotation keywords our schemas carry (strict mode rejects unknown keywords). */
const ANNOTATION_KEYWORDS = [
  { keyword: 'x-messages', schemaType: 'object' },
  { keyword: 'x-secret', schemaType: 'boolean' },
] as const;

/** At most this many errors are reported for one input (a huge invalid array should not produce a huge response). */
export const MAX_FIELD_ERRORS = 100;

/**
 * The one AJV instance: JSON Schema 2020-12 (the dialect of OpenAPI 3.1), every error rather than
 * the first, strict about schemas, no type coercion, no defaults or property removal (input is
 * never mutated), `discriminator` so a tagged union validates only the branch its tag selects,
 * `verbose` so errors carry their schema (for `x-messages`).
 *
 * `strictRequired` is off: AJV compiles `oneOf` before `properties`, so it would reject the
 * exactly-one-of groups (`oneOf: [{required: ['phone']}, {required: ['contactId']}]`). Every
 * other `required` list is derived by TypeBox from `properties`, so it cannot name an unknown key.
 */
const ajv = new Ajv2020({
  allErrors: true,
  strict: true,
  strictRequired: false,
  coerceTypes: false,
  useDefaults: false,
  removeAdditional: false,
  discriminator: true,
  verbose: true,
});
addFormats(ajv);
for (const k of ANNOTATION_KEYWORDS) ajv.addKeyword({ keyword: k.keyword, schemaType: k.schemaType });

/**
 * Compiles a TypeBox schema once into a parser that reports problems as `FieldError`s. Call it at
 * module load, not per request.
 */
export function compile<T extends TSchema>(schema: T): Parser<Static<T>> {
  const validate = ajv.compile<Static<T>>(schema);
  return (value: unknown): ParseResult<Static<T>> =>
    validate(value) ? { ok: true, value } : { ok: false, errors: formatAjvErrors(validate.errors ?? []) };
}

// ---------------------------------------------------------------------------------------------
// POST /messages/send
// ---------------------------------------------------------------------------------------------

const validateSendMessage = compile(SendMessageInputSchema);

/**
 * Parses the body of `POST /messages/send`: schema, then the cross-field rules, then
 * normalisation (phone to digits, interactive content to Meta's object). A JSON-string `content`
 * of an interactive message is parsed first, so its errors have paths under `/content`.
 */
export function parseSendMessageRequest(body: unknown): ParseResult<SendMessageRequest> {
  const pre = parseInteractiveString(body);
  // After the JSON-string `content` is parsed, so text inside it is checked too (with its path).
  const text = invalidTextErrors(pre.body);
  if (text.length > 0) return { ok: false, errors: mergeErrors(pre.errors, text) };
  const result = validateSendMessage(pre.body);
  if (!result.ok || pre.errors.length > 0)
    return { ok: false, errors: mergeErrors(pre.errors, result.ok ? [] : result.errors) };
  const problems = checkSendMessage(result.value);
  if (problems.length > 0) return { ok: false, errors: problems.slice(0, MAX_FIELD_ERRORS) };
  return { ok: true, value: normaliseSendMessage(result.value) };
}

// A lone UTF-16 surrogate or a NUL character cannot be stored as JSON text by PostgreSQL, and
// Meta would reject or mangle it: refuse such strings anywhere in the body, naming the field.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function textViolation(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(value)) return 'must be valid Unicode text (it contains a lone surrogate)';
  return undefined;
}

/** A value met while walking the body, with the way back to the root (paths are built only for errors). */
interface Visit {
  value: unknown;
  key: string;
  parent: Visit | undefined;
}

/** Deeper than this, an error names the ancestor at this depth (a 100,000-segment path helps nobody). */
const MAX_PATH_DEPTH = 32;

const problemAt = (v: Visit, message: string): FieldError => {
  const segments: string[] = [];
  for (let at: Visit | undefined = v; at?.parent !== undefined; at = at.parent) segments.push(at.key);
  const depth = segments.length;
  const shown = segments.reverse().slice(0, MAX_PATH_DEPTH).map(escapePointer);
  const path = shown.length === 0 ? '/' : `/${shown.join('/')}`;
  return depth > MAX_PATH_DEPTH
    ? { path, message: `${message} (${depth - MAX_PATH_DEPTH} levels below this path)` }
    : { path, message };
};

/**
 * Every string (keys included) of the body, at any depth: iterative, so a body nested 100,000
 * levels deep is walked without recursion, and a NUL at the bottom of free-form JSON (a flow
 * button's `flow_action_data`) is still found.
 */
function invalidTextErrors(body: unknown): FieldError[] {
  const errors: FieldError[] = [];
  const stack: Visit[] = [{ value: body, key: '', parent: undefined }];
  while (stack.length > 0 && errors.length < MAX_FIELD_ERRORS) {
    const visit = stack.pop() as Visit;
    const { value } = visit;
    if (typeof value === 'string') {
      const message = textViolation(value);
      if (message !== undefined) errors.push(problemAt(visit, message));
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--)
        stack.push({ value: value[i] as unknown, key: String(i), parent: visit });
    } else if (typeof value === 'object' && value !== null) {
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, v] = entries[i] as [string, unknown];
        const child: Visit = { value: v, key: k, parent: visit };
        const keyProblem = textViolation(k);
        if (keyProblem !== undefined) errors.push(problemAt(child, keyProblem));
        stack.push(child);
      }
    }
  }
  return errors;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function parseInteractiveString(body: unknown): { body: unknown; errors: FieldError[] } {
  if (!isRecord(body) || body.type !== 'interactive' || typeof body.content !== 'string')
    return { body, errors: [] };
  const content = body.content;
  const without = (): Record<string, unknown> => {
    const copy = { ...body };
    delete copy.content;
    return copy;
  };
  if (content.trim() === '')
    return {
      body: without(),
      errors: [
        {
          path: '/content',
          message: `must not be blank: send the interactive object (type ${INTERACTIVE_TYPES_TEXT}), or a JSON string holding it`,
        },
      ],
    };
  if (content.length > LIMITS.interactiveJsonString)
    return {
      body: without(),
      errors: [{ path: '/content', message: `must be at most ${LIMITS.interactiveJsonString} characters` }],
    };
  try {
    return { body: { ...body, content: JSON.parse(content) as unknown }, errors: [] };
  } catch {
    return {
      body: without(),
      errors: [
        {
          path: '/content',
          message:
            'must be valid JSON: send the interactive object itself, or a string holding it as valid JSON',
        },
      ],
    };
  }
}

function mergeErrors(first: readonly FieldError[], second: readonly FieldError[]): FieldError[] {
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const e of [...first, ...second]) {
    if (seen.has(e.path)) continue;
    seen.add(e.path);
    out.push(e);
  }
  return out.slice(0, MAX_FIELD_ERRORS);
}

// ---------------------------------------------------------------------------------------------
// AJV errors → FieldErrors
// ---------------------------------------------------------------------------------------------

type AjvError = ErrorObject<string, Record<string, unknown>, unknown>;

const read = (o: unknown, key: string): unknown => (isRecord(o) ? o[key] : undefined);
const str = (v: unknown): string => (typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v)));
const quote = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : (JSON.stringify(v) ?? String(v)));
const escapePointer = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');
const child = (path: string, property: string): string => `${path}/${escapePointer(property)}`;
const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** `x-messages[keyword]` of the schema that raised the error. */
function customMessage(e: AjvError): string | { property: string; message: string } | undefined {
  const m = read(read(e.parentSchema, 'x-messages'), e.keyword);
  if (typeof m === 'string') return m;
  const property = read(m, 'property');
  const message = read(m, 'message');
  return typeof property === 'string' && typeof message === 'string' ? { property, message } : undefined;
}

/** The property names of an exactly-one-of group (`oneOf` of single `required` lists), or null. */
function exactlyOneOfNames(e: AjvError): string[] | null {
  if (e.keyword !== 'oneOf' || !Array.isArray(e.schema)) return null;
  const names: string[] = [];
  for (const s of e.schema) {
    const req = read(s, 'required');
    if (
      !isRecord(s) ||
      Object.keys(s).length !== 1 ||
      !Array.isArray(req) ||
      req.length !== 1 ||
      typeof req[0] !== 'string'
    )
      return null;
    names.push(req[0]);
  }
  return names;
}

const TYPE_MESSAGES: Record<string, string> = {
  string: 'must be a string',
  number: 'must be a number',
  integer: 'must be an integer',
  boolean: 'must be true or false',
  object: 'must be an object',
  array: 'must be an array',
  null: 'must be null',
};

const FORMAT_MESSAGES: Record<string, string> = {
  uuid: 'must be a UUID',
  uri: 'must be a URL',
  email: 'must be an email address',
  'date-time': 'must be an ISO 8601 date-time',
};

function translate(e: AjvError): FieldError | null {
  const custom = customMessage(e);
  const customText = typeof custom === 'string' ? custom : undefined;
  const at = e.instancePath;
  const p = e.params;
  switch (e.keyword) {
    case 'required': {
      const name = str(p.missingProperty);
      return { path: child(at, name), message: `must have required property '${name}'` };
    }
    case 'additionalProperties': {
      const name = str(p.additionalProperty);
      return {
        path: child(at, name),
        message: customText?.replace(/\{property\}/g, name) ?? `unknown property '${name}'`,
      };
    }
    case 'discriminator': {
      const tag = str(p.tag);
      if (read(e.data, tag) === undefined)
        return { path: child(at, tag), message: `must have required property '${tag}'` };
      const variants = read(e.parentSchema, 'oneOf');
      const allowed = Array.isArray(variants)
        ? variants.map((v) => read(read(read(v, 'properties'), tag), 'const'))
        : [];
      return {
        path: child(at, tag),
        message: customText ?? `must be one of ${allowed.map(quote).join(', ')}`,
      };
    }
    case 'oneOf': {
      const names = exactlyOneOfNames(e);
      if (names !== null) {
        const present = names.filter((n) => read(e.data, n) !== undefined);
        const alternatives = names.map((n) => `'${n}'`).join(' or ');
        const second = present[1];
        if (present[0] !== undefined && second !== undefined)
          return {
            path: child(at, second),
            message: `cannot be combined with '${present[0]}': give exactly one of ${alternatives}`,
          };
        return { path: child(at, names[0] ?? ''), message: `must have required property ${alternatives}` };
      }
      return { path: at, message: customText ?? 'must match exactly one of the allowed shapes' };
    }
    case 'anyOf':
      return { path: at, message: customText ?? 'must match one of the allowed shapes' };
    case 'if':
      return null; // the failing then/else branch reports the actual problems
    case 'not':
      if (custom !== undefined && typeof custom !== 'string')
        return { path: child(at, custom.property), message: custom.message };
      return { path: at, message: customText ?? 'is not allowed here' };
    case 'false schema':
      return { path: at, message: 'is not allowed' };
    case 'type':
      return { path: at, message: customText ?? TYPE_MESSAGES[str(p.type)] ?? `must be ${str(p.type)}` };
    case 'const':
      return { path: at, message: customText ?? `must be ${quote(p.allowedValue)}` };
    case 'enum':
      return {
        path: at,
        message:
          customText ??
          `must be one of ${Array.isArray(p.allowedValues) ? p.allowedValues.map(quote).join(', ') : ''}`,
      };
    case 'minLength': {
      const n = Number(p.limit);
      return {
        path: at,
        message:
          customText ??
          (n === 1 ? 'must not be empty' : `must be at least ${plural(n, 'character', 'characters')}`),
      };
    }
    case 'maxLength':
      return {
        path: at,
        message: customText ?? `must be at most ${plural(Number(p.limit), 'character', 'characters')}`,
      };
    case 'minItems':
      return {
        path: at,
        message: customText ?? `must have at least ${plural(Number(p.limit), 'item', 'items')}`,
      };
    case 'maxItems':
      return {
        path: at,
        message: customText ?? `must have at most ${plural(Number(p.limit), 'item', 'items')}`,
      };
    case 'minProperties':
      return {
        path: at,
        message: customText ?? `must have at least ${plural(Number(p.limit), 'property', 'properties')}`,
      };
    case 'maxProperties':
      return {
        path: at,
        message: customText ?? `must have at most ${plural(Number(p.limit), 'property', 'properties')}`,
      };
    case 'minimum':
      return { path: at, message: customText ?? `must be at least ${str(p.limit)}` };
    case 'maximum':
      return { path: at, message: customText ?? `must be at most ${str(p.limit)}` };
    case 'exclusiveMinimum':
      return { path: at, message: customText ?? `must be greater than ${str(p.limit)}` };
    case 'exclusiveMaximum':
      return { path: at, message: customText ?? `must be less than ${str(p.limit)}` };
    case 'multipleOf':
      return { path: at, message: customText ?? `must be a multiple of ${str(p.multipleOf)}` };
    case 'pattern':
      return { path: at, message: customText ?? `must match the pattern ${str(p.pattern)}` };
    case 'format':
      return {
        path: at,
        message: customText ?? FORMAT_MESSAGES[str(p.format)] ?? `must be a valid ${str(p.format)}`,
      };
    case 'uniqueItems':
      return {
        path: at,
        message:
          customText ?? `must not contain duplicate items (items ${str(p.j)} and ${str(p.i)} are identical)`,
      };
    default:
      return { path: at, message: customText ?? e.message ?? 'is invalid' };
  }
}

/**
 * Turns AJV's errors into one `FieldError` per path (the first problem found there), with paths
 * pointing at the offending property itself (a missing or unknown property included) and
 * messages a person can act on.
 */
export function formatAjvErrors(errors: readonly AjvError[]): FieldError[] {
  // Groups that explain themselves as a whole swallow the errors of their branches.
  const groups = errors.filter(
    (e) =>
      exactlyOneOfNames(e) !== null ||
      ((e.keyword === 'anyOf' || e.keyword === 'oneOf') && customMessage(e) !== undefined),
  );
  const swallowed = (e: AjvError): boolean =>
    groups.some(
      (g) =>
        g !== e &&
        e.schemaPath.startsWith(`${g.schemaPath}/`) &&
        (e.instancePath === g.instancePath || e.instancePath.startsWith(`${g.instancePath}/`)),
    );
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (swallowed(e)) continue;
    const fe = translate(e);
    if (fe === null || seen.has(fe.path)) continue;
    seen.add(fe.path);
    out.push(fe);
    if (out.length >= MAX_FIELD_ERRORS) break;
  }
  return out;
}
