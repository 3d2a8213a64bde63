import type { Database } from '@flowgate/db';
import type { PartnerEventType } from '@flowgate/contracts';

/** An event for partners' webhooks, as stored in the outbox (docs/contracts.md §10). */
export interface PartnerEvent {
  id: string;
  workspaceId: string;
  type: PartnerEventType;
  data: Record<string, unknown>;
  occurredAt: Date;
  createdAt: Date;
}

export interface NewPartnerEvent {
  workspaceId: string;
  type: PartnerEventType;
  data: Record<string, unknown>;
  /** When it happened (Meta's time for Meta's events); the delivery body's `timestamp`. Default: now. */
  occurredAt?: Date;
}

export interface PartnerEventStore {
  /**
   * Appends events to the outbox through `executor`: pass the transaction that makes the change
   * they describe, so the change and its events commit together or not at all. Returns their ids.
   */
  append(executor: Database, events: readonly NewPartnerEvent[]): Promise<string[]>;
}
