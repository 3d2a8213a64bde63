import { pgCode, PG_UNIQUE_VIOLATION, type Database } from '@flowgate/db';
import type { StoredTemplate } from '@flowgate/whatsapp-cloud';
import type { TemplateStore } from './template-store';

interface TemplateRow {
  id: string;
  workspace_id: string;
  name: string;
  language: string;
  category: string;
  status: string;
  components: unknown[];
  variables: string[];
}

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
    async insert(t) {
      try {
        await db('templates').insert({
          id: t.id,
          workspace_id: t.workspaceId,
          name: t.name,
          language: t.language,
          category: t.category,
          status: t.status,
          components: JSON.stringify(t.components),
          variables: JSON.stringify(t.variables),
        });
        return 'created';
      } catch (err) {
        if (pgCode(err) === PG_UNIQUE_VIOLATION) return 'duplicate';
        throw err;
      }
    },

    async listApproved(workspaceId) {
      const rows = await db<TemplateRow>('templates')
        .where({ workspace_id: workspaceId, status: 'APPROVED' })
        .orderBy(['name', 'language']);
      return rows.map(toDomain);
    },

    async byName(workspaceId, name) {
      const rows = await db<TemplateRow>('templates').where({ workspace_id: workspaceId, name });
      return rows.map(toDomain);
    },
  };
}
