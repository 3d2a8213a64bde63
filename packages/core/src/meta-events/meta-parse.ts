import {
  compile,
  MetaContactSchema,
  MetaEnvelopeSchema,
  MetaChangeSchema,
  MetaInboundMessageSchema,
  MetaMessagesValueSchema,
  MetaPaymentStatusSchema,
  MetaStatusSchema,
  MetaTemplateStatusSchema,
  type MetaContact,
  type MetaInboundMessage,
  type MetaPaymentStatus,
  type MetaTemplateStatus,
} from '@flowgate/contracts';
import { isUuid } from '../ids';
import type { StatusRecord } from './meta-event-store';

/** Meta's payload pieces, each checked once here by the shared schemas (docs/contracts.md §9). */
export const parseEnvelope = compile(MetaEnvelopeSchema);
export const parseChange = compile(MetaChangeSchema);
export const parseMessagesValue = compile(MetaMessagesValueSchema);
const parseStatus = compile(MetaStatusSchema);
const parsePayment = compile(MetaPaymentStatusSchema);
const parseInbound = compile(MetaInboundMessageSchema);
const parseContact = compile(MetaContactSchema);
const parseTemplateStatus = compile(MetaTemplateStatusSchema);

const TARGET = { sent: 'SENT', delivered: 'DELIVERED', read: 'READ', failed: 'FAILED' } as const;

export const fromUnixSeconds = (s: string): Date => new Date(Number(s) * 1000);

/** A status object from `value.statuses[]` as a record, or why it cannot be used. */
export function toStatusRecord(raw: unknown): StatusRecord | { skip: string } {
  const parsed = parseStatus(raw);
  if (!parsed.ok)
    return { skip: `status: ${parsed.errors[0]?.path ?? ''} ${parsed.errors[0]?.message ?? 'invalid'}` };
  const s = parsed.value;
  const error = s.errors?.[0];
  const opaque = s.biz_opaque_callback_data;
  return {
    messageId: opaque !== undefined && isUuid(opaque) ? opaque.toLowerCase() : null,
    wamid: s.id,
    status: TARGET[s.status],
    occurredAt: fromUnixSeconds(s.timestamp),
    error: error
      ? {
          code: error.code,
          title: error.title ?? error.message ?? 'failed',
          details: error.error_data?.details ?? error.message ?? null,
        }
      : null,
    pricing: s.pricing
      ? {
          category: s.pricing.category ?? null,
          type: s.pricing.type ?? null,
          billable: s.pricing.billable ?? null,
        }
      : null,
    raw: raw as Record<string, unknown>,
  };
}

export function toPayment(raw: unknown): MetaPaymentStatus | { skip: string } {
  const parsed = parsePayment(raw);
  return parsed.ok
    ? parsed.value
    : { skip: `payment: ${parsed.errors[0]?.path ?? ''} ${parsed.errors[0]?.message ?? 'invalid'}` };
}

export function toInbound(raw: unknown): { message: MetaInboundMessage } | { skip: string } {
  const parsed = parseInbound(raw);
  return parsed.ok
    ? { message: parsed.value }
    : { skip: `message: ${parsed.errors[0]?.path ?? ''} ${parsed.errors[0]?.message ?? 'invalid'}` };
}

export function toContacts(raw: readonly unknown[] | undefined): MetaContact[] {
  return (raw ?? []).flatMap((c) => {
    const parsed = parseContact(c);
    return parsed.ok ? [parsed.value] : [];
  });
}

export function toTemplateStatus(raw: unknown): MetaTemplateStatus | { skip: string } {
  const parsed = parseTemplateStatus(raw);
  return parsed.ok
    ? parsed.value
    : { skip: `template status: ${parsed.errors[0]?.path ?? ''} ${parsed.errors[0]?.message ?? 'invalid'}` };
}

/** docs/contracts.md §9: trimmed, case-insensitive. */
const OPT_OUT = new Set(['STOP', 'STOP ALL', 'UNSUBSCRIBE', 'CANCEL', 'OPT OUT']);
const OPT_IN = new Set(['START', 'UNSTOP']);

export function optChangeOf(type: string, content: Record<string, unknown>): 'out' | 'in' | null {
  if (type !== 'text' || typeof content['body'] !== 'string') return null;
  const word = content['body'].trim().replace(/\s+/g, ' ').toUpperCase();
  if (OPT_OUT.has(word)) return 'out';
  if (OPT_IN.has(word)) return 'in';
  return null;
}

/** A short text of an inbound message for conversation lists (at most 100 characters). */
export function previewOf(type: string, content: Record<string, unknown>): string {
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
  const nested = (key: string): Record<string, unknown> => {
    const v = content[key];
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  };
  const text =
    str(content['body']) ??
    str(content['caption']) ??
    str(content['text']) ??
    str(content['emoji']) ??
    str(nested('button_reply')['title']) ??
    str(nested('list_reply')['title']) ??
    str(content['name']) ??
    `[${type}]`;
  return text.length > 100 ? `${text.slice(0, 99)}…` : text;
}
