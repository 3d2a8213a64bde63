import type { Database } from '@flowgate/db';
import { afterCursor, cursorUs } from '../knex-pagination';
import type {
  ConversationMessageView,
  ConversationStore,
  ConversationView,
  LastMessage,
} from './conversation-store';

interface ConversationRow {
  id: string;
  phone_number_id: string;
  last_inbound_at: Date | null;
  last_activity_at: Date;
  last_message: { id?: string; direction: 'inbound'; type: string; preview: string; at: string } | null;
  contact_id: string;
  phone: string;
  name: string | null;
  out_id: string | null;
  out_type: string | null;
  out_at: Date | null;
  out_payload: Record<string, unknown> | null;
  cursor_us: string;
}

/** A short text of an outbound Cloud API body for lists. */
function outboundPreview(type: string, payload: Record<string, unknown> | null): string {
  const key = typeof payload?.['type'] === 'string' ? payload['type'] : type;
  const part = payload?.[key];
  if (typeof part === 'object' && part !== null) {
    const p = part as Record<string, unknown>;
    const body = p['body'];
    if (typeof body === 'string') return body.length > 100 ? `${body.slice(0, 99)}…` : body;
    if (typeof p['caption'] === 'string') return p['caption'];
    if (typeof p['name'] === 'string') return `[template ${p['name']}]`;
  }
  return `[${type}]`;
}

function lastMessageOf(r: ConversationRow): LastMessage | null {
  const inbound: LastMessage | null =
    r.last_message && typeof r.last_message.id === 'string'
      ? {
          id: r.last_message.id,
          direction: 'inbound',
          type: r.last_message.type,
          preview: r.last_message.preview,
          at: new Date(r.last_message.at),
        }
      : null;
  const outbound: LastMessage | null =
    r.out_id !== null && r.out_at !== null
      ? {
          id: r.out_id,
          direction: 'outbound',
          type: r.out_type ?? 'text',
          preview: outboundPreview(r.out_type ?? 'text', r.out_payload),
          at: new Date(r.out_at),
        }
      : null;
  if (!inbound) return outbound;
  if (!outbound) return inbound;
  return outbound.at > inbound.at ? outbound : inbound;
}

/** Conversations on PostgreSQL: inbound messages are theirs, outbound ones are the number's messages to the contact's digits. */
export function knexConversationStore(db: Database): ConversationStore {
  return {
    async list(workspaceId, openOnly, limit, cursor) {
      const { rows } = await db.raw<{ rows: ConversationRow[] }>(
        `SELECT c.id, c.phone_number_id, c.last_inbound_at, c.last_activity_at, c.last_message,
                ${cursorUs('c.last_activity_at')} AS cursor_us,
                ct.id AS contact_id, ct.phone, ct.name,
                o.id AS out_id, o.type AS out_type, o.created_at AS out_at, o.payload AS out_payload
           FROM conversations c
           JOIN contacts ct ON ct.id = c.contact_id
           LEFT JOIN LATERAL (
             SELECT m.id, m.type, m.created_at, m.payload FROM messages m
              WHERE m.phone_number_id = c.phone_number_id AND m.recipient = c.contact_phone
              ORDER BY m.created_at DESC LIMIT 1) o ON true
          WHERE c.workspace_id = ?
            AND (NOT ? OR c.last_inbound_at > now() - interval '24 hours')
            AND (?::bigint IS NULL OR ${afterCursor('c.last_activity_at', 'c.id')})
          ORDER BY c.last_activity_at DESC, c.id DESC
          LIMIT ?`,
        [workspaceId, openOnly, cursor?.us ?? null, cursor?.us ?? null, cursor?.id ?? null, limit + 1],
      );
      return rows.map((r): ConversationView => ({
        id: r.id,
        contact: { id: r.contact_id, phone: r.phone, name: r.name },
        phoneNumberId: r.phone_number_id,
        lastMessage: lastMessageOf(r),
        lastInboundAt: r.last_inbound_at === null ? null : new Date(r.last_inbound_at),
        lastActivityAt: new Date(r.last_activity_at),
        cursorUs: r.cursor_us,
      }));
    },

    async messages(workspaceId, conversationId, limit, cursor) {
      const conv = await db('conversations')
        .select('phone_number_id', 'contact_phone')
        .where({ id: conversationId, workspace_id: workspaceId })
        .first<{ phone_number_id: string; contact_phone: string } | undefined>();
      if (!conv) return undefined;
      const { rows } = await db.raw<{
        rows: Array<{
          id: string;
          direction: 'inbound' | 'outbound';
          type: string;
          content: unknown;
          status: string | null;
          provider_message_id: string | null;
          reply_to: string | null;
          at: Date;
          cursor_us: string;
        }>;
      }>(
        `SELECT x.*, ${cursorUs('x.at')} AS cursor_us FROM (
           SELECT id, 'inbound' AS direction, type, content, NULL::text AS status, wamid AS provider_message_id,
                  reply_to, occurred_at AS at
             FROM inbound_messages WHERE conversation_id = ?
           UNION ALL
           SELECT id, 'outbound', type, payload -> (payload->>'type'), status, provider_message_id, NULL, created_at
             FROM messages WHERE phone_number_id = ? AND recipient = ?
         ) x
         WHERE (?::bigint IS NULL OR ${afterCursor('x.at', 'x.id')})
         ORDER BY x.at DESC, x.id DESC LIMIT ?`,
        [
          conversationId,
          conv.phone_number_id,
          conv.contact_phone,
          cursor?.us ?? null,
          cursor?.us ?? null,
          cursor?.id ?? null,
          limit + 1,
        ],
      );
      return rows.map((r): ConversationMessageView => ({
        id: r.id,
        direction: r.direction,
        type: r.type,
        content: r.content ?? null,
        status: r.status,
        providerMessageId: r.provider_message_id,
        replyTo: r.reply_to,
        createdAt: new Date(r.at),
        cursorUs: r.cursor_us,
      }));
    },
  };
}
