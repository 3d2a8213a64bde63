import type { Knex } from 'knex';
import { ConflictError, NotFoundError, ValidationError } from '@flowgate/errors';
import { pgCode, PG_UNIQUE_VIOLATION } from '@flowgate/db';
import {
  deriveTemplateVariables,
  validateTemplateDefinition,
  type StoredTemplate,
} from '@flowgate/whatsapp-cloud';
import { newId } from '../ids';
import { WorkspaceCache } from './workspace-cache';

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

/**
 * The workspace's copies of its WhatsApp templates, with the variables each expects. With
 * `cacheTtlMs`, send-time lookups are served from memory; `invalidate` (called on this process's
 * own changes and on every change notice from the database, ADR 0011) drops a workspace's
 * entries, and the TTL bounds staleness should a notice be missed.
 */
export function templateService(db: Knex, options: { cacheTtlMs?: number } = {}) {
  const cache = new WorkspaceCache<StoredTemplate[]>(options.cacheTtlMs ?? 0);
  return {
    /** Forgets what is cached for one workspace, or for all. */
    invalidate(workspaceId?: string): void {
      cache.invalidate(workspaceId);
    },

    /** Stores a template as Meta's template API returns it; the expected variables are derived once here. */
    async add(workspaceId: string, definition: unknown): Promise<{ templateId: string }> {
      const parsed = validateTemplateDefinition(definition);
      if (!parsed.ok)
        throw new ValidationError('VALIDATION_FAILED', 'The template definition is invalid.', parsed.errors);
      const t = parsed.value;
      if (!(await db('workspaces').where({ id: workspaceId }).first()))
        throw new NotFoundError('NOT_FOUND', 'Workspace not found.');
      const id = newId();
      try {
        await db('templates').insert({
          id,
          workspace_id: workspaceId,
          name: t.name,
          language: t.language,
          category: t.category,
          status: t.status,
          components: JSON.stringify(t.components),
          variables: JSON.stringify(deriveTemplateVariables(t.components)),
        });
      } catch (err) {
        if (pgCode(err) === PG_UNIQUE_VIOLATION)
          throw new ConflictError(
            'CONFLICT',
            `Template ${t.name} (${t.language}) already exists in this workspace.`,
          );
        throw err;
      } finally {
        cache.invalidate(workspaceId);
      }
      return { templateId: id };
    },

    async listApproved(workspaceId: string): Promise<StoredTemplate[]> {
      const rows = await db<TemplateRow>('templates')
        .where({ workspace_id: workspaceId, status: 'APPROVED' })
        .orderBy(['name', 'language']);
      return rows.map(toDomain);
    },

    /** Every stored language of one template name (any status), for send-time matching. */
    async candidates(workspaceId: string, name: string): Promise<StoredTemplate[]> {
      return cache.get(workspaceId, name, async () => {
        const rows = await db<TemplateRow>('templates').where({ workspace_id: workspaceId, name });
        return rows.map(toDomain);
      });
    },
  };
}

export type TemplateService = ReturnType<typeof templateService>;
