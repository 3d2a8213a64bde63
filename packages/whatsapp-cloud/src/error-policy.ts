/**
 * How the dispatcher reacts to a failed Cloud API call (docs/meta-cloud-api.md §3).
 *
 * - `retryable`: transient; retry the same message later with growing delays.
 *   `pairLimited` marks 131056 (business/consumer pair rate limit): only that recipient must be
 *   slowed down, other recipients of the same number are unaffected.
 * - `account`: the sending number, token or business account is unusable (expired token,
 *   permission, policy block, locked account, unregistered number...). Every further message of
 *   that number would fail the same way: stop its queue and alert instead of retrying per message.
 * - `permanent`: this message will never succeed as sent (bad payload, template problem,
 *   undeliverable recipient, closed 24 h window...). Mark it FAILED with Meta's code and text.
 *
 * Classification keys on Meta's `error.code` first (Meta advises against keying on the HTTP
 * status or the title). Without a code (a proxy's 502 page, a timeout, a reset connection), the
 * HTTP status decides: 408/429/5xx are transient, 401/403 account-level, anything else permanent.
 */

export type ProviderFailureKind = 'retryable' | 'permanent' | 'account';

export interface ProviderFailureClassification {
  kind: ProviderFailureKind;
  /** True only for 131056: pace this (sender, recipient) pair, not the whole number. */
  pairLimited?: boolean;
}

export interface ProviderFailureInput {
  /** HTTP status of Meta's answer, when there was one. */
  httpStatus?: number;
  /** Meta's `error.code`, when the answer carried one. */
  code?: number;
  /** The call hit our timeout (Meta may or may not have processed it). */
  timedOut?: boolean;
  /** The connection failed or was reset before a complete answer arrived. */
  networkError?: boolean;
}

/**
 * Codes that mean the number / token / business account is unusable (docs/meta-cloud-api.md §3 "Rules of
 * thumb" plus the rows whose remedy is "halt"/"re-register"/"refresh credentials"). 200–299 is a
 * range and is handled in {@link classifyProviderFailure}.
 *
 * - 0 AuthException, 190 access token expired/invalid: refresh credentials.
 * - 3 API method (capability/permission of the app), 10 permission denied, 131005 access denied.
 * - 33 the business phone number has been deleted (the phone-number-id is no longer valid).
 * - 368 temporarily blocked for policy violations.
 * - 131031 business account locked, 131042 payment/eligibility issue.
 * - 131037 display name not approved (no message can be sent from the number until it is).
 * - 131045 incorrect certificate (number must be re-registered).
 * - 133010 phone number not registered on the platform.
 */
const ACCOUNT_CODES: ReadonlySet<number> = new Set([
  0, 3, 10, 33, 190, 368, 131005, 131031, 131037, 131042, 131045, 133010,
]);

/**
 * Codes worth retrying with backoff (docs/meta-cloud-api.md §3 "Retry? Yes").
 *
 * - 1 API unknown ("invalid request or possible server error"): retried with the dispatcher's
 *   bounded attempts; the payloads we send are built and validated, so a server error is likelier.
 * - 2 service temporarily unavailable; 4, 17, 613 Graph call-rate limits; 80007 WABA (BUC) limit.
 * - 130429 number throughput exceeded; 131056 pair rate limit (see `pairLimited`).
 * - 131000 something went wrong; 131016 service unavailable; 131057 account in maintenance
 *   mode (throughput upgrade, about a minute); 133004 server temporarily unavailable.
 */
const RETRYABLE_CODES: ReadonlySet<number> = new Set([
  1, 2, 4, 17, 613, 80007, 130429, 131000, 131016, 131056, 131057, 133004,
]);

/**
 * Codes of docs/meta-cloud-api.md §3 that doom this one message (payload, template, recipient, window,
 * opt-out, marketing cap...). Listed so that a code missing from every table can be told apart.
 * 131049 (per-user marketing cap) and 132069 (Flow throttled) could succeed much later, but not
 * within a retry schedule of minutes: they fail the message with Meta's code for the partner.
 */
const PERMANENT_CODES: ReadonlySet<number> = new Set([
  100, 470, 130472, 130497, 131008, 131009, 131021, 131026, 131030, 131047, 131048, 131049, 131050, 131051,
  131052, 131053, 132000, 132001, 132005, 132007, 132012, 132015, 132016, 132018, 132068, 132069, 133016,
  135000,
]);

/** 131056: (business, consumer) pair rate limit. */
export const PAIR_RATE_LIMIT_CODE = 131056;

