import { ConflictError, NotFoundError, ValidationError } from '@flowgate/errors';
import {
  deriveTemplateVariables,
  validateTemplateDefinition,
  type StoredTemplate,
} from '@flowgate/whatsapp-cloud';
import { newId } from '../ids';
import type { WorkspaceStore } from '../workspaces/workspace-store';
import type { TemplateStore } from './template-store';
import { WorkspaceCache } from './workspace-cache';

/**
 * The workspace's copies of its WhatsApp templates, with the variables each expects. With
 * `cacheTtlMs`, send-time lookups are served from memory; `invalidate` (called on this process's
 * own changes and on every change notice from the database, ADR 0011) drops a workspace's
 * entries, and the TTL bounds staleness should a notice be missed.
 */
export function templateService(
  stores: { templates: TemplateStore; workspaces: WorkspaceStore },
  options: { cacheTtlMs?: number } = {},
) {
  const store = stores.templates;
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
      if (!(await stores.workspaces.exists(workspaceId)))
        throw new NotFoundError('NOT_FOUND', 'Workspace not found.');
      const id = newId();
      try {
        const outcome = await store.insert({
          id,
          workspaceId,
          name: t.name,
          language: t.language,
          category: t.category,
          status: t.status,
          components: t.components,
          variables: deriveTemplateVariables(t.components),
        });
        if (outcome === 'duplicate')
          throw new ConflictError(
            'CONFLICT',
            `Template ${t.name} (${t.language}) already exists in this workspace.`,
          );
      } finally {
        cache.invalidate(workspaceId);
      }
      return { templateId: id };
    },

    /** `GET /templates?status=` (docs/contracts.md §2.3): approved only unless asked. */
    list(workspaceId: string, status: string): Promise<StoredTemplate[]> {
      return status === 'APPROVED'
        ? store.listApproved(workspaceId)
        : store.listByStatus(workspaceId, status);
    },

    get(workspaceId: string, id: string): Promise<StoredTemplate | undefined> {
      return store.get(workspaceId, id);
    },

    listApproved(workspaceId: string): Promise<StoredTemplate[]> {
      return store.listApproved(workspaceId);
    },

    /** Every stored language of one template name (any status), for send-time matching. */
    candidates(workspaceId: string, name: string): Promise<StoredTemplate[]> {
      return cache.get(workspaceId, name, () => store.byName(workspaceId, name));
    },
  };
}

export type TemplateService = ReturnType<typeof templateService>;
