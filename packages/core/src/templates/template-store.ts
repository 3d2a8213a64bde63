import type { StoredTemplate } from '@flowgate/whatsapp-cloud';

export type NewTemplate = StoredTemplate & { workspaceId: string };

/** What a sync from Meta writes over a stored template (docs/meta-cloud-api.md §7, ADR 0044). */
export interface TemplateChange {
  category: string;
  status: string;
  components: unknown[];
  variables: string[];
  rejectionReason: string | null;
  providerTemplateId: string | null;
}

/** A stored template and the broadcasts still to send it (SCHEDULED or SENDING). */
export interface TemplateInUse {
  id: string;
  name: string;
  language: string;
  status: string;
  broadcastIds: string[];
}

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
  /** Every stored template of the workspace with Meta's reason and id (template sync). */
  listForSync(
    workspaceId: string,
  ): Promise<Array<StoredTemplate & { rejectionReason: string | null; providerTemplateId: string | null }>>;
  /** Overwrites a template with what Meta says; false when it is gone. */
  update(workspaceId: string, id: string, change: TemplateChange): Promise<boolean>;
  /**
   * Sets `status` on these templates, except those a SCHEDULED or SENDING broadcast still uses
   * (one statement: a broadcast created meanwhile is seen). Answers the ids it changed.
   */
  markUnlessInUse(workspaceId: string, ids: readonly string[], status: string): Promise<string[]>;
  /** The SCHEDULED or SENDING broadcasts of each of these templates (templates without any are left out). */
  inUse(workspaceId: string, ids: readonly string[]): Promise<TemplateInUse[]>;
}