function isTransientStatus(status: number | undefined): boolean {
  return status !== undefined && (status === 408 || status === 429 || (status >= 500 && status <= 599));
}

export function classifyProviderFailure(input: ProviderFailureInput): ProviderFailureClassification {
  const { code, httpStatus } = input;
  if (code !== undefined && Number.isInteger(code)) {
    if (code === PAIR_RATE_LIMIT_CODE) return { kind: 'retryable', pairLimited: true };
    if (RETRYABLE_CODES.has(code)) return { kind: 'retryable' };
    if (ACCOUNT_CODES.has(code) || (code >= 200 && code <= 299)) return { kind: 'account' };
    if (PERMANENT_CODES.has(code)) return { kind: 'permanent' };
    // A code missing from the table on a 408/429/5xx answer is most likely a new transient
    // failure: a bounded number of retries costs less than failing a message Meta would take.
    if (isTransientStatus(httpStatus)) return { kind: 'retryable' };
    return { kind: 'permanent' };
  }
  // No Meta code: a timeout, a connection failure, or a non-Graph answer (proxy, load balancer).
  if (input.timedOut === true || input.networkError === true) return { kind: 'retryable' };
  if (isTransientStatus(httpStatus)) return { kind: 'retryable' };
  if (httpStatus === 401 || httpStatus === 403) return { kind: 'account' };
  return { kind: 'permanent' };
}

export interface ProviderErrorInit {
  code?: number | undefined;
  httpStatus?: number | undefined;
  /** Meta's title (the `message` without its `(#code) ` prefix), or our own short description. */
  title: string;
  /** Meta's `error_data.details`, when present. */
  details?: string | undefined;
  fbtraceId?: string | undefined;
  errorSubcode?: number | undefined;
  /** Meta's `error.type` (e.g. `OAuthException`). */
  type?: string | undefined;
  timedOut?: boolean;
  networkError?: boolean;
  /**
   * True when Meta may have accepted the message although we saw a failure (timeout, connection
   * lost after the request was written, unreadable 2xx answer). A retry may then send it twice;
   * the dispatcher should record this so a duplicate is detectable (docs/contracts.md §6).
   */
  outcomeUnknown?: boolean;
  /** Overrides the classification derived from code / status / timeout / network error. */
  classification?: ProviderFailureClassification;
  cause?: unknown;
}

/**
 * A failed Cloud API call. Carries what Meta said (code, title, details, trace id) and how to
 * react to it, never the request body or the access token, so it is safe to log and to store.
 */
export class ProviderError extends Error {
  readonly code: number | undefined;
  readonly httpStatus: number | undefined;
  readonly title: string;
  readonly details: string | undefined;
  readonly fbtraceId: string | undefined;
  readonly errorSubcode: number | undefined;
  readonly type: string | undefined;
  readonly timedOut: boolean;
  readonly networkError: boolean;
  readonly outcomeUnknown: boolean;
  readonly classification: ProviderFailureClassification;

  constructor(init: ProviderErrorInit) {
    const prefix =
      init.code !== undefined
        ? `(#${init.code}) `
        : init.httpStatus !== undefined
          ? `(HTTP ${init.httpStatus}) `
          : '';
    super(`${prefix}${init.title}`, init.cause !== undefined ? { cause: init.cause } : undefined);
    this.name = 'ProviderError';
    this.code = init.code;
    this.httpStatus = init.httpStatus;
    this.title = init.title;
    this.details = init.details;
    this.fbtraceId = init.fbtraceId;
    this.errorSubcode = init.errorSubcode;
    this.type = init.type;
    this.timedOut = init.timedOut ?? false;
    this.networkError = init.networkError ?? false;
    this.outcomeUnknown = init.outcomeUnknown ?? false;
    this.classification =
      init.classification ??
      classifyProviderFailure({
        ...(init.httpStatus !== undefined ? { httpStatus: init.httpStatus } : {}),
        ...(init.code !== undefined ? { code: init.code } : {}),
        timedOut: this.timedOut,
        networkError: this.networkError,
      });
  }

  get retryable(): boolean {
    return this.classification.kind === 'retryable';
  }

  /** A log- and storage-safe summary (no request body, no token, no stack). */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      code: this.code,
      httpStatus: this.httpStatus,
      title: this.title,
      details: this.details,
      fbtraceId: this.fbtraceId,
      errorSubcode: this.errorSubcode,
      timedOut: this.timedOut,
      networkError: this.networkError,
      outcomeUnknown: this.outcomeUnknown,
      classification: this.classification,
    };
  }
}

export function isProviderError(value: unknown): value is ProviderError {
  return value instanceof ProviderError;
}
