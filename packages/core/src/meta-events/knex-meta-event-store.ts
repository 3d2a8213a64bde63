import { randomUUID } from 'node:crypto';
import { Batcher, type Database } from '@flowgate/db';
import { LRUCache } from 'lru-cache';
import type { PartnerEventType } from '@flowgate/contracts';
import { canMove } from '../messages/message-status';
import { KnexPartnerEventStore, newPartnerEventId } from '../partner-events/knex-partner-event-store';
import { toStatusRecord } from './meta-parse';
import type {
  ConnectedNumber,
  InboundOutcome,
  InboundRecord,
  MetaEventStore,
  MetaEventTx,
  PaymentRecord,
  ProcessOutcome,
  StatusOutcome,
  StatusRecord,
  TemplateReviewRecord,
} from './meta-event-store';

const outbox = new KnexPartnerEventStore();

const EVENT_OF: Record<StatusRecord['status'], PartnerEventType> = {
  SENT: 'message.sent',
  DELIVERED: 'message.delivered',
  READ: 'message.read',
  FAILED: 'message.failed',
};

interface MessageRow {
  id: string;
  workspace_id: string;
  phone_number_id: string;
  contact_id: string | null;
  recipient: string;
  status: string;
  request_id: string | null;
  idempotency_key: string | null;
}

const MESSAGE_COLUMNS =
  'id, workspace_id, phone_number_id, contact_id, recipient, status, request_id, idempotency_key';

/** Our message id as Meta echoes it (`biz_opaque_callback_data`), found without parsing the body. */
const OPAQUE_ID =
  /"biz_opaque_callback_data"\s*:\s*"([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"/g;

/** The message ids the statuses of these bodies name (a hint for one lock; wrong or missing ids cost nothing). */
export function statusMessageIds(bodies: readonly Buffer[]): string[] {
  const ids = new Set<string>();
  for (const body of bodies)
    for (const m of body.toString('utf8').matchAll(OPAQUE_ID)) if (m[1]) ids.add(m[1].toLowerCase());
  return [...ids];
}

/** One message's writes, merged over the statuses applied to it in this transaction. */
interface MessageChange {
  id: string;
  /** The last status applied (null: only pricing changed). */
  status: string | null;
  /** The first applied status's wamid (`provider_message_id` keeps the first one it gets). */
  wamid: string | null;
  failed: boolean;
  errorCode: number | null;
  errorTitle: string | null;
  errorDetails: string | null;
  pricingCategory: string | null;
  pricingType: string | null;
  pricingBillable: boolean | null;
}

interface StatusEventRow {
  message_id: string;
  status: string;
  detail: string;
  occurred_at: string;
  event_id: string;
  workspace_id: string;
  type: PartnerEventType;
  data: Record<string, unknown>;
}

/**
 * Meta statuses applied inside one transaction (docs/contracts.md §9, ADR 0046): the messages they
 * name are locked together in id order; each status is decided in order against the row as the
 * earlier statuses left it (forward only, one history event and one partner event per applied
 * status); the writes go to PostgreSQL as one statement at {@link flush}, whatever the number of
 * statuses. Nothing in the transaction reads a message's status but this class, so deciding
 * before writing is the same as writing each in turn.
 */
class StatusBatch {
  private readonly rows = new Map<string, MessageRow>();
  private readonly changes = new Map<string, MessageChange>();
  private readonly events: StatusEventRow[] = [];

  constructor(private readonly trx: Database) {}

