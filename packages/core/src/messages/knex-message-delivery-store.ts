import type { Database } from '@flowgate/db';
import type {
  ClaimedMessage,
  FailedRecord,
  MessageDeliveryStore,
  PeekedMessage,
  ReleaseRecord,
  SentRecord,
} from './message-store';

const CLAIMABLE = (prev: string, timeout: string) =>
  `(${prev}.status IN ('ACCEPTED', 'QUEUED') OR (${prev}.status = 'SENDING' AND (${prev}.claimed_at IS NULL OR ${prev}.claimed_at < now() - (${timeout} * interval '1 millisecond'))))`;

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

/**
 * The delivery side of the messages store, on PostgreSQL (the dispatcher). The per-message
 * statements (peek, claim, sent, failed, release) take a batch: one statement, one round trip and
 * one commit for all of it (ADR 0014).
 */
export function knexMessageDeliveryStore(db: Database, claimTimeoutMs: number): MessageDeliveryStore {
  return {
    /** Status, recipient and claim age of each id (undefined: no such message). */
    async peek(ids: readonly string[]): Promise<Array<PeekedMessage | undefined>> {
      const { rows } = await db.raw<{
        rows: Array<{ id: string; status: string; recipient: string; held_ms: number | string | null }>;
      }>(
        `SELECT id, status, recipient,
                CASE WHEN claimed_at IS NULL THEN NULL ELSE EXTRACT(EPOCH FROM (now() - claimed_at)) * 1000 END AS held_ms
           FROM messages WHERE id = ANY(?::uuid[])`,
        [[...ids]],
      );
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => {
        const r = byId.get(id);
        return r ? { status: r.status, recipient: r.recipient, heldMs: num(r.held_ms) } : undefined;
      });
    },

    /** 0 when a claim held `heldMs` is stale (it may be taken over), else how long until it is. */
    staleInMs(heldMs: number): number {
      return heldMs >= claimTimeoutMs ? 0 : claimTimeoutMs - heldMs + 100;
    },

    /**
     * Claims messages for a provider call with one conditional update: ACCEPTED/QUEUED rows,
     * released SENDING rows (retry), or SENDING rows whose claim went stale, unless their
     * (number, recipient) pair is in `blockedPairs` (Meta's pair limit is checked before the
     * claim, so a pair wait never uses an attempt). Anything else (SENT, FAILED, held by a live
     * dispatcher, pair-limited, missing) is not claimed: undefined at its place. Rows are locked
     * in id order, so two dispatchers claiming overlapping batches cannot deadlock.
     */
    async claim(
      ids: readonly string[],
      blockedPairs: ReadonlyArray<{ phoneNumberId: string; recipient: string }> = [],
    ): Promise<Array<ClaimedMessage | undefined>> {
      const { rows } = await db.raw<{
        rows: Array<{ id: string; payload: string; recipient: string; attempts: number; took_over: boolean }>;
      }>(
        `WITH prev AS (
           SELECT id, status, claimed_at, phone_number_id, recipient FROM messages
            WHERE id = ANY(?::uuid[]) ORDER BY id FOR UPDATE
         ), claimed AS (
           UPDATE messages m
              SET status = 'SENDING', claimed_at = now(), attempts = m.attempts + 1, updated_at = now()
             FROM prev
            WHERE m.id = prev.id AND ${CLAIMABLE('prev', '?')}
              AND NOT EXISTS (SELECT 1 FROM unnest(?::uuid[], ?::text[]) AS b(phone_number_id, recipient)
                               WHERE b.phone_number_id = prev.phone_number_id AND b.recipient = prev.recipient)
        RETURNING m.id, m.payload::text AS payload, m.recipient, m.attempts, prev.status AS prev_status,
                  (prev.status = 'SENDING' AND prev.claimed_at IS NOT NULL) AS took_over
         ), ev AS (
           -- A delivery of an ACCEPTED row proves it was queued, even if the QUEUED mark has not landed yet.
           INSERT INTO message_events (message_id, status, detail)
           SELECT id, status, detail FROM (
             SELECT id, 'QUEUED' AS status, NULL AS detail, 1 AS ord FROM claimed WHERE prev_status = 'ACCEPTED'
             UNION ALL
             SELECT id, 'SENDING',
                    CASE WHEN took_over
                         THEN 'attempt ' || attempts || ' (took over a stale claim: the provider may have been called before)'
                         ELSE 'attempt ' || attempts END,
                    2 FROM claimed
           ) e ORDER BY id, ord
         )
         SELECT id, payload, recipient, attempts, took_over FROM claimed`,
        [
          [...ids],
          claimTimeoutMs,
          blockedPairs.map((b) => b.phoneNumberId),
          blockedPairs.map((b) => b.recipient),
        ],
      );
      const byId = new Map(rows.map((r) => [r.id, r]));
      // One message, one claim: when copies of an envelope share this statement (the relay's and
      // the original, a redelivery), only the first gets the row; the others are unclaimed.
      return ids.map((id) => {
        const r = byId.get(id);
        byId.delete(id);
        return r
          ? {
              id: r.id,
              payload: r.payload,
              recipient: r.recipient,
              attempts: r.attempts,
              tookOver: r.took_over,
            }
          : undefined;
      });
    },

    /**
     * SENDING → SENT with the wamid, for a batch. Returns, per record, whether the row was still
     * SENDING: false means something else finished it first (a stale claim was taken over while
     * this call ran), so the provider was called twice for it.
     */
    async markSent(records: readonly SentRecord[]): Promise<boolean[]> {
      const { rows } = await db.raw<{ rows: Array<{ id: string }> }>(
        `WITH v AS (
           SELECT * FROM unnest(?::uuid[], ?::text[], ?::text[]) AS v(id, wamid, detail)
         ), s AS (
           UPDATE messages m
              SET status = 'SENT', provider_message_id = v.wamid, claimed_at = NULL, error_code = NULL,
                  error_title = NULL, error_details = NULL, updated_at = now()
             FROM v
            WHERE m.id = v.id AND m.status = 'SENDING'
        RETURNING m.id, v.detail, v.wamid
         ), ev AS (
           INSERT INTO message_events (message_id, status, detail) SELECT id, 'SENT', detail FROM s
         ), pe AS (
           -- message.sent (docs/contracts.md §10), only for workspaces with an endpoint that wants it:
           -- the hot path writes no event nobody receives.
           INSERT INTO partner_events (id, workspace_id, type, data, occurred_at)
           SELECT 'evt_' || replace(gen_random_uuid()::text, '-', ''), m.workspace_id, 'message.sent',
                  jsonb_build_object('messageId', m.id, 'status', 'SENT', 'phone', m.recipient,
                    'phoneNumberId', m.phone_number_id, 'contactId', m.contact_id, 'providerMessageId', s.wamid,
                    'type', m.type, 'timestamp', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                    'requestId', m.request_id, 'idempotencyKey', m.idempotency_key),
                  now()
             FROM s JOIN messages m ON m.id = s.id
            WHERE EXISTS (SELECT 1 FROM webhook_endpoints e
                           WHERE e.workspace_id = m.workspace_id AND e.deleted_at IS NULL AND e.status = 'active'
                             AND (e.events @> '["message.sent"]'::jsonb OR e.events @> '["*"]'::jsonb))
         )
         SELECT id FROM s`,
        [records.map((r) => r.id), records.map((r) => r.wamid), records.map((r) => r.detail)],
      );
      const done = new Set(rows.map((r) => r.id));
      return records.map((r) => done.has(r.id));
    },

    /** SENDING → FAILED with Meta's code and text (or ours, with a null code), for a batch. */
    async markFailed(records: readonly FailedRecord[]): Promise<void[]> {
      await db.raw(
        `WITH v AS (
           SELECT * FROM unnest(?::uuid[], ?::int[], ?::text[], ?::text[], ?::text[]) AS v(id, code, title, details, detail)
         ), f AS (
           UPDATE messages m
              SET status = 'FAILED', claimed_at = NULL, error_code = v.code, error_title = v.title,
                  error_details = v.details, updated_at = now()
             FROM v
            WHERE m.id = v.id AND m.status = 'SENDING'
        RETURNING m.id, v.detail
         )
         INSERT INTO message_events (message_id, status, detail) SELECT id, 'FAILED', detail FROM f`,
        [
          records.map((r) => r.id),
          // Arrays with nulls: pg sends them as arrays, knex's types only know arrays without.
          records.map((r) => r.error.code) as unknown as number[],
          records.map((r) => r.error.title),
          records.map((r) => r.error.details) as unknown as string[],
          records.map((r) => r.detail),
        ],
      );
      return records.map(() => undefined);
    },

    /** Hands claimed messages back for a later attempt (status stays SENDING; history records why). */
    async release(records: readonly ReleaseRecord[]): Promise<void[]> {
      await db.raw(
        `WITH v AS (
           SELECT * FROM unnest(?::uuid[], ?::text[]) AS v(id, reason)
         ), r AS (
           UPDATE messages m SET claimed_at = NULL, updated_at = now()
             FROM v
            WHERE m.id = v.id AND m.status = 'SENDING'
        RETURNING m.id, v.reason
         )
         INSERT INTO message_events (message_id, status, detail) SELECT id, 'RETRY_SCHEDULED', reason FROM r`,
        [records.map((r) => r.id), records.map((r) => r.reason)],
      );
      return records.map(() => undefined);
    },

    /** Adds a line to a message's history without changing the message (e.g. a duplicate call seen). */
    async note(id: string, status: string, detail: string): Promise<void> {
      await db.raw('INSERT INTO message_events (message_id, status, detail) VALUES (?, ?, ?)', [
        id,
        status,
        detail,
      ]);
    },

    /**
     * The dispatcher gives up on a message it is about to park (ADR 0013): any status before
     * SENT becomes FAILED with our own text and a null code, unless a live claim holds it (its
     * holder records the outcome). Returns whether the row changed.
     */
    async abandon(id: string, title: string, details: string): Promise<boolean> {
      const { rows } = await db.raw<{ rows: Array<{ id: string }> }>(
        `WITH a AS (
           UPDATE messages m SET status = 'FAILED', claimed_at = NULL, error_code = NULL, error_title = ?,
                  error_details = ?, updated_at = now()
            WHERE m.id = ? AND ${CLAIMABLE('m', '?')}
        RETURNING m.id
         ), ev AS (
           INSERT INTO message_events (message_id, status, detail) SELECT id, 'FAILED', ? FROM a
         )
         SELECT id FROM a`,
        [title, details, id, claimTimeoutMs, `${title}: ${details}`],
      );
      return rows.length > 0;
    },

    /**
     * The outbox backlog (/metrics): messages stored but not yet handed to the broker, and the
     * age of the oldest, read through the outbox's partial index.
     */
    async outboxBacklog(): Promise<{ depth: number; oldestAgeSeconds: number }> {
      const { rows } = await db.raw<{ rows: Array<{ depth: string; age: string | null }> }>(
        `SELECT count(*) AS depth, extract(epoch FROM now() - min(created_at)) AS age
           FROM messages WHERE status = 'ACCEPTED'`,
      );
      const row = rows[0];
      return { depth: Number(row?.depth ?? 0), oldestAgeSeconds: Math.max(0, Number(row?.age ?? 0)) };
    },
  };
}
