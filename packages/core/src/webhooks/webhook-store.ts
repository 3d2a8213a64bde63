import type { DELIVERY_OUTCOMES } from '@flowgate/contracts';
import type { PageCursor } from '../knex-pagination';

export type EndpointStatus = 'active' | 'disabled';

/** A partner's endpoint (docs/contracts.md §10), secrets still encrypted. */
export interface WebhookEndpoint {
  id: string;
  workspaceId: string;
  url: string;
  events: string[];
  description: string | null;
  status: EndpointStatus;
  disabledReason: string | null;
  secretEncrypted: string;
  previousSecretEncrypted: string | null;
  previousSecretExpiresAt: Date | null;
  failingSince: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewEndpoint {
  id: string;
  workspaceId: string;
  url: string;
  events: string[];
  description: string | null;
  secretEncrypted: string;
}

export interface EndpointChanges {
  url?: string;
  events?: string[];
  description?: string | null;
  /** Re-enable: status active, reason and failing-since cleared. */
  reactivate?: boolean;
}

/** The outcomes the deliveries log shows (docs/contracts.md §10). */
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

export interface DeliveryRecord {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  attempt: number;
  outcome: DeliveryOutcome;
  httpStatus: number | null;
  durationMs: number;
  error: string | null;
  nextAttemptAt: Date | null;
}

export interface DeliveryView extends DeliveryRecord {
  createdAt: Date;
  /** Its position in the log (exact microseconds of createdAt). */
  cursorUs: string;
}

/** An outbox event to deliver. */
export interface StoredEvent {
  id: string;
  workspaceId: string;
  type: string;
  data: Record<string, unknown>;
  occurredAt: Date;
}

/** One (event, endpoint) pair for the delivery queue. */
export interface FanOut {
  eventId: string;
  endpointId: string;
  /** The event itself, carried in the job so the delivery reads nothing back. */
  event?: StoredEvent;
}

export interface WebhookStore {
  insert(endpoint: NewEndpoint): Promise<WebhookEndpoint>;
  /** The workspace's live endpoints (deleted ones are gone), oldest first. */
  list(workspaceId: string): Promise<WebhookEndpoint[]>;
  /** One live endpoint of the workspace; undefined for another workspace's id too. */
  get(workspaceId: string, id: string): Promise<WebhookEndpoint | undefined>;
  /** Any live endpoint by id (the delivery worker). */
  byId(id: string): Promise<WebhookEndpoint | undefined>;
  update(workspaceId: string, id: string, changes: EndpointChanges): Promise<WebhookEndpoint | undefined>;
  /** Marks it deleted (idempotent: a deleted endpoint of the workspace is returned again). */
  remove(workspaceId: string, id: string): Promise<WebhookEndpoint | undefined>;
  rotateSecret(
    workspaceId: string,
    id: string,
    secretEncrypted: string,
    previousValidForMs: number,
  ): Promise<WebhookEndpoint | undefined>;
  /** A success clears failing-since; a failure sets it (once). */
  markSuccess(id: string): Promise<void>;
  /** Sets failing-since if unset; returns since when the endpoint has been failing. */
  markFailure(id: string): Promise<Date>;
  disable(id: string, reason: string): Promise<void>;
  recordAttempt(record: DeliveryRecord): Promise<void>;
  /** Several attempts in one statement (the worker's group commit). */
  recordAttempts(records: readonly DeliveryRecord[]): Promise<void>;
  deliveries(
    workspaceId: string,
    endpointId: string,
    outcome: DeliveryOutcome | undefined,
    limit: number,
    cursor: PageCursor | undefined,
  ): Promise<DeliveryView[] | undefined>;
  delivery(workspaceId: string, endpointId: string, deliveryId: string): Promise<DeliveryView | undefined>;
  event(id: string): Promise<StoredEvent | undefined>;
  /** When the last scheduled retry of this event to this endpoint is due (null: none pending). */
  nextAttemptAt(eventId: string, endpointId: string): Promise<Date | null>;
  /**
   * The relay's step: takes up to `limit` unrelayed outbox events (SKIP LOCKED), gives their
   * (event, endpoint) pairs to `publish`, and marks them relayed only if it resolves.
   */
  relayEvents(limit: number, publish: (pairs: FanOut[]) => Promise<void>): Promise<number>;
}
