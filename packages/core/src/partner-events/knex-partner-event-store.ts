import { randomBytes } from 'node:crypto';
import type { Database } from '@flowgate/db';
import type { NewPartnerEvent, PartnerEventStore } from './partner-event-store';

/** `evt_` + 32 hex characters (128 random bits): the event's id and every delivery's `webhook-id`. */
export const newPartnerEventId = (): string => `evt_${randomBytes(16).toString('hex')}`;

export class KnexPartnerEventStore implements PartnerEventStore {
  async append(executor: Database, events: readonly NewPartnerEvent[]): Promise<string[]> {
    if (events.length === 0) return [];
    const rows = events.map((e) => ({
      id: newPartnerEventId(),
      workspace_id: e.workspaceId,
      type: e.type,
      data: JSON.stringify(e.data),
      occurred_at: e.occurredAt ?? new Date(),
    }));
    await executor('partner_events').insert(rows);
    return rows.map((r) => r.id);
  }
}
