import type { Knex } from 'knex';

export interface ClaimedMessage {
  id: string;
  workspaceId: string;
  phoneNumberId: string;
  recipient: string;
  payload: Record<string, unknown>;
  /** Provider attempts including this one. */
  attempts: number;
  /** True when this claim took over a stale SENDING claim (a dispatcher died mid-call). */
  tookOver: boolean;
}

/** The dispatcher's writes to a message: claim, sent, failed, released for retry. One round trip each. */
export function deliveryRepository(db: Knex, claimTimeoutMs: number) {
  return {
    /**
     * Claims a message for a provider call with a conditional update: only ACCEPTED/QUEUED rows,
     * released SENDING rows (retry), or SENDING rows whose claim went stale. Anything else (SENT,
     * FAILED, held by a live dispatcher) returns undefined: the envelope is a duplicate.
     */
    async claim(id: string): Promise<ClaimedMessage | undefined> {
      const { rows } = await db.raw<{
        rows: Array<{
          id: string;
          workspace_id: string;
          phone_number_id: string;
          recipient: string;
          payload: Record<string, unknown>;
          attempts: number;
          took_over: boolean;
        }>;
      }>(
        `WITH prev AS (
           SELECT id, status, claimed_at FROM messages WHERE id = ? FOR UPDATE
         ), claimed AS (
           UPDATE messages m
              SET status = 'SENDING', claimed_at = now(), attempts = m.attempts + 1, updated_at = now()
             FROM prev
            WHERE m.id = prev.id
              AND (prev.status IN ('ACCEPTED', 'QUEUED')
                   OR (prev.status = 'SENDING' AND (prev.claimed_at IS NULL OR prev.claimed_at < now() - (? * interval '1 millisecond'))))
        RETURNING m.id, m.workspace_id, m.phone_number_id, m.recipient, m.payload, m.attempts, prev.status AS prev_status,
                  (prev.status = 'SENDING' AND prev.claimed_at IS NOT NULL) AS took_over
         ), ev AS (
           -- A delivery of an ACCEPTED row proves it was queued, even if the QUEUED mark has not landed yet.
           INSERT INTO message_events (message_id, status, detail)
           SELECT id, status, detail FROM (
             SELECT id, 'QUEUED' AS status, NULL AS detail, 1 AS ord FROM claimed WHERE prev_status = 'ACCEPTED'
             UNION ALL
             SELECT id, 'SENDING', CASE WHEN took_over THEN 'attempt ' || attempts || ' (took over a stale claim: the provider may have been called before)' ELSE 'attempt ' || attempts END, 2 FROM claimed
           ) e ORDER BY ord
         )
         SELECT * FROM claimed`,
        [id, claimTimeoutMs],
      );
      const r = rows[0];
      return r
        ? {
            id: r.id,
            workspaceId: r.workspace_id,
            phoneNumberId: r.phone_number_id,
            recipient: r.recipient,
            payload: r.payload,
            attempts: r.attempts,
            tookOver: r.took_over,
          }
        : undefined;
    },

    /**
     * Why a claim failed: the message is final (a duplicate envelope: drop it), missing, or held
     * by a claim that is not stale yet (check again once it would be: its holder may have died).
     */
    async claimState(
      id: string,
    ): Promise<{ kind: 'final' } | { kind: 'missing' } | { kind: 'held'; staleInMs: number }> {
      const row = await db('messages')
        .select('status', db.raw('EXTRACT(EPOCH FROM (now() - claimed_at)) * 1000 AS held_ms'))
        .where({ id })
        .first<{ status: string; held_ms: number | string | null } | undefined>();
      if (!row) return { kind: 'missing' };
      if (row.status !== 'SENDING') return { kind: 'final' };
      const heldMs = Number(row.held_ms ?? 0);
      return { kind: 'held', staleInMs: Math.max(0, claimTimeoutMs - heldMs) + 100 };
    },

    async markSent(id: string, wamid: string): Promise<void> {
      await db.raw(
        `WITH s AS (
           UPDATE messages SET status = 'SENT', provider_message_id = ?, claimed_at = NULL, error_code = NULL, error_title = NULL, error_details = NULL, updated_at = now()
            WHERE id = ? AND status = 'SENDING' RETURNING id)
         INSERT INTO message_events (message_id, status, detail) SELECT id, 'SENT', ? FROM s`,
        [wamid, id, wamid],
      );
    },

    async markFailed(
      id: string,
      error: { code: number | null; title: string; details: string | null },
    ): Promise<void> {
      await db.raw(
        `WITH f AS (
           UPDATE messages SET status = 'FAILED', claimed_at = NULL, error_code = ?, error_title = ?, error_details = ?, updated_at = now()
            WHERE id = ? AND status = 'SENDING' RETURNING id)
         INSERT INTO message_events (message_id, status, detail) SELECT id, 'FAILED', ? FROM f`,
        [error.code, error.title, error.details, id, `${error.code ?? ''} ${error.title}`.trim()],
      );
    },

    /** Hands a claimed message back for a later attempt (status stays SENDING; history records why). */
    async release(id: string, reason: string): Promise<void> {
      await db.raw(
        `WITH r AS (
           UPDATE messages SET claimed_at = NULL, updated_at = now() WHERE id = ? AND status = 'SENDING' RETURNING id)
         INSERT INTO message_events (message_id, status, detail) SELECT id, 'RETRY_SCHEDULED', ? FROM r`,
        [id, reason],
      );
    },

    /** Sending number and decrypted-at-use access token source. */
    async sendingNumber(
      phoneNumberId: string,
    ): Promise<
      { providerPhoneNumberId: string; accessTokenEncrypted: string; workspaceId: string } | undefined
    > {
      const row = await db('phone_numbers')
        .select('provider_phone_number_id', 'access_token_encrypted', 'workspace_id')
        .where({ id: phoneNumberId })
        .first<
          | { provider_phone_number_id: string; access_token_encrypted: string; workspace_id: string }
          | undefined
        >();
      return row
        ? {
            providerPhoneNumberId: row.provider_phone_number_id,
            accessTokenEncrypted: row.access_token_encrypted,
            workspaceId: row.workspace_id,
          }
        : undefined;
    },
  };
}

export type DeliveryRepository = ReturnType<typeof deliveryRepository>;
