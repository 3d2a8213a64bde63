import { createdOrDuplicate, type Database } from '@flowgate/db';
import type { StoredTemplate } from '@flowgate/whatsapp-cloud';
import type { TemplateStore } from './template-store';

type TemplateRow = StoredTemplate & {
  workspace_id: string;
  rejection_reason: string | null;
  provider_template_id: string | null;
};

/** Broadcasts that will still send their template. */
const ACTIVE_BROADCAST_STATUSES = ['SCHEDULED', 'SENDING'] as const;

const toDomain = (r: TemplateRow): StoredTemplate => ({
  id: r.id,
  name: r.name,
  language: r.language,
  category: r.category,
  status: r.status,
  components: r.components,
  variables: r.variables,
});

/** Templates on PostgreSQL; a trigger announces every change on the change feed (ADR 0011). */
export function knexTemplateStore(db: Database): TemplateStore {
  return {
    insert(t) {
      return createdOrDuplicate(() =>
        db('templates').insert({
          id: t.id,
          workspace_id: t.workspaceId,
          name: t.name,
          language: t.language,
          category: t.category,
          status: t.status,
          components: JSON.stringify(t.components),
          variables: JSON.stringify(t.variables),
        }),
      );
    },

    async listApproved(workspaceId) {
      const rows = await db<TemplateRow>('templates')
        .where({ workspace_id: workspaceId, status: 'APPROVED' })
        .orderBy(['name', 'language']);
      return rows.map(toDomain);
    },

    async listByStatus(workspaceId, status) {
      const q = db<TemplateRow>('templates').where({ workspace_id: workspaceId });
      if (status !== 'ALL') q.andWhere({ status });
      const rows = await q.orderBy(['name', 'language']);
      return rows.map(toDomain);
    },

    async get(workspaceId, id) {
      const row = await db<TemplateRow>('templates').where({ workspace_id: workspaceId, id }).first();
      return row ? toDomain(row) : undefined;
    },

    async byName(workspaceId, name) {
      const rows = await db<TemplateRow>('templates').where({ workspace_id: workspaceId, name });
      return rows.map(toDomain);
    },

    async listForSync(workspaceId) {
      const rows = await db<TemplateRow>('templates')
        .where({ workspace_id: workspaceId })
        .orderBy(['name', 'language']);
      return rows.map((r) => ({
        ...toDomain(r),
        rejectionReason: r.rejection_reason,
        providerTemplateId: r.provider_template_id,
      }));
    },

    async update(workspaceId, id, c) {
      const n = await db('templates')
        .where({ workspace_id: workspaceId, id })
        .update({
          category: c.category,
          status: c.status,
          components: JSON.stringify(c.components),
          variables: JSON.stringify(c.variables),
          rejection_reason: c.rejectionReason,
          provider_template_id: c.providerTemplateId,
          updated_at: db.fn.now(),
        });
      return n > 0;
    },

    async markUnlessInUse(workspaceId, ids, status) {
      if (ids.length === 0) return [];
      const rows = await db('templates as t')
        .where('t.workspace_id', workspaceId)
        .whereIn('t.id', [...ids])
        .whereNot('t.status', status)
        .whereNotExists(
          db('broadcasts as b')
            .select(db.raw('1'))
            .whereRaw('b.template_id = t.id')
            .whereIn('b.status', [...ACTIVE_BROADCAST_STATUSES]),
        )
        .update({ status, updated_at: db.fn.now() })
        .returning<Array<{ id: string }>>('t.id');
      return rows.map((r) => r.id);
    },

    async inUse(workspaceId, ids) {
      if (ids.length === 0) return [];
      const rows = await db('broadcasts as b')
        .join('templates as t', 't.id', 'b.template_id')
        .where('b.workspace_id', workspaceId)
        .whereIn('b.template_id', [...ids])
        .whereIn('b.status', [...ACTIVE_BROADCAST_STATUSES])
        .orderBy([{ column: 't.name' }, { column: 't.language' }, { column: 'b.created_at' }])
        .select<Array<{ id: string; name: string; language: string; status: string; broadcast_id: string }>>(
          't.id',
          't.name',
          't.language',
          't.status',
          'b.id as broadcast_id',
        );
      const byTemplate = new Map<
        string,
        { id: string; name: string; language: string; status: string; broadcastIds: string[] }
      >();
      for (const r of rows) {
        const entry = byTemplate.get(r.id) ?? {
          id: r.id,
          name: r.name,
          language: r.language,
          status: r.status,
          broadcastIds: [],
        };
        entry.broadcastIds.push(r.broadcast_id);
        byTemplate.set(r.id, entry);
      }
      return [...byTemplate.values()];
    },
  };
}
