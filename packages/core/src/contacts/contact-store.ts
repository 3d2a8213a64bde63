/** A workspace's contact, as the send path needs it. */
export interface ContactRecipient {
  id: string;
  /** As people typed it (+, spaces, dashes, dots, parentheses allowed). */
  phone: string;
  optedOut: boolean;
}

/**
 * The contacts aggregate's store. Today it holds the one lookup the send path needs; the
 * contacts routes (docs/contracts.md §11) add to it.
 */
export interface ContactStore {
  /** The workspace's contact with this id, or undefined (another workspace's id too). */
  findRecipient(workspaceId: string, contactId: string): Promise<ContactRecipient | undefined>;
}
