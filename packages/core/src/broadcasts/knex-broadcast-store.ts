import type { BroadcastCounts, BroadcastStatus } from '@flowgate/contracts';
import type { Database } from '@flowgate/db';
import { afterCursor, cursorUs } from '../knex-pagination';
import type { RelayItem } from '../messages/message-store';
import { KnexPartnerEventStore } from '../partner-events/knex-partner-event-store';
import type { BroadcastStore, BroadcastView, RecipientContact } from './broadcast-store';

interface BroadcastRow {
  id: string;
  workspace_id: string;
  name: string;
  template_name: string;
  template_language: string;
  phone_number_id: string;
  status: BroadcastStatus;
  total: number;
  duplicates: number;
  scheduled_at: Date | null;
  created_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
  cursor_us: string;
}

const COLUMNS = [
  'id',
  'workspace_id',
  'name',
  'template_name',
  'template_language',
  'phone_number_id',
  'status',
  'total',
  'duplicates',
  'scheduled_at',
  'created_at',
  'started_at',
  'completed_at',
] as const;

interface CountRow {
  broadcast_id: string;
  pending: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  skipped: number;
  cancelled: number;
}

const ZERO: BroadcastCounts = {
  pending: 0,
  sent: 0,
  delivered: 0,
  read: 0,
  failed: 0,
  skipped: 0,
  cancelled: 0,
};

/** Rows per INSERT of recipients (about 15 parameters' worth each: far under PostgreSQL's limits). */
const RECIPIENT_CHUNK = 2000;

/** Each recipient once, by where it is now (ADR 0041): the counts add up to the total. */
const COUNTS_SQL = `
  SELECT r.broadcast_id,
    count(*) FILTER (WHERE r.state = 'pending'
      OR (r.state = 'released' AND (m.status IS NULL OR m.status IN ('ACCEPTED','QUEUED','SENDING'))))::int AS pending,
    count(*) FILTER (WHERE r.state = 'released' AND m.status = 'SENT')::int AS sent,
    count(*) FILTER (WHERE r.state = 'released' AND m.status = 'DELIVERED')::int AS delivered,
    count(*) FILTER (WHERE r.state = 'released' AND m.status = 'READ')::int AS read,
    count(*) FILTER (WHERE r.state = 'released' AND m.status = 'FAILED')::int AS failed,
    count(*) FILTER (WHERE r.state = 'skipped')::int AS skipped,
    count(*) FILTER (WHERE r.state = 'cancelled')::int AS cancelled
  FROM broadcast_recipients r
  LEFT JOIN messages m ON r.state = 'released' AND m.id = r.message_id
  WHERE r.broadcast_id = ANY(?::uuid[])
  GROUP BY r.broadcast_id`;

const date = (v: Date | string | null): Date | null => (v === null ? null : new Date(v));

