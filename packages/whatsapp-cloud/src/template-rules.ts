/**
 * Rules every template parameter follows in both forms (docs/meta-cloud-api.md §1.5, §1.7): send-time
 * limits, Meta's text rule, media values, and the collector that turns every problem found into
 * one `TEMPLATE_PARAMS_MISMATCH` error.
 */
import { LIMITS, MEDIA_ID_PATTERN } from '@flowgate/contracts';
import { UnprocessableError, type ErrorDetail } from '@flowgate/errors';
import type { ButtonModel } from './template-model';

/**
 * Send-time limits (docs/meta-cloud-api.md §1.5, §1.7; filename and payload caps are Flowgate's, as in the
 * request schema), named for the checks below; the numbers are `LIMITS` of @flowgate/contracts.
 */
export const TEMPLATE_PARAM_LIMITS = {
  couponCode: LIMITS.couponCode,
  url: LIMITS.templateUrl,
  hydratedBody: LIMITS.templateBody,
  /** A text header once its variable is filled in (docs/meta-cloud-api.md §1.7: header 60). */
  hydratedHeaderText: LIMITS.templateHeaderText,
  /** A carousel card's body once filled in (§1.7: card body 160). */
  hydratedCardBody: LIMITS.carouselCardBody,
  mediaId: LIMITS.mediaId,
  filename: LIMITS.filename,
  quickReplyPayload: LIMITS.quickReplyPayload,
} as const;

/** Meta's rule for parameter text (error 132018), and non-empty (an empty one is a count mismatch). */
export function textRuleViolation(text: string): string | undefined {
  if (text.trim().length === 0) return 'must not be empty';
  if (/[\r\n]/.test(text)) return 'must not contain a newline';
  if (text.includes('\t')) return 'must not contain a tab';
  if (/ {5,}/.test(text)) return 'must not contain more than 4 consecutive spaces';
  return undefined;
}

export const pointer = (segment: string | number): string =>
  String(segment).replace(/~/g, '~0').replace(/\//g, '~1');

export type MediaRef = { id: string } | { link: string };

const MEDIA_ID = new RegExp(MEDIA_ID_PATTERN);

/** A simple-form media value: an https link, or otherwise a media id. */
export function parseMediaValue(value: string): MediaRef | string {
  if (/^https:\/\//i.test(value)) {
    try {
      new URL(value);
    } catch {
      return 'must be an https:// URL or a WhatsApp media id';
    }
    if (/\s/.test(value)) return 'must be an https:// URL or a WhatsApp media id';
    if (value.length > TEMPLATE_PARAM_LIMITS.url)
      return `link is longer than ${TEMPLATE_PARAM_LIMITS.url} characters`;
    return { link: value };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return 'links must use https';
  if (!MEDIA_ID.test(value) || value.length > TEMPLATE_PARAM_LIMITS.mediaId)
    return 'must be an https:// URL or a WhatsApp media id';
  return { id: value };
}

/** Why a detail was raised: counted in the error's summary line. */
export type Reason = 'missing' | 'unexpected' | 'invalid' | 'count' | 'card_count' | 'too_long' | 'duplicate';

export class Problems {
  readonly details: ErrorDetail[] = [];
  readonly reasons: Reason[] = [];
  add(path: string, message: string, reason: Reason): void {
    this.details.push({ path, message });
    this.reasons.push(reason);
  }
}

export function throwIfProblems(problems: Problems): void {
  if (problems.details.length === 0) return;
  const counts = { missing: 0, unexpected: 0 };
  for (const reason of problems.reasons) {
    if (reason === 'missing') counts.missing += 1;
    if (reason === 'unexpected') counts.unexpected += 1;
  }
  const summary = [
    counts.missing > 0 ? `${counts.missing} missing` : undefined,
    counts.unexpected > 0 ? `${counts.unexpected} unexpected` : undefined,
  ].filter((s) => s !== undefined);
  const message =
    summary.length > 0
      ? `The template variables do not match the template (${summary.join(', ')}); see details.`
      : 'Some template parameters are invalid; see details.';
  throw new UnprocessableError('TEMPLATE_PARAMS_MISMATCH', message, problems.details);
}

/** The Cloud API `sub_type` of a button that takes a value. */
export const subTypeOf = (b: ButtonModel): string | undefined =>
  b.value === 'url' || b.value === 'otp'
    ? 'url'
    : b.value === 'copy_code'
      ? 'copy_code'
      : b.value === 'quick_reply'
        ? 'quick_reply'
        : undefined;

/** The length of `text` once its placeholders are filled in. */
export function hydratedLength(
  text: string,
  variables: readonly string[],
  valueOf: (v: string) => string | undefined,
): number {
  let out = text;
  for (const v of variables) out = out.split(new RegExp(`\\{\\{\\s*${v}\\s*\\}\\}`)).join(valueOf(v) ?? '');
  return out.length;
}
