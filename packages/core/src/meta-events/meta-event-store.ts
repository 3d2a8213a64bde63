import type { MessageStatus } from '@flowgate/contracts';
import type { NewPartnerEvent } from '../partner-events/partner-event-store';

/** A status from Meta, read from `value.statuses[]` (docs/contracts.md §9). */
export interface StatusRecord {
  /** Our message id from `biz_opaque_callback_data`, when it is one. */
  messageId: string | null;
  wamid: string;
  status: 'SENT' | 'DELIVERED' | 'READ' | 'FAILED';
  occurredAt: Date;
  error: { code: number; title: string; details: string | null } | null;
  pricing: { category: string | null; type: string | null; billable: boolean | null } | null;
  /** The status object as Meta sent it (kept while it waits for our SENT write). */
  raw: Record<string, unknown>;
}

export type StatusOutcome = 'applied' | 'duplicate' | 'pending' | 'foreign';

/** A number Meta's `phone_number_id` names: ours, in a workspace. */
export interface ConnectedNumber {
  id: string;
  workspaceId: string;
}

export interface InboundRecord {
  workspaceId: string;
  phoneNumberId: string;
  from: string;
  name: string | null;
  wamid: string;
  type: string;
  /** The object under the message's type (text → {body}, image → {id, mime_type, caption}, …). */
  content: Record<string, unknown>;
  replyTo: string | null;
  occurredAt: Date;
  /** A short text for conversation lists. */
  preview: string;
  /** 'out' for STOP & co., 'in' for START/UNSTOP, null otherwise. */
  optChange: 'out' | 'in' | null;
}

export interface InboundOutcome {
  stored: boolean;
  optedOut: boolean;
}

export interface TemplateReviewRecord {
  wabaId: string;
  name: string;
  language: string;
  status: string;
  reason: string | null;
  providerTemplateId: string | null;
  occurredAt: Date;
}

export interface PaymentRecord {
  workspaceId: string;
  referenceId: string;
  status: string;
  amount: { value: number; offset: number } | null;
  currency: string | null;
  transactionId: string | null;
  recipient: string | null;
  occurredAt: Date;
}

/** What one stored webhook's processing may do, inside its one transaction. */
export interface MetaEventTx {
  numbersFor(providerPhoneNumberId: string): Promise<ConnectedNumber[]>;
  /** Marks the numbers connected (the first signed webhook turns the 24 h rule on for them). */
  markConnected(providerPhoneNumberId: string, numbers: readonly ConnectedNumber[]): Promise<void>;
  applyStatus(numbers: readonly ConnectedNumber[], status: StatusRecord): Promise<StatusOutcome>;
  recordInbound(inbound: InboundRecord): Promise<InboundOutcome>;
  /** Returns how many stored templates changed status. */
  applyTemplateReview(review: TemplateReviewRecord): Promise<number>;
  /** Returns whether this payment status was new. */
  recordPayment(payment: PaymentRecord): Promise<boolean>;
}

export interface ProcessOutcome {
  outcome: 'processed' | 'skipped' | 'failed';
  detail: string | null;
}

export interface MetaEventStore {
  /** Stores a signed body; returns its id (the broker carries it to a worker). */
  storeWebhook(body: Buffer, requestId: string | null): Promise<string>;
  /**
   * Runs `work` in one transaction that also marks the webhook processed; a webhook processed
   * already (a redelivery, a second worker) is not run again: undefined.
   */
  processWebhook(
    id: string,
    work: (tx: MetaEventTx, body: Buffer) => Promise<ProcessOutcome>,
  ): Promise<ProcessOutcome | undefined>;
  /**
   * Runs `work` for each of the webhooks not processed yet, in one transaction that also marks
   * them processed (in id order, so two batches never wait for each other's rows in opposite
   * orders). One outcome per id, in order; undefined where processed already. If `work` throws
   * for any of them, none is marked: the caller runs them one by one instead.
   */
  processWebhooks(
    ids: readonly string[],
    work: (id: string, tx: MetaEventTx, body: Buffer) => Promise<ProcessOutcome>,
  ): Promise<Array<ProcessOutcome | undefined>>;
  /** Marks a webhook processed with outcome `failed` (it failed every attempt). */
  markFailed(id: string, detail: string): Promise<void>;
  /** Webhooks stored longer than `olderThanMs` ago and still unprocessed (the broker hop was lost). */
  unprocessedWebhooks(olderThanMs: number, limit: number): Promise<string[]>;
  /**
   * Applies statuses that waited for our SENT write and whose message is now SENT or later; drops
   * those older than `maxAgeMs` (ADR 0038). Returns how many were applied and dropped.
   */
  applyPendingStatuses(
    limit: number,
    maxAgeMs: number,
  ): Promise<{ applied: number; dropped: number; waiting: boolean }>;
}

/** A message status a Meta status may move to. */
export type MetaTarget = Extract<MessageStatus, 'SENT' | 'DELIVERED' | 'READ' | 'FAILED'>;

export type { NewPartnerEvent };
