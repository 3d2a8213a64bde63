import type { PageCursor } from '../knex-pagination';

/** The last message of a conversation, either way. */
export interface LastMessage {
  id: string;
  direction: 'inbound' | 'outbound';
  type: string;
  preview: string;
  at: Date;
}

/** A conversation: one workspace's sending number and one contact (docs/contracts.md §9, §11). */
export interface ConversationView {
  id: string;
  contact: { id: string; phone: string; name: string | null };
  phoneNumberId: string;
  lastMessage: LastMessage | null;
  lastInboundAt: Date | null;
  /** For the keyset cursor: what the list is ordered by. */
  lastActivityAt: Date;
  cursorUs: string;
}

export interface ConversationMessageView {
  id: string;
  direction: 'inbound' | 'outbound';
  type: string;
  content: unknown;
  status: string | null;
  providerMessageId: string | null;
  replyTo: string | null;
  createdAt: Date;
  cursorUs: string;
}

export interface ConversationStore {
  /** One page ordered by last activity (newest first); `openOnly`: the 24 h window is open. */
  list(
    workspaceId: string,
    openOnly: boolean,
    limit: number,
    cursor: PageCursor | undefined,
  ): Promise<ConversationView[]>;
  /** Both directions, newest first; undefined when the conversation is not the workspace's. */
  messages(
    workspaceId: string,
    conversationId: string,
    limit: number,
    cursor: PageCursor | undefined,
  ): Promise<ConversationMessageView[] | undefined>;
}
