import type { MessageStatus } from '@flowgate/contracts';

/** What the API stores for an accepted send. */
export interface NewMessage {
  id: string;
  workspaceId: string;
  apiKeyId: string | null;
  phoneNumberId: string;
  contactId: string | null;
  recipient: string;
  type: string;
  templateName: string | null;
  payload: Record<string, unknown>;
  idempotencyKey: string | null;
  requestHash: string | null;
  requestId: string | null;
  /** Refused at insert when the digits belong to an opted-out contact (sends by `phone`). */
  checkOptOut: boolean;
  /**
   * Refused at insert unless the recipient wrote to this number in the last 24 h (free-form sends
   * from numbers whose Meta webhook is connected, docs/contracts.md §9).
   */
  requireOpenWindow: boolean;
}

/** What the insert did with one row; a row missing from the answer lost its Idempotency-Key race. */
export type AcceptOutcome = 'inserted' | 'opted_out' | 'window_closed';

export interface MessageView {
  id: string;
  status: MessageStatus;
  type: string;
  recipient: string;
  phoneNumberId: string;
  templateName: string | null;
  providerMessageId: string | null;
  error: { code: number | null; title: string | null; details: string | null } | null;
  attempts: number;
  pricing: { category: string | null; type: string | null; billable: boolean | null } | null;
  createdAt: Date;
  updatedAt: Date;
  /** Oldest first; a status from Meta is at Meta's time. */
  history: Array<{ status: string; at: Date; detail: string | null }>;
}

/** A message to publish again, with what its envelope carries. */
export interface RelayItem {
  id: string;
  workspaceId: string;
  phoneNumberId: string;
  createdAt: Date;
  requestId: string | null;
}

/** What the dispatcher needs to know about a message before it claims it. */
export interface PeekedMessage {
  status: string;
  recipient: string;
  /** How long the current SENDING claim has been held; null when nobody holds it. */
  heldMs: number | null;
}

export interface ClaimedMessage {
  id: string;
  /** The Cloud API body as stored at accept time, as JSON text (sent as is: no parse, no re-serialise). */
  payload: string;
  recipient: string;
  /** Provider attempts including this one. */
  attempts: number;
  /** True when this claim took over a stale SENDING claim (a dispatcher died mid-call). */
  tookOver: boolean;
}

export interface SentRecord {
  id: string;
  wamid: string;
  /** The SENT event's text: the wamid, Meta's message_status, anything worth keeping. */
  detail: string;
}

export interface ProviderFailure {
  code: number | null;
  title: string;
  details: string | null;
}

export interface FailedRecord {
  id: string;
  error: ProviderFailure;
  /** The FAILED event's text. */
  detail: string;
}

export interface ReleaseRecord {
  id: string;
  /** The RETRY_SCHEDULED event's text. */
  reason: string;
}

/**
 * The accept side of the messages store: the public API's writes and reads, and the outbox relay
 * (ADR 0002, ADR 0011, ADR 0012). Status only moves forward (`message-status.ts`).
 */
export interface MessageAcceptStore {
  /**
   * Inserts messages (ACCEPTED) and their first events in one statement, checking the recipient's
   * opt-out and 24 h window in the same statement (no round trip of its own). A row whose
   * Idempotency-Key the workspace already used is not inserted (and not in the answer).
   */
  insertAcceptedBatch(batch: readonly NewMessage[]): Promise<Map<string, AcceptOutcome>>;
  /** The message an earlier send with this Idempotency-Key created in the workspace, if any. */
  findByIdempotencyKey(
    workspaceId: string,
    key: string,
  ): Promise<{ id: string; requestHash: string | null } | undefined>;
  /** ACCEPTED → QUEUED for a batch, after the broker confirmed them. */
  markQueued(ids: readonly string[]): Promise<number>;
  /** Outbox relay: old ACCEPTED and stuck SENDING messages not relayed recently (SKIP LOCKED). */
  claimForRelay(olderThanMs: number, stuckAfterMs: number, limit: number): Promise<RelayItem[]>;
  /** Every unfinished message, oldest first, one page after `cursor`. */
  unfinishedPage(
    cursor: string | undefined,
    limit: number,
  ): Promise<{ items: RelayItem[]; cursor: string | undefined }>;
  /** Frees Idempotency-Keys older than `retentionMs`, at most `limit`; returns how many. */
  purgeIdempotencyKeys(retentionMs: number, limit: number): Promise<number>;
  /** One message of the workspace with its history, or undefined (another workspace's id too). */
  view(workspaceId: string, id: string): Promise<MessageView | undefined>;
}

/**
 * The delivery side of the messages store: the dispatcher's claims and outcomes. The
 * per-message ones take a batch: one statement, one round trip, one commit (ADR 0014).
 */
export interface MessageDeliveryStore {
  /** The outbox backlog (/metrics): messages stored but not yet on the broker, and the oldest's age. */
  outboxBacklog(): Promise<{ depth: number; oldestAgeSeconds: number }>;
  /** Status, recipient and claim age of each id (undefined: no such message). */
  peek(ids: readonly string[]): Promise<Array<PeekedMessage | undefined>>;
  /** 0 when a claim held `heldMs` is stale (it may be taken over), else how long until it is. */
  staleInMs(heldMs: number): number;
  /** Claims messages for a provider call (ADR 0006); undefined where not claimed. */
  claim(
    ids: readonly string[],
    blockedPairs?: ReadonlyArray<{ phoneNumberId: string; recipient: string }>,
  ): Promise<Array<ClaimedMessage | undefined>>;
  /** SENDING → SENT; false where something else finished the row first. */
  markSent(records: readonly SentRecord[]): Promise<boolean[]>;
  /** SENDING → FAILED with Meta's code and text (or ours, with a null code). */
  markFailed(records: readonly FailedRecord[]): Promise<void[]>;
  /** Hands claimed messages back for a later attempt (status stays SENDING; history says why). */
  release(records: readonly ReleaseRecord[]): Promise<void[]>;
  /** Adds a line to a message's history without changing the message. */
  note(id: string, status: string, detail: string): Promise<void>;
  /** Any status before SENT becomes FAILED unless a live claim holds it (ADR 0013). */
  abandon(id: string, title: string, details: string): Promise<boolean>;
}

/** The messages aggregate's store: one interface, two sides. */
export interface MessageStore extends MessageAcceptStore, MessageDeliveryStore {}
