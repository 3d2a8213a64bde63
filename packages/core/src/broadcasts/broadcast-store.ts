import type { BroadcastCounts, BroadcastStatus } from '@flowgate/contracts';
import type { PageCursor } from '../knex-pagination';
import type { RelayItem } from '../messages/message-store';

/** A broadcast as created (docs/contracts.md §11, ADR 0041). */
export interface NewBroadcast {
  id: string;
  workspaceId: string;
  apiKeyId: string | null;
  phoneNumberId: string;
  templateId: string;
  name: string;
  templateName: string;
  templateLanguage: string;
  status: 'SCHEDULED' | 'SENDING';
  total: number;
  duplicates: number;
  requestId: string | null;
  scheduledAt: Date | null;
}

/** One distinct recipient: its message id, digits, contact and Cloud API body (null: skipped). */
export interface NewBroadcastRecipient {
  idx: number;
  messageId: string;
  recipient: string;
  contactId: string | null;
  payload: Record<string, unknown> | null;
}

export interface BroadcastView {
  id: string;
  name: string;
  templateName: string;
  templateLanguage: string;
  phoneNumberId: string;
  status: BroadcastStatus;
  total: number;
  duplicates: number;
  counts: BroadcastCounts;
  scheduledAt: Date | null;
  createdAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  /** Exact microseconds of createdAt (the list cursor). */
  cursorUs: string;
}

/** A contact as a broadcast recipient. */
export interface RecipientContact {
  id: string;
  phone: string;
  optedOut: boolean;
}

export interface BroadcastStore {
  /** The workspace's contacts among `ids`. */
  contactsByIds(workspaceId: string, ids: readonly string[]): Promise<Map<string, RecipientContact>>;
  /** Every contact of the workspace with at least one of `tags`, oldest first. */
  contactsByTags(workspaceId: string, tags: readonly string[]): Promise<RecipientContact[]>;
  /** Which of `digits` belong to an opted-out contact of the workspace. */
  optedOutDigits(workspaceId: string, digits: readonly string[]): Promise<Set<string>>;
  /** The broadcast and every recipient, in one transaction. */
  insert(broadcast: NewBroadcast, recipients: readonly NewBroadcastRecipient[]): Promise<void>;
  list(
    workspaceId: string,
    filter: { status?: BroadcastStatus | undefined },
    limit: number,
    cursor: PageCursor | undefined,
  ): Promise<BroadcastView[]>;
  get(workspaceId: string, id: string): Promise<BroadcastView | undefined>;
  /**
   * Cancels a SCHEDULED or SENDING broadcast: pending recipients and released messages no
   * dispatcher has claimed are never sent. 'finished' when it had completed or was cancelled.
   */
  cancel(workspaceId: string, id: string): Promise<BroadcastView | 'finished' | undefined>;

  // The releaser (dispatchers).
  /** SCHEDULED broadcasts whose time has come become SENDING; returns how many. */
  startDue(): Promise<number>;
  /** The numbers with a SENDING broadcast that still has pending recipients. */
  numbersWithPending(): Promise<string[]>;
  /**
   * Releases pending recipients of the number's sending broadcasts (oldest first) into messages
   * (ACCEPTED, with `broadcast_id`) while the number's released messages not yet claimed stay
   * under `bound`; one transaction under a per-number lock. Returns what to publish.
   */
  release(phoneNumberId: string, bound: number, maxBatch: number): Promise<RelayItem[]>;
  /**
   * Finishes broadcasts whose recipients all have an outcome: COMPLETED (or stays CANCELLED) with
   * `completedAt`, and `broadcast.completed` into the outbox in the same transaction. Returns ids.
   */
  finishDone(): Promise<string[]>;
}
