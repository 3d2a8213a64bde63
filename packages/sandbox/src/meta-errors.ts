/**
 * Meta's Graph error object, as the Cloud API returns it (docs/meta-cloud-api.md §2.2):
 * `{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,
 *   "error_data":{"messaging_product":"whatsapp","details":"..."},"fbtrace_id":"..."}}`
 */
import { randomBytes } from 'node:crypto';

/** Meta's titles for the codes the sandbox produces (the `message` is `(#code) title`). */
export const META_ERROR_TITLES: Readonly<Record<number, string>> = {
  1: 'An unknown error occurred',
  2: 'Service temporarily unavailable',
  4: 'Application request limit reached',
  100: 'Invalid parameter',
  190: 'Invalid OAuth access token - Cannot parse access token',
  2500: 'Unknown path components',
  130429: 'Rate limit hit',
  131000: 'Something went wrong',
  131008: 'Required parameter is missing',
  131009: 'Parameter value is not valid',
  131026: 'Message undeliverable',
  131031: 'Business Account locked',
  131047: 'Re-engagement message',
  131056: '(Business Account, Consumer Account) pair rate limit hit',
  132000: 'Number of parameters does not match the expected number of params',
  132001: 'Template name does not exist in the translation',
  132005: 'Translated text too long',
  132012: 'Parameter format does not match format in the created template',
  132015: 'Template is Paused',
  132018: 'There was an issue with the parameters in your template.',
};

/** The HTTP status Meta uses for each code (throttling is 400, not 429). */
export function httpStatusForCode(code: number): number {
  switch (code) {
    case 0:
    case 190:
      return 401;
    case 10:
    case 131031:
      return 403;
    case 132001:
      return 404;
    case 131000:
    case 131016:
      return 500;
    case 2:
      return 503;
    default:
      return 400;
  }
}

const TRACE_PREFIX = randomBytes(9).toString('base64url');
let traceSeq = 0;

/** Unique per process and run (random prefix + counter); cheap enough for every answer. */
export function newFbtraceId(): string {
  traceSeq = (traceSeq + 1) % Number.MAX_SAFE_INTEGER;
  return `A${TRACE_PREFIX}${traceSeq.toString(36)}`;
}

export interface MetaErrorOptions {
  details?: string;
  /** Overrides the whole `message` (Meta's 190 answers carry a sentence, not `(#190) title`). */
  message?: string;
  subcode?: number;
  fbtraceId?: string;
}

export interface MetaErrorBody {
  error: {
    message: string;
    type: string;
    code: number;
    error_subcode?: number;
    error_data?: { messaging_product: 'whatsapp'; details: string };
    fbtrace_id: string;
  };
}

export function metaErrorBody(code: number, opts: MetaErrorOptions = {}): MetaErrorBody {
  const title = META_ERROR_TITLES[code] ?? 'Unknown error';
  const body: MetaErrorBody = {
    error: {
      message: opts.message ?? `(#${code}) ${title}`,
      type: 'OAuthException',
      code,
      fbtrace_id: opts.fbtraceId ?? newFbtraceId(),
    },
  };
  if (opts.subcode !== undefined) body.error.error_subcode = opts.subcode;
  if (opts.details !== undefined)
    body.error.error_data = { messaging_product: 'whatsapp', details: opts.details };
  return body;
}