  /** Locks these messages (those not locked yet) in one statement, in id order. */
  async lockAll(ids: readonly string[]): Promise<void> {
    const wanted = ids.filter((id) => !this.rows.has(id));
    if (wanted.length === 0) return;
    const { rows } = await this.trx.raw<{ rows: MessageRow[] }>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id = ANY(?::uuid[]) ORDER BY id FOR UPDATE`,
      [wanted],
    );
    for (const r of rows) this.rows.set(r.id, r);
  }

  /** The message a status names (our id first, else the wamid), locked, as this batch left it. */
  async lock(s: Pick<StatusRecord, 'messageId' | 'wamid'>): Promise<MessageRow | undefined> {
    if (s.messageId !== null) {
      const held = this.rows.get(s.messageId);
      if (held) return held;
      const { rows } = await this.trx.raw<{ rows: MessageRow[] }>(
        `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id = ? FOR UPDATE`,
        [s.messageId],
      );
      if (rows[0]) return this.hold(rows[0]);
    }
    const { rows } = await this.trx.raw<{ rows: MessageRow[] }>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE provider_message_id = ? ORDER BY created_at LIMIT 1 FOR UPDATE`,
      [s.wamid],
    );
    return rows[0] ? this.hold(rows[0]) : undefined;
  }

  private hold(row: MessageRow): MessageRow {
    const held = this.rows.get(row.id);
    if (held) return held;
    this.rows.set(row.id, row);
    return row;
  }

  private changeOf(id: string): MessageChange {
    let c = this.changes.get(id);
    if (!c) {
      c = {
        id,
        status: null,
        wamid: null,
        failed: false,
        errorCode: null,
        errorTitle: null,
        errorDetails: null,
        pricingCategory: null,
        pricingType: null,
        pricingBillable: null,
      };
      this.changes.set(id, c);
    }
    return c;
  }

  /** Applies one status to a locked message: forward only, one history event. */
  apply(m: MessageRow, s: StatusRecord): 'applied' | 'duplicate' {
    const from = m.status as Parameters<typeof canMove>[0];
    const duplicate = from === s.status || !canMove(from, s.status);
    if (duplicate && !s.pricing) return 'duplicate';
    const c = this.changeOf(m.id);
    // Pricing: each status sets what it carries, so the last one that carries a field wins.
    if (s.pricing) {
      c.pricingCategory = s.pricing.category ?? c.pricingCategory;
      c.pricingType = s.pricing.type ?? c.pricingType;
      c.pricingBillable = s.pricing.billable ?? c.pricingBillable;
    }
    if (duplicate) return 'duplicate';
    m.status = s.status;
    c.status = s.status;
    c.wamid ??= s.wamid;
    const failed = s.status === 'FAILED';
    if (failed) {
      c.failed = true;
      c.errorCode = s.error?.code ?? null;
      c.errorTitle = s.error?.title ?? null;
      c.errorDetails = s.error?.details ?? null;
    }
    const occurredAt = s.occurredAt.toISOString();
    this.events.push({
      message_id: m.id,
      status: s.status,
      detail:
        failed && s.error
          ? `Meta: failed ${s.error.code} ${s.error.title}`
          : `Meta: ${s.status.toLowerCase()} (${s.wamid})`,
      occurred_at: occurredAt,
      event_id: newPartnerEventId(),
      workspace_id: m.workspace_id,
      type: EVENT_OF[s.status],
      data: {
        messageId: m.id,
        status: s.status,
        phone: m.recipient,
        phoneNumberId: m.phone_number_id,
        contactId: m.contact_id,
        providerMessageId: s.wamid,
        timestamp: occurredAt,
        ...(failed ? { errorCode: s.error?.code ?? null, errorMessage: s.error?.title ?? null } : {}),
        ...(s.pricing ? { pricing: s.pricing } : {}),
        requestId: m.request_id,
        idempotencyKey: m.idempotency_key,
      },
    });
    return 'applied';
  }

  /** Writes every change, history event and partner event decided so far: one statement. */
  async flush(): Promise<void> {
    if (this.changes.size === 0) return;
    const changes = [...this.changes.values()].map((c) => ({
      id: c.id,
      status: c.status,
      wamid: c.wamid,
      failed: c.failed,
      error_code: c.errorCode,
      error_title: c.errorTitle,
      error_details: c.errorDetails,
      pricing_category: c.pricingCategory,
      pricing_type: c.pricingType,
      pricing_billable: c.pricingBillable,
    }));
    const events = this.events.map((e, ord) => ({ ...e, ord }));
    this.changes.clear();
    this.events.length = 0;
    await this.trx.raw(
      `WITH v AS (
         SELECT * FROM json_to_recordset(?::json) AS t(
           id uuid, status text, wamid text, failed boolean, error_code int, error_title text,
           error_details text, pricing_category text, pricing_type text, pricing_billable boolean)
       ), u AS (
         UPDATE messages m SET status = COALESCE(v.status, m.status),
                updated_at = CASE WHEN v.status IS NULL THEN m.updated_at ELSE now() END,
                provider_message_id = COALESCE(m.provider_message_id, v.wamid),
                error_code = CASE WHEN v.failed THEN v.error_code ELSE m.error_code END,
                error_title = CASE WHEN v.failed THEN v.error_title ELSE m.error_title END,
                error_details = CASE WHEN v.failed THEN v.error_details ELSE m.error_details END,
                pricing_category = COALESCE(v.pricing_category, m.pricing_category),
                pricing_type = COALESCE(v.pricing_type, m.pricing_type),
                pricing_billable = COALESCE(v.pricing_billable, m.pricing_billable)
           FROM v WHERE m.id = v.id
       ), ev AS (
         SELECT * FROM json_to_recordset(?::json) AS t(
           ord int, message_id uuid, status text, detail text, occurred_at timestamptz, event_id text,
           workspace_id uuid, type text, data jsonb)
       ), e AS (
         INSERT INTO message_events (message_id, status, detail, occurred_at)
         SELECT message_id, status, detail, occurred_at FROM ev ORDER BY ord
       )
       INSERT INTO partner_events (id, workspace_id, type, data, occurred_at)
       SELECT event_id, workspace_id, type, data, occurred_at FROM ev ORDER BY ord`,
      [JSON.stringify(changes), JSON.stringify(events)],
    );
  }
}

