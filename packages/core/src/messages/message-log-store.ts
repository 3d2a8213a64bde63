import type { PageCursor } from '../knex-pagination';

/** One line of a workspace's message log (the dashboard's Messages page, docs/contracts.md §13). */
export interface MessageLogEntry {
  id: string;
  direction: 'inbound' | 'outbound';
  type: string;
  /** Outbound only. */
  status: string | null;
  /** The recipient (outbound) or the sender (inbound), digits. */
  phone: string;
  templateName: string | null;
  preview: string;
  createdAt: Date;
  cursorUs: string;
}

export interface MessageLogFilter {
  /** Outbound messages in this status only (inbound ones have none). */
  status?: string | undefined;
  direction?: 'inbound' | 'outbound' | undefined;
}

/** A workspace's sends and inbound messages, newest first, one keyset page (`limit + 1` rows). */
export interface MessageLogStore {
  list(
    workspaceId: string,
    filter: MessageLogFilter,
    limit: number,
    cursor: PageCursor | undefined,
  ): Promise<MessageLogEntry[]>;
}
