/** A workspace's contact, as the send path needs it. */
export interface ContactRecipient {
  id: string;
  /** As people typed it (+, spaces, dashes, dots, parentheses allowed). */
  phone: string;
  optedOut: boolean;
}

/** A contact as the API shows it (docs/contracts.md §11). */
export interface ContactView {
  id: string;
  phone: string;
  name: string | null;
  email: string | null;
  tags: string[];
  attributes: Record<string, string | number | boolean>;
  optedOut: boolean;
  optedOutAt: Date | null;
  lastInboundAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  /** Its position in lists (exact microseconds of createdAt). */
  cursorUs: string;
}

import type { PageCursor } from '../knex-pagination';

export interface ContactFilter {
  search?: string | undefined;
  tag?: string | undefined;
  optedOut?: boolean | undefined;
}

/** What the send path must know of a recipient before it accepts (docs/contracts.md §9). */
/** The contacts aggregate's store. */
export interface ContactStore {
  /** The workspace's contact with this id, or undefined (another workspace's id too). */
  findRecipient(workspaceId: string, contactId: string): Promise<ContactRecipient | undefined>;
  /** One page, newest first, after `cursor`; `limit + 1` rows are read to know whether more follow. */
  list(
    workspaceId: string,
    filter: ContactFilter,
    limit: number,
    cursor: PageCursor | undefined,
  ): Promise<ContactView[]>;
  get(workspaceId: string, id: string): Promise<ContactView | undefined>;
  /** Inserts a contact; the id of the existing one when the workspace has these digits already. */
  create(contact: NewContact): Promise<{ created: ContactView } | { existingId: string }>;
  /** Applies `change` to the locked row (fields replace; the caller merges attributes). */
  update(
    workspaceId: string,
    id: string,
    change: (current: ContactView) => ContactChanges,
  ): Promise<ContactView | undefined>;
  remove(workspaceId: string, id: string): Promise<boolean>;
}

export interface NewContact {
  id: string;
  workspaceId: string;
  phone: string;
  name: string | null;
  email: string | null;
  tags: string[];
  attributes: Record<string, string | number | boolean>;
}

export interface ContactChanges {
  name?: string | null;
  email?: string | null;
  tags?: string[];
  attributes?: Record<string, string | number | boolean>;
}
