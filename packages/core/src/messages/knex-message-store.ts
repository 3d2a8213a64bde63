import { prepared, type Database } from '@flowgate/db';
import type { MessageStatus } from '@flowgate/contracts';
import type { AcceptOutcome, MessageAcceptStore, MessageView, NewMessage, RelayItem } from './message-store';
import { UNFINISHED_STATUSES } from './message-status';

interface MessageRow {
  id: string;
  workspace_id: string;
  phone_number_id: string;
  recipient: string;
  type: string;
  template_name: string | null;
  status: MessageStatus;
  provider_message_id: string | null;
  error_code: number | null;
  error_title: string | null;
  error_details: string | null;
  attempts: number;
  idempotency_key: string | null;
  request_hash: string | null;
  pricing_category: string | null;
  pricing_type: string | null;
  pricing_billable: boolean | null;
  created_at: Date;
  updated_at: Date;
}

interface RelayRow {
  id: string;
  workspace_id: string;
  phone_number_id: string;
  created_at: Date;
  request_id: string | null;
}

const toRelayItem = (r: RelayRow): RelayItem => ({
  id: r.id,
  workspaceId: r.workspace_id,
  phoneNumberId: r.phone_number_id,
  createdAt: new Date(r.created_at),
  requestId: r.request_id,
});