export function knexBroadcastStore(db: Database): BroadcastStore {
  const outbox = new KnexPartnerEventStore();

  async function countsOf(executor: Database, ids: readonly string[]): Promise<Map<string, BroadcastCounts>> {
    if (ids.length === 0) return new Map();
    const { rows } = await executor.raw<{ rows: CountRow[] }>(COUNTS_SQL, [[...ids]]);
    return new Map(
      rows.map((r) => [
        r.broadcast_id,
        {
          pending: r.pending,
          sent: r.sent,
          delivered: r.delivered,
          read: r.read,
          failed: r.failed,
          skipped: r.skipped,
          cancelled: r.cancelled,
        },
      ]),
    );
  }

  async function views(executor: Database, rows: readonly BroadcastRow[]): Promise<BroadcastView[]> {
    const counts = await countsOf(
      executor,
      rows.map((r) => r.id),
    );
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      templateName: r.template_name,
      templateLanguage: r.template_language,
      phoneNumberId: r.phone_number_id,
      status: r.status,
      total: r.total,
      duplicates: r.duplicates,
      counts: counts.get(r.id) ?? ZERO,
      scheduledAt: date(r.scheduled_at),
      createdAt: new Date(r.created_at),
      startedAt: date(r.started_at),
      completedAt: date(r.completed_at),
      cursorUs: r.cursor_us,
    }));
  }

  const select = (executor: Database) =>
    executor('broadcasts').select<BroadcastRow[]>(
      ...COLUMNS,
      executor.raw(`${cursorUs('created_at')} AS cursor_us`),
    );

  return {
    async contactsByIds(workspaceId, ids) {
      if (ids.length === 0) return new Map();
      const rows = await db('contacts')
        .select<Array<{ id: string; phone: string; opted_out: boolean }>>('id', 'phone', 'opted_out')
        .where({ workspace_id: workspaceId })
        .whereRaw('id = ANY(?::uuid[])', [[...ids]]);
      return new Map(rows.map((r) => [r.id, { id: r.id, phone: r.phone, optedOut: r.opted_out }]));
    },

    async contactsByTags(workspaceId, tags): Promise<RecipientContact[]> {
      const rows = await db('contacts')
        .select<Array<{ id: string; phone: string; opted_out: boolean }>>('id', 'phone', 'opted_out')
        .where({ workspace_id: workspaceId })
        .whereRaw('jsonb_exists_any(tags, ?::text[])', [[...tags]])
        .orderBy([
          { column: 'created_at', order: 'asc' },
          { column: 'id', order: 'asc' },
        ]);
      return rows.map((r) => ({ id: r.id, phone: r.phone, optedOut: r.opted_out }));
    },

    async optedOutDigits(workspaceId, digits) {
      if (digits.length === 0) return new Set();
      const rows = await db('contacts')
        .select<Array<{ phone_digits: string }>>('phone_digits')
        .where({ workspace_id: workspaceId, opted_out: true })
        .whereRaw('phone_digits = ANY(?::text[])', [[...digits]]);
      return new Set(rows.map((r) => r.phone_digits));
    },

    async insert(b, recipients) {
      await db.transaction(async (trx) => {
        await trx('broadcasts').insert({
          id: b.id,
          workspace_id: b.workspaceId,
          api_key_id: b.apiKeyId,
          phone_number_id: b.phoneNumberId,
          template_id: b.templateId,
          name: b.name,
          template_name: b.templateName,
          template_language: b.templateLanguage,
          status: b.status,
          total: b.total,
          duplicates: b.duplicates,
          request_id: b.requestId,
          scheduled_at: b.scheduledAt,
          started_at: b.status === 'SENDING' ? trx.fn.now() : null,
        });
        for (let i = 0; i < recipients.length; i += RECIPIENT_CHUNK) {
          const chunk = recipients.slice(i, i + RECIPIENT_CHUNK).map((r) => ({
            broadcast_id: b.id,
            idx: r.idx,
            message_id: r.messageId,
            recipient: r.recipient,
            contact_id: r.contactId,
            payload: r.payload,
            state: r.payload === null ? 'skipped' : 'pending',
          }));
          // One JSON parameter per chunk, unpacked by PostgreSQL (as the accept path does).
          await trx.raw(
            `INSERT INTO broadcast_recipients (broadcast_id, idx, message_id, recipient, contact_id, payload, state)
             SELECT broadcast_id, idx, message_id, recipient, contact_id, payload, state
               FROM json_to_recordset(?::json) AS t(broadcast_id uuid, idx int, message_id uuid, recipient text,
                                                    contact_id uuid, payload jsonb, state text)`,
            [JSON.stringify(chunk)],
          );
        }
      });
    },

    async list(workspaceId, filter, limit, cursor) {
      const q = select(db).where({ workspace_id: workspaceId });
      if (filter.status !== undefined) q.andWhere({ status: filter.status });
      if (cursor) q.andWhereRaw(afterCursor('created_at'), [cursor.us, cursor.id]);
      const rows = await q
        .orderBy([
          { column: 'created_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .limit(limit + 1);
      return views(db, rows);
    },

    async get(workspaceId, id) {
      const row = await select(db).where({ workspace_id: workspaceId, id }).first();
      if (!row) return undefined;
      const [view] = await views(db, [row]);
      return view;
    },

    async cancel(workspaceId, id) {
      return db.transaction(async (trx) => {
        const changed = await trx('broadcasts')
          .update({ status: 'CANCELLED', cancelled_at: trx.fn.now() })
          .where({ id, workspace_id: workspaceId })
          .whereIn('status', ['SCHEDULED', 'SENDING'])
          .returning('id');
        if (changed.length === 0) {
          const exists: unknown = await trx('broadcasts')
            .select('id')
            .where({ id, workspace_id: workspaceId })
            .first();
          return exists ? ('finished' as const) : undefined;
        }
        await trx('broadcast_recipients')
          .update({ state: 'cancelled' })
          .where({ broadcast_id: id, state: 'pending' });
        // Released, and no dispatcher holds them: they never reach the provider.
        await trx.raw(
          `WITH f AS (
             UPDATE messages SET status = 'FAILED', error_title = 'Broadcast cancelled', updated_at = now()
              WHERE broadcast_id = ? AND status IN ('ACCEPTED','QUEUED') RETURNING id
           ), e AS (
             INSERT INTO message_events (message_id, status, detail) SELECT id, 'FAILED', 'broadcast cancelled' FROM f
           )
           UPDATE broadcast_recipients SET state = 'cancelled'
            WHERE broadcast_id = ? AND state = 'released' AND message_id IN (SELECT id FROM f)`,
          [id, id],
        );
        const row = await select(trx).where({ id }).first();
        if (!row) return undefined;
        const [view] = await views(trx, [row]);
        return view;
      });
    },

    async startDue() {
      const rows = await db('broadcasts')
        .update({ status: 'SENDING', started_at: db.fn.now() })
        .where({ status: 'SCHEDULED' })
        .andWhere('scheduled_at', '<=', db.fn.now())
        .returning('id');
      return rows.length;
    },

    async numbersWithPending() {
      const { rows } = await db.raw<{ rows: Array<{ phone_number_id: string }> }>(
        `SELECT DISTINCT b.phone_number_id FROM broadcasts b
          WHERE b.completed_at IS NULL AND b.status = 'SENDING'
            AND EXISTS (SELECT 1 FROM broadcast_recipients r WHERE r.broadcast_id = b.id AND r.state = 'pending')`,
      );
      return rows.map((r) => r.phone_number_id);
    },

    async release(phoneNumberId, bound, maxBatch): Promise<RelayItem[]> {
      return db.transaction(async (trx) => {
        // One releaser per number at a time, across every dispatcher: the count below stays true.
        await trx.raw("SELECT pg_advisory_xact_lock(hashtext('flowgate.broadcast-release'), hashtext(?))", [
          phoneNumberId,
        ]);
        const { rows: inPipe } = await trx.raw<{ rows: Array<{ n: number }> }>(
          `SELECT count(*)::int AS n FROM messages
            WHERE phone_number_id = ? AND broadcast_id IS NOT NULL AND status IN ('ACCEPTED','QUEUED')`,
          [phoneNumberId],
        );
        let room = Math.min(maxBatch, bound - (inPipe[0]?.n ?? 0));
        if (room <= 0) return [];
        const sending = await trx('broadcasts')
          .select<
            Array<{
              id: string;
              workspace_id: string;
              api_key_id: string | null;
              template_name: string;
              request_id: string | null;
            }>
          >('id', 'workspace_id', 'api_key_id', 'template_name', 'request_id')
          .where({ phone_number_id: phoneNumberId, status: 'SENDING' })
          .whereNull('completed_at')
          .orderBy('created_at')
          .limit(20);
        const released: RelayItem[] = [];
        for (const b of sending) {
          if (room <= 0) break;
          const { rows } = await trx.raw<{ rows: Array<{ id: string; created_at: Date }> }>(
            `WITH r AS (
               SELECT idx FROM broadcast_recipients
                WHERE broadcast_id = ? AND state = 'pending' ORDER BY idx LIMIT ? FOR UPDATE SKIP LOCKED
             ), u AS (
               UPDATE broadcast_recipients br SET state = 'released' FROM r
                WHERE br.broadcast_id = ? AND br.idx = r.idx
                RETURNING br.message_id, br.recipient, br.contact_id, br.payload
             ), m AS (
               INSERT INTO messages (id, workspace_id, api_key_id, phone_number_id, contact_id, recipient, type,
                                     template_name, payload, status, request_id, broadcast_id)
               SELECT u.message_id, ?, ?, ?, (SELECT c.id FROM contacts c WHERE c.id = u.contact_id), u.recipient,
                      'template', ?, u.payload, 'ACCEPTED', ?, ? FROM u
               RETURNING id, created_at
             ), e AS (
               INSERT INTO message_events (message_id, status) SELECT id, 'ACCEPTED' FROM m
             )
             SELECT id, created_at FROM m`,
            [
              b.id,
              room,
              b.id,
              b.workspace_id,
              b.api_key_id,
              phoneNumberId,
              b.template_name,
              b.request_id,
              b.id,
            ],
          );
          for (const r of rows)
            released.push({
              id: r.id,
              workspaceId: b.workspace_id,
              phoneNumberId,
              createdAt: new Date(r.created_at),
              requestId: b.request_id,
            });
          room -= rows.length;
        }
        return released;
      });
    },

    async finishDone() {
      return db.transaction(async (trx) => {
        const { rows } = await trx.raw<{ rows: BroadcastRow[] }>(
          `WITH done AS (
             SELECT b.id FROM broadcasts b
              WHERE b.completed_at IS NULL AND b.status IN ('SENDING','CANCELLED')
                AND NOT EXISTS (SELECT 1 FROM broadcast_recipients r WHERE r.broadcast_id = b.id AND r.state = 'pending')
                AND NOT EXISTS (SELECT 1 FROM messages m
                                 WHERE m.broadcast_id = b.id AND m.status IN ('ACCEPTED','QUEUED','SENDING'))
              FOR UPDATE OF b SKIP LOCKED
           )
           UPDATE broadcasts SET status = CASE WHEN broadcasts.status = 'SENDING' THEN 'COMPLETED' ELSE broadcasts.status END,
                                 completed_at = now()
             FROM done WHERE broadcasts.id = done.id
           RETURNING ${COLUMNS.map((c) => `broadcasts.${c}`).join(', ')}, ${cursorUs('broadcasts.created_at')} AS cursor_us`,
        );
        if (rows.length === 0) return [];
        const finished = await views(trx, rows);
        await outbox.append(
          trx,
          finished.map((v, i) => ({
            workspaceId: rows[i]?.workspace_id ?? '',
            type: 'broadcast.completed' as const,
            data: {
              broadcastId: v.id,
              name: v.name,
              status: v.status,
              templateName: v.templateName,
              total: v.total,
              counts: v.counts,
            },
          })),
        );
        return finished.map((v) => v.id);
      });
    },
  };
}
