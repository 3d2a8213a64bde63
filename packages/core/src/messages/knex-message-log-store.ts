import type { Database } from '@flowgate/db';
import { afterCursor, cursorUs } from '../knex-pagination';
import type { MessageLogEntry, MessageLogStore } from './message-log-store';

interface LogRow {
  id: string;
  direction: 'inbound' | 'outbound';
  type: string;
  status: string | null;
  phone: string;
  template_name: string | null;
  body: unknown;
  at: Date;
  cursor_us: string;
}

/** A short text of a message's content (the Cloud API body part of its type) for the log. */
function previewOf(type: string, templateName: string | null, body: unknown): string {
  if (templateName !== null) return `[template ${templateName}]`;
  if (typeof body === 'object' && body !== null) {
    const b = body as Record<string, unknown>;
    for (const key of ['body', 'text', 'caption']) {
      const v = b[key];
      if (typeof v === 'string') return v.length > 120 ? `${v.slice(0, 119)}…` : v;
    }
  }
  return `[${type}]`;
}

/** The message log on PostgreSQL: `messages` (outbound) and `inbound_messages`, merged by time. */
export function knexMessageLogStore(db: Database): MessageLogStore {
  return {
    async list(workspaceId, filter, limit, cursor) {
      const outbound = filter.direction !== 'inbound';
      // A status filter names outbound statuses: inbound messages have none.
      const inbound = filter.direction !== 'outbound' && filter.status === undefined;
      // Each side is read newest first from its own index, after the cursor, `limit + 1` rows at
      // most; the merge takes the newest of both. No page reads a workspace's whole history.
      const after = cursor ? { us: cursor.us, id: cursor.id } : { us: null, id: null };
      const { rows } = await db.raw<{ rows: LogRow[] }>(
        `SELECT x.*, ${cursorUs('x.at')} AS cursor_us FROM (
           (SELECT id, 'outbound' AS direction, type, status, recipient AS phone, template_name,
                   payload -> (payload->>'type') AS body, created_at AS at
              FROM messages
             WHERE ? AND workspace_id = ? AND (?::text IS NULL OR status = ?)
               AND (?::bigint IS NULL OR ${afterCursor('created_at')})
             ORDER BY created_at DESC, id DESC LIMIT ?)
           UNION ALL
           (SELECT i.id, 'inbound', i.type, NULL, c.contact_phone, NULL, i.content, i.occurred_at
              FROM inbound_messages i JOIN conversations c ON c.id = i.conversation_id
             WHERE ? AND i.workspace_id = ?
               AND (?::bigint IS NULL OR ${afterCursor('i.occurred_at', 'i.id')})
             ORDER BY i.occurred_at DESC, i.id DESC LIMIT ?)
         ) x
         ORDER BY x.at DESC, x.id DESC LIMIT ?`,
        [
          outbound,
          workspaceId,
          filter.status ?? null,
          filter.status ?? null,
          after.us,
          after.us,
          after.id,
          limit + 1,
          inbound,
          workspaceId,
          after.us,
          after.us,
          after.id,
          limit + 1,
          limit + 1,
        ],
      );
      return rows.map((r): MessageLogEntry => ({
        id: r.id,
        direction: r.direction,
        type: r.type,
        status: r.status,
        phone: r.phone,
        templateName: r.template_name,
        preview: previewOf(r.type, r.template_name, r.body),
        createdAt: new Date(r.at),
        cursorUs: r.cursor_us,
      }));
    },
  };
}
