import { Batcher, isConnectionError } from '@flowgate/db';
import { record as recordMetric } from '@flowgate/metrics';
import type { Logger } from '@flowgate/logger';
import type { MetaEventStore, MetaEventTx, ProcessOutcome } from './meta-event-store';
import {
  fromUnixSeconds,
  optChangeOf,
  parseChange,
  parseEnvelope,
  parseMessagesValue,
  previewOf,
  toContacts,
  toInbound,
  toPayment,
  toStatusRecord,
  toTemplateStatus,
} from './meta-parse';

/** What one webhook's processing did, for its row, the logs and the metrics. */
export interface WebhookTally {
  applied: number;
  duplicates: number;
  pending: number;
  inbound: number;
  skipped: number;
  reasons: string[];
}

const MAX_REASONS = 5;

/** NUL and lone surrogates: neither fits in PostgreSQL text or jsonb. */
// eslint-disable-next-line no-control-regex -- NUL is exactly what must be found
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function skip(t: WebhookTally, reason: string): void {
  t.skipped += 1;
  if (t.reasons.length < MAX_REASONS) t.reasons.push(reason);
}

/** Applies the changes of a `messages` field: statuses, payments, inbound messages. */
async function applyMessagesChange(tx: MetaEventTx, value: unknown, t: WebhookTally): Promise<void> {
  const parsed = parseMessagesValue(value);
  if (!parsed.ok) {
    recordMetric.metaEventReceived('unknown');
    return skip(
      t,
      `messages value: ${parsed.errors[0]?.path ?? ''} ${parsed.errors[0]?.message ?? ''}`.trim(),
    );
  }
  const v = parsed.value;
  const numbers = await tx.numbersFor(v.metadata.phone_number_id);
  if (numbers.length === 0) {
    recordMetric.metaEventReceived('unknown');
    return skip(t, 'no workspace owns this phone_number_id');
  }
  await tx.markConnected(v.metadata.phone_number_id, numbers);

  for (const raw of v.statuses ?? []) {
    if (typeof raw === 'object' && raw !== null && (raw as { type?: unknown }).type === 'payment') {
      recordMetric.metaEventReceived('payment');
      const p = toPayment(raw);
      if ('skip' in p) {
        skip(t, p.skip);
        continue;
      }
      for (const workspaceId of new Set(numbers.map((n) => n.workspaceId))) {
        const fresh = await tx.recordPayment({
          workspaceId,
          referenceId: p.payment.reference_id,
          status: p.status,
          amount: p.payment.amount ?? null,
          currency: p.payment.currency ?? null,
          transactionId: p.payment.transaction?.id ?? null,
          recipient: p.recipient_id ?? null,
          occurredAt: fromUnixSeconds(p.timestamp),
        });
        if (fresh) t.applied += 1;
        else t.duplicates += 1;
      }
      continue;
    }
    recordMetric.metaEventReceived('status');
    const s = toStatusRecord(raw);
    if ('skip' in s) {
      skip(t, s.skip);
      continue;
    }
    const outcome = await tx.applyStatus(numbers, s);
    if (outcome === 'applied') t.applied += 1;
    else if (outcome === 'pending') t.pending += 1;
    else if (outcome === 'duplicate') t.duplicates += 1;
    else skip(t, "status for a message of another number's workspace");
  }

  const contacts = toContacts(v.contacts);
  for (const raw of v.messages ?? []) {
    recordMetric.metaEventReceived('message');
    const parsed = toInbound(raw);
    if ('skip' in parsed) {
      skip(t, parsed.skip);
      continue;
    }
    const m = parsed.message;
    const under = m[m.type];
    const content =
      typeof under === 'object' && under !== null && !Array.isArray(under)
        ? (under as Record<string, unknown>)
        : Array.isArray(under)
          ? { items: under }
          : {};
    const name = contacts.find((c) => c.wa_id === m.from)?.profile?.name ?? null;
    for (const n of numbers) {
      const r = await tx.recordInbound({
        workspaceId: n.workspaceId,
        phoneNumberId: n.id,
        from: m.from,
        name,
        wamid: m.id,
        type: m.type,
        content,
        replyTo: m.context?.id ?? null,
        occurredAt: fromUnixSeconds(m.timestamp),
        preview: previewOf(m.type, content),
        optChange: optChangeOf(m.type, content),
      });
      if (r.stored) t.inbound += 1;
      else t.duplicates += 1;
    }
  }
}

async function applyTemplateChange(
  tx: MetaEventTx,
  wabaId: string | undefined,
  value: unknown,
  time: Date,
  t: WebhookTally,
): Promise<void> {
  recordMetric.metaEventReceived('template_status');
  const r = toTemplateStatus(value);
  if ('skip' in r) return skip(t, r.skip);
  if (wabaId === undefined) return skip(t, 'template status without entry.id (WABA)');
  const changed = await tx.applyTemplateReview({
    wabaId,
    name: r.message_template_name,
    language: r.message_template_language,
    status: r.event.toUpperCase(),
    reason: r.reason === undefined || r.reason === null || r.reason === 'NONE' ? null : r.reason,
    providerTemplateId: r.message_template_id === undefined ? null : String(r.message_template_id),
    occurredAt: time,
  });
  if (changed > 0) t.applied += changed;
  else t.duplicates += 1;
}

