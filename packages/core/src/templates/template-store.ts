import type { StoredTemplate } from '@flowgate/whatsapp-cloud';

export interface NewTemplate {
  id: string;
  workspaceId: string;
  name: string;
  language: string;
  category: string;
  status: string;
  components: unknown[];
  variables: string[];
}

/** The workspace's copies of its WhatsApp templates. */
export interface TemplateStore {
  /** 'duplicate' when the workspace has this name and language already. */
  insert(template: NewTemplate): Promise<'created' | 'duplicate'>;
  listApproved(workspaceId: string): Promise<StoredTemplate[]>;
  /** Every stored language of one template name (any status). */
  byName(workspaceId: string, name: string): Promise<StoredTemplate[]>;
}