/** Before our own SENT write, Meta's status waits (ADR 0038). */
const NOT_YET_SENT = new Set(['ACCEPTED', 'QUEUED', 'SENDING']);

type NumberCache = LRUCache<string, { numbers: ConnectedNumber[]; connected: boolean }>;

function txOf(trx: Database, cache: NumberCache, statuses: StatusBatch): MetaEventTx {
  return {
    async numbersFor(providerId) {
      const cached = cache.get(providerId);
      if (cached) return cached.numbers;
      const rows = await trx('phone_numbers')
        .select<Array<{ id: string; workspace_id: string; connected: boolean }>>(
          'id',
          'workspace_id',
          trx.raw('webhook_connected_at IS NOT NULL AS connected'),
        )
        .where({ provider_phone_number_id: providerId });
      const numbers = rows.map((r) => ({ id: r.id, workspaceId: r.workspace_id }));
      cache.set(providerId, { numbers, connected: rows.length > 0 && rows.every((r) => r.connected) });
      return numbers;
    },

    async markConnected(providerId, numbers) {
      const cached = cache.get(providerId);
      if (numbers.length === 0 || cached?.connected === true) return;
      // Only the first time: every change of phone_numbers notifies the API processes' caches.
      await trx('phone_numbers')
        .whereIn(
          'id',
          numbers.map((n) => n.id),
        )
        .whereNull('webhook_connected_at')
        .update({ webhook_connected_at: trx.fn.now() });
      // Known connected from here on (a rolled-back transaction only costs one more update later).
      cache.set(providerId, { numbers: [...numbers], connected: true });
    },

    async applyStatus(numbers, s): Promise<StatusOutcome> {
      const m = await statuses.lock(s);
      if (m && !numbers.some((n) => n.id === m.phone_number_id)) return 'foreign';
      if (!m || NOT_YET_SENT.has(m.status)) {
        await trx.raw(
          `INSERT INTO meta_pending_statuses (message_id, wamid, status, occurred_at, status_body)
           VALUES (?, ?, ?, ?, ?::jsonb) ON CONFLICT (wamid, status) DO NOTHING`,
          [m?.id ?? s.messageId, s.wamid, s.status, s.occurredAt, JSON.stringify(s.raw)],
        );
        return 'pending';
      }
      return statuses.apply(m, s);
    },

    async recordInbound(r: InboundRecord): Promise<InboundOutcome> {
      const found = await trx.raw<{ rows: Array<{ id: string; opted_out: boolean }> }>(
        `SELECT id, opted_out FROM contacts WHERE workspace_id = ? AND phone_digits = ?
          ORDER BY created_at LIMIT 1 FOR UPDATE`,
        [r.workspaceId, r.from],
      );
      let contact = found.rows[0];
      if (!contact) {
        const inserted = await trx.raw<{ rows: Array<{ id: string; opted_out: boolean }> }>(
          `INSERT INTO contacts (id, workspace_id, phone, name) VALUES (?, ?, ?, ?)
           ON CONFLICT (workspace_id, phone) DO UPDATE SET updated_at = now()
           RETURNING id, opted_out`,
          [randomUUID(), r.workspaceId, r.from, r.name],
        );
        contact = inserted.rows[0];
      }
      if (!contact) throw new Error('contact upsert returned nothing');
      const conv = await trx.raw<{ rows: Array<{ id: string }> }>(
        `INSERT INTO conversations (id, workspace_id, phone_number_id, contact_id, contact_phone, last_activity_at)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (phone_number_id, contact_phone) DO UPDATE SET contact_id = conversations.contact_id
         RETURNING id`,
        [randomUUID(), r.workspaceId, r.phoneNumberId, contact.id, r.from, r.occurredAt],
      );
      const conversationId = conv.rows[0]?.id;
      if (!conversationId) throw new Error('conversation upsert returned nothing');
      const id = randomUUID();
      const stored = await trx.raw<{ rows: Array<{ id: string }> }>(
        `INSERT INTO inbound_messages (id, workspace_id, conversation_id, contact_id, phone_number_id, wamid, type, content, reply_to, occurred_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?)
         ON CONFLICT (phone_number_id, wamid) DO NOTHING RETURNING id`,
        [
          id,
          r.workspaceId,
          conversationId,
          contact.id,
          r.phoneNumberId,
          r.wamid,
          r.type,
          JSON.stringify(r.content),
          r.replyTo,
          r.occurredAt,
        ],
      );
      if (stored.rows.length === 0) return { stored: false, optedOut: contact.opted_out };
      // SET expressions read the row as it was: the newest message (by Meta's time) is the last one.
      await trx.raw(
        `UPDATE conversations SET
           last_inbound_at = GREATEST(last_inbound_at, ?::timestamptz),
           last_activity_at = GREATEST(last_activity_at, ?::timestamptz),
           last_message = CASE WHEN last_message IS NULL OR ?::timestamptz >= last_activity_at
                               THEN ?::jsonb ELSE last_message END
         WHERE id = ?`,
        [
          r.occurredAt,
          r.occurredAt,
          r.occurredAt,
          JSON.stringify({ id, direction: 'inbound', type: r.type, preview: r.preview, at: r.occurredAt }),
          conversationId,
        ],
      );
      const events: Parameters<typeof outbox.append>[1][number][] = [];
      let optedOut = contact.opted_out;
      if (r.optChange === 'out' && !contact.opted_out) {
        optedOut = true;
        events.push({
          workspaceId: r.workspaceId,
          type: 'contact.opted_out',
          occurredAt: r.occurredAt,
          data: {
            contactId: contact.id,
            phone: r.from,
            phoneNumberId: r.phoneNumberId,
            keyword: r.preview,
            timestamp: r.occurredAt.toISOString(),
          },
        });
      } else if (r.optChange === 'in' && contact.opted_out) optedOut = false;
      await trx.raw(
        `UPDATE contacts SET last_inbound_at = GREATEST(last_inbound_at, ?), updated_at = now(),
                opted_out = ?, opted_out_at = CASE WHEN ? THEN COALESCE(opted_out_at, now()) ELSE NULL END
          WHERE id = ?`,
        [r.occurredAt, optedOut, optedOut, contact.id],
      );
      events.push({
        workspaceId: r.workspaceId,
        type: 'message.received',
        occurredAt: r.occurredAt,
        data: {
          messageId: id,
          contactId: contact.id,
          conversationId,
          phone: r.from,
          name: r.name,
          phoneNumberId: r.phoneNumberId,
          providerMessageId: r.wamid,
          type: r.type,
          content: r.content,
          replyTo: r.replyTo,
          timestamp: r.occurredAt.toISOString(),
        },
      });
      await outbox.append(trx, events);
      return { stored: true, optedOut };
    },

    async applyTemplateReview(r: TemplateReviewRecord) {
      const { rows } = await trx.raw<{
        rows: Array<{ id: string; workspace_id: string; name: string; language: string; category: string }>;
      }>(
        `UPDATE templates t SET status = ?, rejection_reason = ?, updated_at = now(),
                provider_template_id = COALESCE(?, t.provider_template_id)
          WHERE t.name = ? AND t.language = ? AND t.status IS DISTINCT FROM ?
            AND t.workspace_id IN (SELECT workspace_id FROM phone_numbers WHERE waba_id = ?)
        RETURNING t.id, t.workspace_id, t.name, t.language, t.category`,
        [r.status, r.reason, r.providerTemplateId, r.name, r.language, r.status, r.wabaId],
      );
      await outbox.append(
        trx,
        rows.map((t) => ({
          workspaceId: t.workspace_id,
          type: r.status === 'APPROVED' ? 'template.approved' : 'template.status_updated',
          occurredAt: r.occurredAt,
          data: {
            templateId: t.id,
            name: t.name,
            language: t.language,
            category: t.category,
            status: r.status,
            reason: r.reason,
            timestamp: r.occurredAt.toISOString(),
          },
        })),
      );
      return rows.length;
    },

    async recordPayment(p: PaymentRecord) {
      const { rows } = await trx.raw<{ rows: Array<{ id: string }> }>(
        `INSERT INTO payments (workspace_id, reference_id, status, amount_value, amount_offset, currency, transaction_id, recipient, occurred_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (workspace_id, reference_id, status) DO NOTHING RETURNING id`,
        [
          p.workspaceId,
          p.referenceId,
          p.status,
          p.amount?.value ?? null,
          p.amount?.offset ?? null,
          p.currency,
          p.transactionId,
          p.recipient,
          p.occurredAt,
        ],
      );
      if (rows.length === 0) return false;
      if (p.status === 'captured')
        await outbox.append(trx, [
          {
            workspaceId: p.workspaceId,
            type: 'payment.completed',
            occurredAt: p.occurredAt,
            data: {
              paymentId: p.referenceId,
              referenceId: p.referenceId,
              status: p.status,
              amount: p.amount,
              currency: p.currency,
              transactionId: p.transactionId,
              phone: p.recipient,
              timestamp: p.occurredAt.toISOString(),
            },
          },
        ]);
      return true;
    },
  };
}

