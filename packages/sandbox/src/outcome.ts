/**
 * What the sandbox answers to a valid message: Meta's success, or the behaviour a magic number or
 * template name asks for, or (for a call that would otherwise plainly succeed) a fault drawn from
 * the chaos mix.
 */
import type { ChaosFault } from './chaos';
import type { MetaErrorOptions } from './meta-errors';
import { SANDBOX_TEMPLATES, type SandboxNumberName } from './numbers';
import type { SandboxState } from './sandbox-state';
import type { CheckedMessage } from './validate';

const TEXTS = {
  131026: 'Message Undeliverable.',
  130429:
    'Message failed to send because there were too many messages sent from this phone number in a short period of time.',
  131047:
    'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
  131000: 'Something went wrong.',
  131056:
    'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.',
  131031: 'The WhatsApp Business Account associated with this phone number has been locked.',
  132015: 'The template is paused due to low quality and cannot be sent.',
} as const;

export type Outcome =
  | { kind: 'success'; messageStatus?: string }
  | { kind: 'error'; code: number; opts?: MetaErrorOptions; fault?: ChaosFault }
  | { kind: 'slow'; delayMs: number; fault?: ChaosFault }
  | { kind: 'bad-gateway' }
  | { kind: 'drop' };

/** One checked call: its body's check, its magic number (if any) and what identifies its attempts. */
export interface OutcomeInput {
  check: CheckedMessage;
  /** TOKEN_EXPIRED is answered before the body is looked at. */
  magic: Exclude<SandboxNumberName, 'TOKEN_EXPIRED'> | undefined;
  phoneNumberId: string;
  rawTo: string | undefined;
  raw: string;
}

export function decideOutcome(state: SandboxState, call: OutcomeInput): Outcome {
  const { check, magic, phoneNumberId, rawTo, raw } = call;
  let outcome: Outcome = { kind: 'success' };
  const isTemplate = check.type === 'template';
  if (isTemplate && check.templateName === SANDBOX_TEMPLATES.NOT_FOUND) {
    outcome = {
      kind: 'error',
      code: 132001,
      opts: { details: `template name (${check.templateName}) does not exist in the translation` },
    };
  } else if (isTemplate && check.templateName === SANDBOX_TEMPLATES.PAUSED) {
    outcome = { kind: 'error', code: 132015, opts: { details: TEXTS[132015] } };
  } else if (magic !== undefined) {
    const nth = (): number => state.attempt(magic, phoneNumberId, rawTo ?? '', check.bizOpaque, raw);
    switch (magic) {
      case 'UNDELIVERABLE':
        outcome = { kind: 'error', code: 131026, opts: { details: TEXTS[131026] } };
        break;
      case 'THROTTLED_TWICE':
        if (nth() <= 2) outcome = { kind: 'error', code: 130429, opts: { details: TEXTS[130429] } };
        break;
      case 'ALWAYS_THROTTLED':
        outcome = { kind: 'error', code: 130429, opts: { details: TEXTS[130429] } };
        break;
      case 'OUTSIDE_WINDOW':
        if (!isTemplate) outcome = { kind: 'error', code: 131047, opts: { details: TEXTS[131047] } };
        break;
      case 'SERVER_ERROR_TWICE':
        if (nth() <= 2) outcome = { kind: 'error', code: 131000, opts: { details: TEXTS[131000] } };
        break;
      case 'ALWAYS_SERVER_ERROR':
        outcome = { kind: 'error', code: 131000, opts: { details: TEXTS[131000] } };
        break;
      case 'SLOW':
        outcome = { kind: 'slow', delayMs: state.slowMs };
        break;
      case 'PAIR_LIMITED_ONCE':
        if (nth() <= 1) outcome = { kind: 'error', code: 131056, opts: { details: TEXTS[131056] } };
        break;
      case 'BAD_GATEWAY':
        outcome = { kind: 'bad-gateway' };
        break;
      case 'CONNECTION_DROPPED_ONCE':
        if (nth() <= 1) outcome = { kind: 'drop' };
        break;
      case 'ACCOUNT_LOCKED':
        outcome = { kind: 'error', code: 131031, opts: { details: TEXTS[131031] } };
        break;
      case 'TEMPLATE_HELD':
        if (isTemplate) outcome = { kind: 'success', messageStatus: 'held_for_quality_assessment' };
        break;
      case 'DELIVERED_NOT_READ':
      case 'FAILED_AFTER_SENT':
        // Plain success; they differ in their status webhooks (../webhooks).
        break;
    }
  }

  // The fault mix only touches calls that would otherwise have succeeded plainly.
  if (outcome.kind === 'success' && outcome.messageStatus === undefined && magic === undefined) {
    const fault = state.chaos.next();
    if (fault === 'http500')
      outcome = { kind: 'error', code: 131000, opts: { details: TEXTS[131000] }, fault };
    else if (fault === 'throttle')
      outcome = { kind: 'error', code: 130429, opts: { details: TEXTS[130429] }, fault };
    else if (fault === 'timeout') outcome = { kind: 'slow', delayMs: state.chaos.timeoutMs, fault };
  }
  return outcome;
}