/** The accept side of the messages store, on PostgreSQL (the public API and the outbox relay). */
export function knexMessageAcceptStore(db: Database): MessageAcceptStore {
  return {
    /**
     * Inserts messages (ACCEPTED) and their first events in one statement: one round trip and one
     * commit for the whole batch (ADR 0011). A row whose Idempotency-Key the workspace already used
     * (earlier, concurrently, or earlier in the same batch) is not inserted. Returns the ids that
     * were inserted; the statement commits all of them or none.
     */
    async insertAcceptedBatch(batch: readonly NewMessage[]): Promise<Map<string, AcceptOutcome>> {
      if (batch.length === 0) return new Map();
      const rows = batch.map((m) => ({
        id: m.id,
        workspace_id: m.workspaceId,
        api_key_id: m.apiKeyId,
        phone_number_id: m.phoneNumberId,
        contact_id: m.contactId,
        recipient: m.recipient,
        type: m.type,
        template_name: m.templateName,
        payload: m.payload,
        idempotency_key: m.idempotencyKey,
        request_hash: m.requestHash,
        request_id: m.requestId,
        check_opt_out: m.checkOptOut,
        require_window: m.requireOpenWindow,
      }));
      // The whole batch travels as one JSON parameter; PostgreSQL unpacks it into rows. The
      // recipient's opt-out and 24 h window are checked here, in the same round trip.
      const { rows: answered } = await db
        .raw<{ rows: Array<{ id: string; outcome: AcceptOutcome }> }>(
          `WITH input AS (
           SELECT * FROM json_to_recordset(?::json) AS t(
             id uuid, workspace_id uuid, api_key_id uuid, phone_number_id uuid, contact_id uuid,
             recipient text, type text, template_name text, payload jsonb, idempotency_key text,
             request_hash text, request_id text, check_opt_out boolean, require_window boolean)
         ), checked AS (
           SELECT input.*,
                  (check_opt_out AND EXISTS (
                     SELECT 1 FROM contacts c
                      WHERE c.workspace_id = input.workspace_id AND c.phone_digits = input.recipient AND c.opted_out
                  )) AS opted_out,
                  (require_window AND NOT EXISTS (
                     SELECT 1 FROM conversations v
                      WHERE v.phone_number_id = input.phone_number_id AND v.contact_phone = input.recipient
                        AND v.last_inbound_at > now() - interval '24 hours'
                  )) AS window_closed
             FROM input
         ), m AS (
           INSERT INTO messages (id, workspace_id, api_key_id, phone_number_id, contact_id, recipient, type,
                                 template_name, payload, status, idempotency_key, request_hash, request_id)
           SELECT id, workspace_id, api_key_id, phone_number_id, contact_id, recipient, type,
                  template_name, payload, 'ACCEPTED', idempotency_key, request_hash, request_id
             FROM checked WHERE NOT opted_out AND NOT window_closed
           ON CONFLICT (workspace_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
           RETURNING id
         ), e AS (
           INSERT INTO message_events (message_id, status) SELECT id, 'ACCEPTED' FROM m
         )
         SELECT id, 'inserted' AS outcome FROM m
         UNION ALL
         SELECT id, CASE WHEN opted_out THEN 'opted_out' ELSE 'window_closed' END FROM checked
          WHERE opted_out OR window_closed`,
          [JSON.stringify(rows)],
        )
        .options(prepared('flowgate_insert_accepted_v2'));
      return new Map(answered.map((r) => [r.id, r.outcome]));
    },

    /** The message an earlier send with this Idempotency-Key created in the workspace, if any. */
    async findByIdempotencyKey(
      workspaceId: string,
      key: string,
    ): Promise<{ id: string; requestHash: string | null } | undefined> {
      const row = await db<MessageRow>('messages')
        .select('id', 'request_hash')
        .where({ workspace_id: workspaceId, idempotency_key: key })
        .first();
      return row ? { id: row.id, requestHash: row.request_hash } : undefined;
    },

    /** ACCEPTED → QUEUED for a batch, after the broker confirmed them (never moves a later status back). */
    async markQueued(ids: readonly string[]): Promise<number> {
      if (ids.length === 0) return 0;
      const { rows } = await db.raw<{ rows: Array<{ id: string }> }>(
        `WITH q AS (
           UPDATE messages SET status = 'QUEUED', updated_at = now()
            WHERE id = ANY(?::uuid[]) AND status = 'ACCEPTED' RETURNING id
         ), e AS (
           INSERT INTO message_events (message_id, status) SELECT id, 'QUEUED' FROM q
         )
         SELECT id FROM q`,
        [[...ids]],
      );
      return rows.length;
    },

    /**
     * Outbox relay: ACCEPTED messages older than `olderThanMs`, and SENDING messages untouched for
     * `stuckAfterMs` (a retry lost with an in-process broker, a claim whose envelope is gone),
     * not relayed recently. Rows another relay is claiming at the same moment are skipped
     * (`FOR UPDATE SKIP LOCKED`), so several API instances split the work instead of publishing
     * the same messages twice; `relayed_at` keeps them from being picked again right after.
     */
    async claimForRelay(olderThanMs: number, stuckAfterMs: number, limit: number): Promise<RelayItem[]> {
      const result = await db.raw<{ rows: RelayRow[] }>(
        `WITH accepted AS (
           SELECT id FROM messages
            WHERE status = 'ACCEPTED' AND created_at < now() - (? * interval '1 millisecond')
              AND (relayed_at IS NULL OR relayed_at < now() - (? * interval '1 millisecond'))
            ORDER BY created_at LIMIT ? FOR UPDATE SKIP LOCKED
         ), stuck AS (
           SELECT id FROM messages
            WHERE status = 'SENDING' AND updated_at < now() - (? * interval '1 millisecond')
              AND (relayed_at IS NULL OR relayed_at < now() - (? * interval '1 millisecond'))
            ORDER BY updated_at LIMIT ? FOR UPDATE SKIP LOCKED
         )
         UPDATE messages SET relayed_at = now()
          WHERE id IN (SELECT id FROM accepted UNION ALL SELECT id FROM stuck)
          RETURNING id, workspace_id, phone_number_id, created_at, request_id`,
        [olderThanMs, olderThanMs, limit, stuckAfterMs, stuckAfterMs, limit],
      );
      return result.rows.map(toRelayItem);
    },

    /**
     * Every unfinished message (ACCEPTED, QUEUED, SENDING), oldest first, one page after
     * `cursor`: an embedded start republishes them all, because the in-process broker's queue did
     * not survive the restart. The cursor is the last row's exact (created_at, id).
     */
    async unfinishedPage(
      cursor: string | undefined,
      limit: number,
    ): Promise<{ items: RelayItem[]; cursor: string | undefined }> {
      const after = cursor === undefined ? undefined : (JSON.parse(cursor) as [string, string]);
      const result = await db.raw<{ rows: Array<RelayRow & { at: string }> }>(
        `SELECT id, workspace_id, phone_number_id, created_at, request_id, created_at::text AS at FROM messages
          WHERE status = ANY(?::text[])
            ${after ? 'AND (created_at, id) > (?::timestamptz, ?::uuid)' : ''}
          ORDER BY created_at, id LIMIT ?`,
        after ? [[...UNFINISHED_STATUSES], ...after, limit] : [[...UNFINISHED_STATUSES], limit],
      );
      const last = result.rows[result.rows.length - 1];
      return {
        items: result.rows.map(toRelayItem),
        cursor: last ? JSON.stringify([last.at, last.id]) : undefined,
      };
    },

    /**
     * Frees Idempotency-Keys older than `retentionMs` (docs/contracts.md §2.2 keeps them at least 24 h), at
     * most `limit` per call so one purge never holds many row locks. Returns how many were freed.
     */
    async purgeIdempotencyKeys(retentionMs: number, limit: number): Promise<number> {
      const result = await db.raw<{ rows: Array<{ id: string }> }>(
        `UPDATE messages SET idempotency_key = NULL, request_hash = NULL
          WHERE id IN (
            SELECT id FROM messages
             WHERE idempotency_key IS NOT NULL AND created_at < now() - (? * interval '1 millisecond')
             ORDER BY created_at LIMIT ? FOR UPDATE SKIP LOCKED)
          RETURNING id`,
        [retentionMs, limit],
      );
      return result.rows.length;
    },

    async view(workspaceId: string, id: string): Promise<MessageView | undefined> {
      const row = await db<MessageRow>('messages').where({ id, workspace_id: workspaceId }).first();
      if (!row) return undefined;
      const events = await db('message_events')
        .select<Array<{ status: string; detail: string | null; at: Date }>>(
          'status',
          'detail',
          db.raw('COALESCE(occurred_at, created_at) AS at'),
        )
        .where({ message_id: id })
        .orderBy('id');
      return {
        id: row.id,
        status: row.status,
        type: row.type,
        recipient: row.recipient,
        phoneNumberId: row.phone_number_id,
        templateName: row.template_name,
        providerMessageId: row.provider_message_id,
        error:
          row.error_code !== null || row.error_title !== null
            ? { code: row.error_code, title: row.error_title, details: row.error_details }
            : null,
        attempts: row.attempts,
        pricing:
          row.pricing_category !== null || row.pricing_type !== null || row.pricing_billable !== null
            ? { category: row.pricing_category, type: row.pricing_type, billable: row.pricing_billable }
            : null,
        createdAt: new Date(row.created_at),
        updatedAt: new Date(row.updated_at),
        history: events.map((e) => ({ status: e.status, at: new Date(e.at), detail: e.detail })),
      };
    },
  };
}
