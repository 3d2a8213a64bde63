import type { MessageStatus } from '@flowgate/contracts';

/**
 * The message state table (docs/contracts.md §2.2 and §5, ADR 0002, ADR 0006). A status only moves forward along
 * these edges; every move is a `message_events` row. The knex store's statements implement
 * exactly these moves (accept → ACCEPTED, broker confirm → QUEUED, claim → SENDING, provider
 * answer → SENT or FAILED, Meta's webhooks → DELIVERED, READ); `message-status.unit.test.ts` holds
 * the table to that.
 */
export const MESSAGE_TRANSITIONS: Readonly<Record<MessageStatus, readonly MessageStatus[]>> = {
  ACCEPTED: ['QUEUED', 'SENDING', 'FAILED'],
  QUEUED: ['SENDING', 'FAILED'],
  // A released claim stays SENDING (history: RETRY_SCHEDULED) and is claimed again.
  SENDING: ['SENDING', 'SENT', 'FAILED'],
  SENT: ['DELIVERED', 'READ', 'FAILED'],
  DELIVERED: ['READ', 'FAILED'],
  READ: [],
  FAILED: [],
};

/** History-only entries: a line in a message's history that is not a status of the message. */
export const HISTORY_ONLY_EVENTS = ['RETRY_SCHEDULED'] as const;
export type HistoryOnlyEvent = (typeof HISTORY_ONLY_EVENTS)[number];

/** Not finished: the outbox relay and an embedded restart publish these again. */
export const UNFINISHED_STATUSES: readonly MessageStatus[] = ['ACCEPTED', 'QUEUED', 'SENDING'];

/** A dispatcher may claim these outright (a SENDING row only once its claim is stale). */
export const CLAIMABLE_STATUSES: readonly MessageStatus[] = ['ACCEPTED', 'QUEUED'];

export function canMove(from: MessageStatus, to: MessageStatus): boolean {
  return MESSAGE_TRANSITIONS[from].includes(to);
}

export function isFinal(status: MessageStatus): boolean {
  return MESSAGE_TRANSITIONS[status].length === 0;
}