/** Meta's events on PostgreSQL. */
export function knexMetaEventStore(db: Database): MetaEventStore {
  // Group commit of the intake's inserts (ADR 0011): one statement and one commit for the bodies
  // that arrive together; each request still answers only after its row is committed.
  const inserts = new Batcher<{ body: Buffer; requestId: string | null }, string>(
    async (items) => {
      const { rows } = await db.raw<{ rows: Array<{ id: string; ord: number }> }>(
        `INSERT INTO meta_webhooks (body, request_id)
         SELECT decode(h, 'hex'), r FROM unnest(?::text[], ?::text[]) WITH ORDINALITY AS v(h, r, ord) ORDER BY ord
         RETURNING id::text AS id`,
        [items.map((i) => i.body.toString('hex')), items.map((i) => i.requestId) as unknown as string[]],
      );
      if (rows.length !== items.length) throw new Error('meta_webhooks insert returned a wrong count');
      return rows.map((r) => r.id);
    },
    { maxBatch: 200, maxConcurrent: 4 },
  );
  // Which workspaces own a provider number, and whether its webhook is connected already: asked
  // for every webhook, changed almost never (a stale entry lives 5 s).
  const numberCache = new LRUCache<string, { numbers: ConnectedNumber[]; connected: boolean }>({
    max: 10_000,
    ttl: 5_000,
  });
  return {
    storeWebhook(body, requestId) {
      return inserts.add({ body, requestId });
    },

    async processWebhook(id, work) {
      return db.transaction(async (trx) => {
        // The row lock makes a second worker with the same id wait, then see it processed.
        const { rows } = await trx.raw<{ rows: Array<{ body: Buffer | Uint8Array | string }> }>(
          'SELECT body FROM meta_webhooks WHERE id = ? AND processed_at IS NULL FOR UPDATE',
          [id],
        );
        const row = rows[0];
        if (!row) return undefined;
        const body = bytesOf(row.body);
        const statuses = new StatusBatch(trx);
        await statuses.lockAll(statusMessageIds([body]));
        const outcome: ProcessOutcome = await work(txOf(trx, numberCache, statuses), body);
        await statuses.flush();
        await trx('meta_webhooks')
          .where({ id })
          .update({ processed_at: trx.fn.now(), outcome: outcome.outcome, detail: outcome.detail });
        return outcome;
      });
    },

    async processWebhooks(ids, work) {
      if (ids.length === 0) return [];
      return db.transaction(async (trx) => {
        const { rows } = await trx.raw<{ rows: Array<{ id: string; body: Buffer | Uint8Array | string }> }>(
          `SELECT id::text AS id, body FROM meta_webhooks
            WHERE id = ANY(?::bigint[]) AND processed_at IS NULL ORDER BY id FOR UPDATE`,
          [[...ids]],
        );
        const bodies = rows.map((row) => ({ id: row.id, body: bytesOf(row.body) }));
        // Every message the batch's statuses name, locked at once; their writes, one statement.
        const statuses = new StatusBatch(trx);
        await statuses.lockAll(statusMessageIds(bodies.map((b) => b.body)));
        const tx = txOf(trx, numberCache, statuses);
        const outcomes = new Map<string, ProcessOutcome>();
        for (const { id, body } of bodies) outcomes.set(id, await work(id, tx, body));
        await statuses.flush();
        if (outcomes.size > 0)
          await trx.raw(
            `UPDATE meta_webhooks AS w SET processed_at = now(), outcome = v.outcome, detail = v.detail
               FROM json_to_recordset(?::json) AS v(id bigint, outcome text, detail text) WHERE w.id = v.id`,
            [JSON.stringify([...outcomes].map(([id, o]) => ({ id, outcome: o.outcome, detail: o.detail })))],
          );
        return ids.map((id) => outcomes.get(id));
      });
    },

    async markFailed(id, detail) {
      await db('meta_webhooks')
        .where({ id })
        .whereNull('processed_at')
        .update({ processed_at: db.fn.now(), outcome: 'failed', detail });
    },

    async unprocessedWebhooks(olderThanMs, limit) {
      const { rows } = await db.raw<{ rows: Array<{ id: string }> }>(
        `SELECT id::text AS id FROM meta_webhooks
          WHERE processed_at IS NULL AND received_at < now() - (? * interval '1 millisecond')
          ORDER BY received_at LIMIT ?`,
        [olderThanMs, limit],
      );
      return rows.map((r) => r.id);
    },

    async applyPendingStatuses(limit, maxAgeMs) {
      return db.transaction(async (trx) => {
        const dropped = await trx.raw<{ rowCount: number | null }>(
          `DELETE FROM meta_pending_statuses WHERE id IN (
             SELECT id FROM meta_pending_statuses
              WHERE received_at < now() - (? * interval '1 millisecond') LIMIT ? FOR UPDATE SKIP LOCKED)`,
          [maxAgeMs, limit],
        );
        // Those whose message has its SENT write now, oldest Meta time first (one lock each).
        const { rows } = await trx.raw<{
          rows: Array<{
            id: string;
            message_id: string | null;
            wamid: string;
            status: string;
            occurred_at: Date;
            status_body: Record<string, unknown>;
          }>;
        }>(
          `SELECT p.id, p.message_id, p.wamid, p.status, p.occurred_at, p.status_body
             FROM meta_pending_statuses p
            WHERE EXISTS (
                    SELECT 1 FROM messages m
                     WHERE (m.id = p.message_id OR (p.message_id IS NULL AND m.provider_message_id = p.wamid))
                       AND m.status IN ('SENT', 'DELIVERED', 'READ', 'FAILED'))
            ORDER BY p.occurred_at, p.id
            LIMIT ? FOR UPDATE OF p SKIP LOCKED`,
          [limit],
        );
        let applied = 0;
        const statuses = new StatusBatch(trx);
        await statuses.lockAll(rows.flatMap((p) => (p.message_id === null ? [] : [p.message_id])));
        for (const p of rows) {
          const record = toStatusRecord(p.status_body);
          if ('skip' in record) continue;
          const m = await statuses.lock({ messageId: p.message_id, wamid: p.wamid });
          if (m && statuses.apply(m, record) === 'applied') applied += 1;
        }
        await statuses.flush();
        if (rows.length > 0)
          await trx.raw('DELETE FROM meta_pending_statuses WHERE id = ANY(?::bigint[])', [
            rows.map((r) => r.id),
          ]);
        const waiting = await trx.raw<{ rows: unknown[] }>('SELECT 1 FROM meta_pending_statuses LIMIT 1');
        return { applied, dropped: dropped.rowCount ?? 0, waiting: waiting.rows.length > 0 };
      });
    },
  };
}

/** bytea as PostgreSQL's driver (Buffer) or PGlite (Uint8Array, or `\\x…` text) returns it. */
function bytesOf(value: Buffer | Uint8Array | string): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string')
    return value.startsWith('\\x') ? Buffer.from(value.slice(2), 'hex') : Buffer.from(value);
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}
