/**
 * Every error code a client can receive, with its HTTP status and meaning. The README's error
 * table is checked against this list by a test, so add a row there when you add one here.
 */
export const ERROR_CODES = {
  VALIDATION_FAILED: {
    status: 400,
    meaning: 'The body or a parameter does not match the schema; `details` names each field.',
  },
  MALFORMED_JSON: { status: 400, meaning: 'The body is not valid JSON.' },
  UNAUTHORIZED: {
    status: 401,
    meaning: 'Credentials are missing, malformed, unknown, wrong or revoked (one body for all).',
  },
  INVALID_CREDENTIALS: { status: 401, meaning: 'Admin login: wrong email or password.' },
  INVALID_SIGNATURE: {
    status: 401,
    meaning:
      "Meta's webhook intake: `X-Hub-Signature-256` is missing or does not match the body (nothing stored).",
  },
  FORBIDDEN: { status: 403, meaning: 'Authenticated, but the role or workspace does not allow this.' },
  INSUFFICIENT_SCOPE: {
    status: 403,
    meaning: 'The API key lacks the scope this route needs (the message names it).',
  },
  IP_NOT_ALLOWED: {
    status: 403,
    meaning: 'The API key may not be used from this address (its `allowedIps`).',
  },
  NOT_FOUND: { status: 404, meaning: 'No such route or resource (or it belongs to another workspace).' },
  CONFLICT: { status: 409, meaning: 'The resource already exists (e.g. a duplicate email or template).' },
  CONTACT_EXISTS: {
    status: 409,
    meaning: 'A contact with this phone number exists in the workspace; `details` gives its id.',
  },
  BROADCAST_FINISHED: {
    status: 409,
    meaning: 'The broadcast has completed or was cancelled already: there is nothing left to cancel.',
  },
  PAYLOAD_TOO_LARGE: { status: 413, meaning: 'The body exceeds the size limit.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, meaning: 'The body is not `application/json`.' },
  NO_SENDING_NUMBER: {
    status: 422,
    meaning: 'The workspace has no active sending number, or several and no default; pass `phoneNumberId`.',
  },
  PHONE_NUMBER_NOT_FOUND: { status: 422, meaning: '`phoneNumberId` is not a number of this workspace.' },
  CONTACT_NOT_FOUND: { status: 422, meaning: '`contactId` is not a contact of this workspace.' },
  CONTACT_OPTED_OUT: { status: 422, meaning: 'The contact has opted out of messages.' },
  SESSION_WINDOW_CLOSED: {
    status: 422,
    meaning:
      'A free-form (non-template) send to a recipient who has not written to this number in the last 24 h (Meta would refuse it with 131047); send a template.',
  },
  CONTACT_PHONE_INVALID: {
    status: 422,
    meaning: "The contact's stored phone is not 8 to 15 digits with country code.",
  },
  BROADCAST_RECIPIENTS_INVALID: {
    status: 422,
    meaning:
      'Some broadcast recipients cannot be sent the template (or the audience is empty); `details` names the first 100 by index; nothing is stored.',
  },
  TEMPLATE_NOT_FOUND: { status: 422, meaning: 'No stored template with that name (and language).' },
  TEMPLATE_LANGUAGE_AMBIGUOUS: {
    status: 422,
    meaning: 'Several languages match; pass the exact `templateLanguage`.',
  },
  TEMPLATE_NOT_APPROVED: { status: 422, meaning: 'The template exists but is not APPROVED.' },
  PROVIDER_REQUEST_FAILED: {
    status: 422,
    meaning:
      "Meta refused a call Flowgate made for you (template sync), e.g. the number's access token or its permissions; the message gives Meta's code and title.",
  },
  TEMPLATE_PARAMS_MISMATCH: {
    status: 422,
    meaning:
      'The variables do not match the ones the template declares; `details` lists missing and extra ones.',
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    meaning: 'The `Idempotency-Key` was used before with a different body.',
  },
  RATE_LIMITED: {
    status: 429,
    meaning: 'Too many requests or failed attempts; retry after `Retry-After` seconds.',
  },
  INTERNAL_ERROR: { status: 500, meaning: 'An unexpected error; quote the `requestId` when reporting it.' },
  SERVICE_UNAVAILABLE: { status: 503, meaning: 'A dependency (database) is unreachable; retry later.' },
  META_WEBHOOK_NOT_CONFIGURED: {
    status: 503,
    meaning:
      "Meta's webhook intake: META_APP_SECRET or META_WEBHOOK_VERIFY_TOKEN is not set (the message names which).",
  },
} as const satisfies Record<string, { status: number; meaning: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
