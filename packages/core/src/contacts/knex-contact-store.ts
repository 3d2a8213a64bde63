import type { Database } from '@flowgate/db';
import type { ContactStore, ContactView } from './contact-store';

interface ContactRow {
  id: string;
  phone: string;
  name: string | null;
  email: string | null;
  tags: string[];
  attributes: Record<string, string | number | boolean>;
  opted_out: boolean;
  opted_out_at: Date | null;
  last_inbound_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = [
  'id',
  'phone',
  'name',
  'email',
  'tags',
  'attributes',
  'opted_out',
  'opted_out_at',
  'last_inbound_at',
  'created_at',
  'updated_at',
] as const;

const date = (v: Date | string | null): Date | null => (v === null ? null : new Date(v));

const toView = (r: ContactRow): ContactView => ({
  id: r.id,
  phone: r.phone,
  name: r.name,
  email: r.email,
  tags: Array.isArray(r.tags) ? r.tags : [],
  attributes: typeof r.attributes === 'object' && r.attributes !== null ? r.attributes : {},
  optedOut: r.opted_out,
  optedOutAt: date(r.opted_out_at),
  lastInboundAt: date(r.last_inbound_at),
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
});

/** LIKE's own characters in a search term match themselves. */
const likeEscape = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Contacts on PostgreSQL. */
export function knexContactStore(db: Database): ContactStore {
  return {
    async findRecipient(workspaceId, contactId) {
      const row = await db('contacts')
        .select('id', 'phone', 'opted_out')
        .where({ id: contactId, workspace_id: workspaceId })
        .first<{ id: string; phone: string; opted_out: boolean } | undefined>();
      return row ? { id: row.id, phone: row.phone, optedOut: row.opted_out } : undefined;
    },

    async recipientState(workspaceId, phoneNumberId, digits) {
      const { rows } = await db.raw<{
        rows: Array<{ opted_out: boolean | null; last_inbound_at: Date | null }>;
      }>(
        `SELECT (SELECT bool_or(opted_out) FROM contacts WHERE workspace_id = ? AND phone_digits = ?) AS opted_out,
                (SELECT last_inbound_at FROM conversations WHERE phone_number_id = ? AND contact_phone = ?) AS last_inbound_at`,
        [workspaceId, digits, phoneNumberId, digits],
      );
      const row = rows[0];
      return { optedOut: row?.opted_out === true, lastInboundAt: date(row?.last_inbound_at ?? null) };
    },

    async list(workspaceId, filter, limit, cursor) {
      const q = db('contacts')
        .select<ContactRow[]>(...COLUMNS)
        .where({ workspace_id: workspaceId });
      if (filter.search !== undefined && filter.search !== '') {
        const term = `%${likeEscape(filter.search)}%`;
        q.andWhere((w) => {
          void w
            .whereRaw("name ILIKE ? ESCAPE '\\'", [term])
            .orWhereRaw("phone ILIKE ? ESCAPE '\\'", [term])
            .orWhereRaw("email ILIKE ? ESCAPE '\\'", [term]);
        });
      }
      if (filter.tag !== undefined) q.andWhereRaw('tags @> ?::jsonb', [JSON.stringify([filter.tag])]);
      if (filter.optedOut !== undefined) q.andWhere({ opted_out: filter.optedOut });
      if (cursor) q.andWhereRaw('(created_at, id) < (?, ?)', [cursor.at, cursor.id]);
      const rows = await q
        .orderBy([
          { column: 'created_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .limit(limit + 1);
      return rows.map(toView);
    },

    async get(workspaceId, id) {
      const row = await db('contacts')
        .select(...COLUMNS)
        .where({ workspace_id: workspaceId, id })
        .first<ContactRow | undefined>();
      return row ? toView(row) : undefined;
    },
  };
}
