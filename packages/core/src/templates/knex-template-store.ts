import { createdOrDuplicate, type Database } from '@flowgate/db';
import type { StoredTemplate } from '@flowgate/whatsapp-cloud';
import type { TemplateStore } from './template-store';

type TemplateRow = StoredTemplate & { workspace_id: string };

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
  };
}
