import type { Database } from '@flowgate/db';
import type { ContactStore } from './contact-store';

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
  };
}
