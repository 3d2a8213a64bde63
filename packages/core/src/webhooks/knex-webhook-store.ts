import type { Database } from '@flowgate/db';
import { afterCursor, cursorUs } from '../knex-pagination';
import type { DeliveryView, FanOut, WebhookEndpoint, WebhookStore } from './webhook-store';

interface EndpointRow {
  id: string;
  workspace_id: string;
  url: string;
  events: string[];
  description: string | null;
  status: 'active' | 'disabled';
  disabled_reason: string | null;
  secret_encrypted: string;
  previous_secret_encrypted: string | null;
  previous_secret_expires_at: Date | null;
  failing_since: Date | null;
  created_at: Date;
  updated_at: Date;
}

interface DeliveryRow {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  attempt: number;
  outcome: DeliveryView['outcome'];
  http_status: number | null;
  duration_ms: number;
  error: string | null;
  next_attempt_at: Date | null;
  created_at: Date;
  cursor_us: string;
}

const date = (v: Date | string | null): Date | null => (v === null ? null : new Date(v));

const toEndpoint = (r: EndpointRow): WebhookEndpoint => ({
  id: r.id,
  workspaceId: r.workspace_id,
  url: r.url,
  events: r.events,
  description: r.description,
  status: r.status,
  disabledReason: r.disabled_reason,
  secretEncrypted: r.secret_encrypted,
  previousSecretEncrypted: r.previous_secret_encrypted,
  previousSecretExpiresAt: date(r.previous_secret_expires_at),
  failingSince: date(r.failing_since),
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
});

const toDelivery = (r: DeliveryRow): DeliveryView => ({
  id: r.id,
  endpointId: r.endpoint_id,
  eventId: r.event_id,
  eventType: r.event_type,
  attempt: r.attempt,
  outcome: r.outcome,
  httpStatus: r.http_status,
  durationMs: r.duration_ms,
  error: r.error,
  nextAttemptAt: date(r.next_attempt_at),
  createdAt: new Date(r.created_at),
  cursorUs: r.cursor_us,
});