/** Parses a stored body and applies what it says inside `tx`. Never throws for bad content: it skips. */
export async function applyMetaWebhook(tx: MetaEventTx, body: Buffer): Promise<WebhookTally> {
  const t: WebhookTally = { applied: 0, duplicates: 0, pending: 0, inbound: 0, skipped: 0, reasons: [] };
  let json: unknown;
  try {
    // PostgreSQL keeps neither NUL nor lone surrogates in text or jsonb: each becomes U+FFFD here,
    // once, so a body carrying them is still applied (docs/contracts.md §9: never stuck, never a 5xx).
    json = JSON.parse(body.toString('utf8'), (_key, value: unknown) =>
      typeof value === 'string' ? value.replace(UNSTORABLE, '\uFFFD') : value,
    );
  } catch {
    recordMetric.metaEventReceived('unknown');
    skip(t, 'not JSON');
    return t;
  }
  const envelope = parseEnvelope(json);
  if (!envelope.ok) {
    recordMetric.metaEventReceived('unknown');
    skip(t, `envelope: ${envelope.errors[0]?.path ?? ''} ${envelope.errors[0]?.message ?? ''}`.trim());
    return t;
  }
  for (const entry of envelope.value.entry) {
    const wabaId = entry.id === undefined ? undefined : String(entry.id);
    const time = entry.time === undefined ? new Date() : new Date(entry.time * 1000);
    for (const rawChange of entry.changes) {
      const change = parseChange(rawChange);
      if (!change.ok) {
        recordMetric.metaEventReceived('unknown');
        skip(t, 'change without field/value');
        continue;
      }
      if (change.value.field === 'messages') await applyMessagesChange(tx, change.value.value, t);
      else if (change.value.field === 'message_template_status_update')
        await applyTemplateChange(tx, wabaId, change.value.value, time, t);
      else {
        recordMetric.metaEventReceived('unknown');
        skip(t, `field ${change.value.field} is not read`);
      }
    }
  }
  return t;
}

export interface MetaWebhookProcessor {
  /** Processes one stored webhook (a broker delivery): false when it was processed already or is gone. */
  process(id: string): Promise<boolean>;
  /** Ends a webhook that failed every attempt (a bug, not an outage): kept, marked `failed`, logged. */
  giveUp(id: string, reason: string): Promise<void>;
}

function outcomeOf(t: WebhookTally): ProcessOutcome {
  const usable = t.applied + t.duplicates + t.pending + t.inbound > 0;
  return {
    outcome: usable || t.skipped === 0 ? 'processed' : 'skipped',
    detail:
      `applied ${t.applied}, inbound ${t.inbound}, pending ${t.pending}, duplicates ${t.duplicates}, skipped ${t.skipped}${t.reasons.length ? `: ${t.reasons.join('; ')}` : ''}`.slice(
        0,
        2000,
      ),
  };
}

/**
 * The worker's use case: load, apply in one transaction with the processed mark, log counts (never
 * content). Webhooks that arrive together are applied in one transaction (one commit for the
 * batch, ADR 0043); if any of them fails, each is run again on its own, so only that one retries.
 */
export function metaWebhookProcessor(
  store: MetaEventStore,
  logger: Logger,
  batch: { maxBatch?: number; maxConcurrent?: number } = {},
): MetaWebhookProcessor {
  const logSkipped = (id: string, t: WebhookTally): void => {
    if (t.skipped > 0)
      logger.info('meta webhook: parts skipped', { webhookId: id, skipped: t.skipped, reasons: t.reasons });
  };

  async function processOne(id: string): Promise<boolean> {
    let tally: WebhookTally | undefined;
    const done = await store.processWebhook(id, async (tx, body): Promise<ProcessOutcome> => {
      tally = await applyMetaWebhook(tx, body);
      return outcomeOf(tally);
    });
    if (done && tally) logSkipped(id, tally);
    return done !== undefined;
  }

  const batcher = new Batcher<string, boolean | Error>(
    async (ids) => {
      if (ids.length === 1) {
        try {
          return [await processOne(ids[0] ?? '')];
        } catch (err) {
          if (isConnectionError(err)) throw err;
          return [err instanceof Error ? err : new Error(String(err))];
        }
      }
      const tallies = new Map<string, WebhookTally>();
      try {
        const outcomes = await store.processWebhooks(ids, async (id, tx, body) => {
          const t = await applyMetaWebhook(tx, body);
          tallies.set(id, t);
          return outcomeOf(t);
        });
        for (const [id, t] of tallies) logSkipped(id, t);
        return outcomes.map((o) => o !== undefined);
      } catch (err) {
        if (isConnectionError(err)) throw err;
        // One of them failed (or two batches deadlocked): each on its own, so only the failing one retries.
        return Promise.all(
          ids.map((id) =>
            processOne(id).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e)))),
          ),
        );
      }
    },
    // Nobody waits on the answer but the broker's ack: a short linger fills the transaction (ADR 0046).
    {
      maxBatch: batch.maxBatch ?? 50,
      maxConcurrent: batch.maxConcurrent ?? 2,
      lingerMs: 10,
    },
  );

  return {
    async process(id) {
      const done = await batcher.add(id);
      if (done instanceof Error) throw done;
      return done;
    },
    async giveUp(id, reason) {
      logger.error('meta webhook: given up after repeated failures', { webhookId: id, reason });
      await store.markFailed(id, reason.slice(0, 2000));
    },
  };
}
