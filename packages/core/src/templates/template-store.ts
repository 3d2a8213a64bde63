import type { StoredTemplate } from '@flowgate/whatsapp-cloud';

export type NewTemplate = StoredTemplate & { workspaceId: string };

/** The workspace's copies of its WhatsApp templates. */
export interface TemplateStore {
  /** 'duplicate' when the workspace has this name and language already. */
  insert(template: NewTemplate): Promise<'created' | 'duplicate'>;
  listApproved(workspaceId: string): Promise<StoredTemplate[]>;
  /** Templates of one status, or every status with 'ALL'. */
  listByStatus(workspaceId: string, status: string): Promise<StoredTemplate[]>;
  /** One template of the workspace, whatever its status. */
  get(workspaceId: string, id: string): Promise<StoredTemplate | undefined>;
  /** Every stored language of one template name (any status). */
  byName(workspaceId: string, name: string): Promise<StoredTemplate[]>;
}