/** Partner webhooks on PostgreSQL. */
export function knexWebhookStore(db: Database): WebhookStore {
  const live = () => db('webhook_endpoints').whereNull('deleted_at');
  const one = async (q: ReturnType<typeof live>): Promise<WebhookEndpoint | undefined> => {
    const row = await q.first<EndpointRow | undefined>();
    return row ? toEndpoint(row) : undefined;
  };
  return {
    async insert(e) {
      const rows = await db('webhook_endpoints')
        .insert({
          id: e.id,
          workspace_id: e.workspaceId,
          url: e.url,
          events: JSON.stringify(e.events),
          description: e.description,
          secret_encrypted: e.secretEncrypted,
        })
        .returning<EndpointRow[]>('*');
      const row = rows[0];
      if (!row) throw new Error('webhook endpoint insert returned nothing');
      return toEndpoint(row);
    },

    async list(workspaceId) {
      const rows = await live()
        .where({ workspace_id: workspaceId })
        .orderBy([{ column: 'created_at' }, { column: 'id' }])
        .select<EndpointRow[]>('*');
      return rows.map(toEndpoint);
    },

    get: (workspaceId, id) => one(live().where({ workspace_id: workspaceId, id })),
    byId: (id) => one(live().where({ id })),

    async update(workspaceId, id, c) {
      const patch: Record<string, unknown> = { updated_at: db.fn.now() };
      if (c.url !== undefined) patch['url'] = c.url;
      if (c.events !== undefined) patch['events'] = JSON.stringify(c.events);
      if (c.description !== undefined) patch['description'] = c.description;
      if (c.reactivate)
        Object.assign(patch, { status: 'active', disabled_reason: null, failing_since: null });
      const rows = await live()
        .where({ workspace_id: workspaceId, id })
        .update(patch)
        .returning<EndpointRow[]>('*');
      return rows[0] ? toEndpoint(rows[0]) : undefined;
    },

    async remove(workspaceId, id) {
      const rows = await db('webhook_endpoints')
        .where({ workspace_id: workspaceId, id })
        .update({ deleted_at: db.raw('COALESCE(deleted_at, now())') })
        .returning<EndpointRow[]>('*');
      return rows[0] ? toEndpoint(rows[0]) : undefined;
    },

    async rotateSecret(workspaceId, id, secretEncrypted, previousValidForMs) {
      const rows = await live()
        .where({ workspace_id: workspaceId, id })
        .update({
          previous_secret_encrypted: db.ref('secret_encrypted'),
          previous_secret_expires_at: new Date(Date.now() + previousValidForMs),
          secret_encrypted: secretEncrypted,
          updated_at: db.fn.now(),
        })
        .returning<EndpointRow[]>('*');
      return rows[0] ? toEndpoint(rows[0]) : undefined;
    },

    async markSuccess(id) {
      await db('webhook_endpoints')
        .where({ id })
        .whereNotNull('failing_since')
        .update({ failing_since: null });
    },

    async markFailure(id) {
      const rows = await db('webhook_endpoints')
        .where({ id })
        .update({ failing_since: db.raw('COALESCE(failing_since, now())') })
        .returning<Array<{ failing_since: Date }>>('failing_since');
      return new Date(rows[0]?.failing_since ?? Date.now());
    },

    async disable(id, reason) {
      await db('webhook_endpoints')
        .where({ id, status: 'active' })
        .update({ status: 'disabled', disabled_reason: reason, updated_at: db.fn.now() });
    },

    async recordAttempt(r) {
      await this.recordAttempts([r]);
    },

    async recordAttempts(records) {
      if (records.length === 0) return;
      await db('webhook_deliveries').insert(
        records.map((r) => ({
          id: r.id,
          endpoint_id: r.endpointId,
          event_id: r.eventId,
          event_type: r.eventType,
          attempt: r.attempt,
          outcome: r.outcome,
          http_status: r.httpStatus,
          duration_ms: r.durationMs,
          error: r.error === null ? null : r.error.slice(0, 1000),
          next_attempt_at: r.nextAttemptAt,
        })),
      );
    },

    async deliveries(workspaceId, endpointId, outcome, limit, cursor) {
      const endpoint = await live()
        .where({ workspace_id: workspaceId, id: endpointId })
        .first<{ id: string } | undefined>('id');
      if (!endpoint) return undefined;
      const q = db('webhook_deliveries').where({ endpoint_id: endpointId });
      if (outcome !== undefined) q.andWhere({ outcome });
      if (cursor) q.andWhereRaw(afterCursor('created_at'), [cursor.us, cursor.id]);
      const rows = await q
        .orderBy([
          { column: 'created_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .limit(limit + 1)
        .select<DeliveryRow[]>('*', db.raw(`${cursorUs('created_at')} AS cursor_us`));
      return rows.map(toDelivery);
    },

    async delivery(workspaceId, endpointId, deliveryId) {
      const row = await db('webhook_deliveries as d')
        .join('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
        .where({ 'd.id': deliveryId, 'd.endpoint_id': endpointId, 'e.workspace_id': workspaceId })
        .whereNull('e.deleted_at')
        .first<DeliveryRow | undefined>('d.*', db.raw(`${cursorUs('d.created_at')} AS cursor_us`));
      return row ? toDelivery(row) : undefined;
    },

    async event(id) {
      const row = await db('partner_events').where({ id }).first<
        | {
            id: string;
            workspace_id: string;
            type: string;
            data: Record<string, unknown>;
            occurred_at: Date;
          }
        | undefined
      >('id', 'workspace_id', 'type', 'data', 'occurred_at');
      return row
        ? {
            id: row.id,
            workspaceId: row.workspace_id,
            type: row.type,
            data: row.data,
            occurredAt: new Date(row.occurred_at),
          }
        : undefined;
    },

    async nextAttemptAt(eventId, endpointId) {
      const row = await db('webhook_deliveries')
        .where({ event_id: eventId, endpoint_id: endpointId })
        .orderBy([
          { column: 'created_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .first<{ next_attempt_at: Date | null } | undefined>('next_attempt_at');
      return row?.next_attempt_at ? new Date(row.next_attempt_at) : null;
    },

    async relayEvents(limit, publish) {
      return db.transaction(async (trx) => {
        const { rows } = await trx.raw<{
          rows: Array<{
            event_id: string;
            endpoint_id: string | null;
            workspace_id: string;
            type: string;
            data: Record<string, unknown>;
            occurred_at: Date;
          }>;
        }>(
          `WITH ev AS (
             SELECT id, workspace_id, type, data, occurred_at FROM partner_events
              WHERE relayed_at IS NULL ORDER BY created_at LIMIT ? FOR UPDATE SKIP LOCKED
           )
           SELECT ev.id AS event_id, e.id AS endpoint_id, ev.workspace_id, ev.type, ev.data, ev.occurred_at
             FROM ev LEFT JOIN webhook_endpoints e
               ON e.workspace_id = ev.workspace_id AND e.deleted_at IS NULL AND e.status = 'active'
              AND (e.events @> jsonb_build_array(ev.type) OR e.events @> '["*"]'::jsonb)`,
          [limit],
        );
        if (rows.length === 0) return 0;
        const pairs: FanOut[] = rows.flatMap((r) =>
          r.endpoint_id === null
            ? []
            : [
                {
                  eventId: r.event_id,
                  endpointId: r.endpoint_id,
                  event: {
                    id: r.event_id,
                    workspaceId: r.workspace_id,
                    type: r.type,
                    data: r.data,
                    occurredAt: new Date(r.occurred_at),
                  },
                },
              ],
        );
        if (pairs.length > 0) await publish(pairs);
        const ids = [...new Set(rows.map((r) => r.event_id))];
        await trx('partner_events').whereIn('id', ids).update({ relayed_at: trx.fn.now() });
        return ids.length;
      });
    },
  };
}
