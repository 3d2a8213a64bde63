/**
 * Magic values that let tests and users choose the sandbox's answer.
 *
 * Recipient numbers are digits only; `to` may be sent with `+`, spaces or dashes and still
 * matches. Any number not listed here succeeds. The "…then success" numbers count attempts per
 * message: per `biz_opaque_callback_data` when the body has one (the dispatcher puts its message
 * id there), otherwise per (phone-number-id, to, SHA-1 of the raw body). Counters are cleared by
 * `reset()` / `DELETE /_sandbox/calls`.
 *
 * With a webhook set, every accepted send gets Meta's status webhooks `sent`, `delivered`, `read`
 * (./webhooks); DELIVERED_NOT_READ and FAILED_AFTER_SENT choose the other endings.
 */
export const SANDBOX_NUMBERS = {
  /** Always HTTP 400, code 131026 "Message undeliverable" (permanent). */
  UNDELIVERABLE: '15550001001',
  /** HTTP 400, code 130429 "Rate limit hit" on the first two attempts, then success. */
  THROTTLED_TWICE: '15550001002',
  /** Non-template types: HTTP 400, code 131047 "Re-engagement message". Templates succeed. */
  OUTSIDE_WINDOW: '15550001003',
  /** HTTP 500, code 131000 "Something went wrong" on the first two attempts, then success. */
  SERVER_ERROR_TWICE: '15550001004',
  /** Always HTTP 500, code 131000. */
  ALWAYS_SERVER_ERROR: '15550001005',
  /** Succeeds after `slowMs` (default 3000 ms). */
  SLOW: '15550001006',
  /** Always HTTP 401, code 190 "access token expired" (account-level). Checked before validation, as Meta checks the token first. */
  TOKEN_EXPIRED: '15550001007',
  /** HTTP 400, code 131056 pair rate limit on the first attempt, then success. */
  PAIR_LIMITED_ONCE: '15550001008',
  /** Always HTTP 400, code 130429 (retry exhaustion). */
  ALWAYS_THROTTLED: '15550001009',
  /** Always HTTP 502 with an HTML body and no Graph error object (a code-less failure). */
  BAD_GATEWAY: '15550001010',
  /**
   * First attempt: accepted (recorded with a wamid) but the connection is destroyed before the
   * answer, so the caller sees a network error; later attempts succeed. Models "Meta took it, we
   * never heard back".
   */
  CONNECTION_DROPPED_ONCE: '15550001011',
  /** Always HTTP 403, code 131031 "Business Account locked" (account-level). */
  ACCOUNT_LOCKED: '15550001012',
  /** Templates: success with `message_status: "held_for_quality_assessment"`; other types succeed normally. */
  TEMPLATE_HELD: '15550001013',
  /** Succeeds; the status webhooks are `sent` and `delivered`, never `read`. */
  DELIVERED_NOT_READ: '15550001014',
  /**
   * Succeeds (HTTP 200 with a wamid); the status webhooks are `sent`, then `failed` with 131026
   * "Message undeliverable" in place of `delivered`.
   */
  FAILED_AFTER_SENT: '15550001015',
} as const;

export type SandboxNumberName = keyof typeof SANDBOX_NUMBERS;

/** Magic template names (any language). Other names of valid format succeed. */
export const SANDBOX_TEMPLATES = {
  /** HTTP 404, code 132001 "Template name does not exist in the translation". */
  NOT_FOUND: 'sandbox_missing_template',
  /** HTTP 400, code 132015 "Template is Paused". */
  PAUSED: 'sandbox_paused_template',
} as const;

/** Magic access tokens (`Authorization: Bearer <token>`). */
export const SANDBOX_TOKENS = {
  /** HTTP 401, code 190, subcode 463 (session expired) for every call. */
  EXPIRED: 'sandbox-expired-token',
} as const;

const BY_DIGITS: ReadonlyMap<string, SandboxNumberName> = new Map(
  (Object.entries(SANDBOX_NUMBERS) as [SandboxNumberName, string][]).map(([name, digits]) => [digits, name]),
);

/** The magic behaviour for a `to` value, if any. */
export function sandboxNumberFor(to: string | undefined): SandboxNumberName | undefined {
  if (to === undefined) return undefined;
  // Fast path: ordinary numbers do not start with the magic prefix.
  const digits = to.replace(/\D/g, '');
  if (!digits.startsWith('1555000')) return undefined;
  return BY_DIGITS.get(digits);
}

/** A short description of every magic value, served at `GET /_sandbox/numbers`. */
export const SANDBOX_NUMBER_DOCS: Readonly<Record<SandboxNumberName, string>> = {
  UNDELIVERABLE: 'HTTP 400, 131026 Message undeliverable, always',
  THROTTLED_TWICE: 'HTTP 400, 130429 Rate limit hit twice, then success (per message)',
  OUTSIDE_WINDOW: 'HTTP 400, 131047 Re-engagement message for non-template types; templates succeed',
  SERVER_ERROR_TWICE: 'HTTP 500, 131000 twice, then success (per message)',
  ALWAYS_SERVER_ERROR: 'HTTP 500, 131000, always',
  SLOW: 'success after slowMs (default 3000 ms)',
  TOKEN_EXPIRED: 'HTTP 401, 190 access token expired, always',
  PAIR_LIMITED_ONCE: 'HTTP 400, 131056 pair rate limit once, then success (per message)',
  ALWAYS_THROTTLED: 'HTTP 400, 130429 Rate limit hit, always',
  BAD_GATEWAY: 'HTTP 502 with an HTML body (no Graph error), always',
  CONNECTION_DROPPED_ONCE:
    'first attempt accepted but the connection is dropped before the answer; then success',
  ACCOUNT_LOCKED: 'HTTP 403, 131031 Business Account locked, always',
  TEMPLATE_HELD: 'templates succeed with message_status held_for_quality_assessment',
  DELIVERED_NOT_READ: 'success; status webhooks sent, delivered, never read',
  FAILED_AFTER_SENT: 'success; status webhooks sent, then failed with 131026 Message undeliverable',
};
