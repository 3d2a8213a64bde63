import type { Database } from '@flowgate/db';
import { afterCursor, cursorUs } from '../knex-pagination';
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
  cursor_us: string;
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
  cursorUs: r.cursor_us,
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

    async list(workspaceId, filter, limit, cursor) {
      const q = db('contacts')
        .select<ContactRow[]>(...COLUMNS, db.raw(`${cursorUs('created_at')} AS cursor_us`))
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
      if (cursor) q.andWhereRaw(afterCursor('created_at'), [cursor.us, cursor.id]);
      const rows = await q
        .orderBy([
          { column: 'created_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .limit(limit + 1);
      return rows.map(toView);
    },

    async create(c) {
      const rows = await db('contacts')
        .insert({
          id: c.id,
          workspace_id: c.workspaceId,
          phone: c.phone,
          name: c.name,
          email: c.email,
          tags: JSON.stringify(c.tags),
          attributes: JSON.stringify(c.attributes),
        })
        .onConflict(db.raw('(workspace_id, phone_digits)'))
        .ignore()
        .returning<Array<{ id: string }>>('id');
      const created = rows[0] ? await this.get(c.workspaceId, rows[0].id) : undefined;
      if (created) return { created };
      const existing = await db('contacts')
        .where({ workspace_id: c.workspaceId })
        .whereRaw("phone_digits = regexp_replace(?, '[^0-9]', '', 'g')", [c.phone])
        .first<{ id: string } | undefined>('id');
      if (!existing) throw new Error('contact conflict without a contact');
      return { existingId: existing.id };
    },

    async update(workspaceId, id, change) {
      return db.transaction(async (trx) => {
        const row = await trx('contacts')
          .select(...COLUMNS, trx.raw(`${cursorUs('created_at')} AS cursor_us`))
          .where({ workspace_id: workspaceId, id })
          .forUpdate()
          .first<ContactRow | undefined>();
        if (!row) return undefined;
        const c = change(toView(row));
        const patch: Record<string, unknown> = { updated_at: trx.fn.now() };
        if (c.name !== undefined) patch['name'] = c.name;
        if (c.email !== undefined) patch['email'] = c.email;
        if (c.tags !== undefined) patch['tags'] = JSON.stringify(c.tags);
        if (c.attributes !== undefined) patch['attributes'] = JSON.stringify(c.attributes);
        await trx('contacts').where({ id }).update(patch);
        const updated = await trx('contacts')
          .select(...COLUMNS, trx.raw(`${cursorUs('created_at')} AS cursor_us`))
          .where({ id })
          .first<ContactRow | undefined>();
        return updated ? toView(updated) : undefined;
      });
    },

    async remove(workspaceId, id) {
      return (await db('contacts').where({ workspace_id: workspaceId, id }).delete()) > 0;
    },

    async get(workspaceId, id) {
      const row = await db('contacts')
        .select(...COLUMNS, db.raw(`${cursorUs('created_at')} AS cursor_us`))
        .where({ workspace_id: workspaceId, id })
        .first<ContactRow | undefined>();
      return row ? toView(row) : undefined;
    },
  };
}
