/**
 * The broker contract shared by the RabbitMQ adapter and the in-process adapter. Callers (the
 * public-api outbox relay, the dispatcher) code against `Broker` only, so embedded mode and the
 * RabbitMQ deployment run the same code with the same semantics.
 */

/** The structured logger the adapters write to. Never given message bodies or secrets. */
export interface BrokerLogger {
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
  debug(msg: string, meta?: Record<string, unknown>): void;
}

export type HeaderValue = string | number;

/** A message to put on the work queue. */
export interface OutgoingMessage {
  body: Buffer;
  /** Our message id; carried as the AMQP `messageId` property. */
  messageId: string;
  /** The request id that produced the message (AMQP `correlationId`). */
  correlationId?: string;
  /** e.g. `application/json`. */
  contentType?: string;
  /** Application headers. Names the broker reserves (`x-attempt`, `x-death`, …) are refused. */
  headers?: Readonly<Record<string, HeaderValue>>;
}

/** One delivery handed to a consumer's handler. */
export interface Delivery {
  body: Buffer;
  messageId: string | undefined;
  correlationId: string | undefined;
  contentType: string | undefined;
  /** 1 on the first delivery, incremented by every `retryInMs` (or thrown) outcome; `deferInMs` keeps it. */
  attempt: number;
  /**
   * True when the broker delivers this copy again because an earlier consumer never settled it
   * (its connection died mid-handler). The handler may already have run for it.
   */
  redelivered: boolean;
  /** The application headers given at publish time (broker-internal headers removed). */
  headers: Readonly<Record<string, HeaderValue>>;
}

/**
 * What a handler decides for a delivery:
 * - `'ack'`: done, remove it;
 * - `{ retryInMs }`: deliver it again after at least that long (rounded up to a delay tier), with
 *   `attempt + 1`;
 * - `{ deferInMs }`: a trip through a delay tier that is not an attempt: `attempt` stays as it is
 *   and the attempt bound never parks it (pacing, a paused sender, work handed back). It comes
 *   back after about that long: the largest tier not above it (or the smallest tier);
 * - `'park'`: move it to the parking queue for a person to inspect.
 */
export type HandlerOutcome = 'ack' | 'park' | { retryInMs: number } | { deferInMs: number };

export type DeliveryHandler = (delivery: Delivery) => Promise<HandlerOutcome>;

export interface ConsumeOptions {
  /** Most deliveries this consumer holds unsettled at once (= handlers in flight). 1..65535. */
  prefetch: number;
}

export interface ConsumerHandle {
  /** Stops taking deliveries and resolves once every in-flight handler has been settled. */
  stop(): Promise<void>;
}

export interface BrokerStats {
  /** Consumers attached to the work queue, across every process (the broker's count). */
  consumers: number;
  /** Messages waiting on the work queue (not counting those held by consumers). */
  ready: number;
  /** Messages on the parking queue. */
  parked: number;
  /** Messages waiting out a retry delay. */
  retrying: number;
}

export type PublishResult = { messageId: string; ok: true } | { messageId: string; ok: false; error: Error };

export interface Broker {
  /**
   * Resolves once the broker has taken responsibility for the message (publisher confirm).
   * Rejects with a `BrokerError` when it did not: not connected, nacked, unroutable, or no
   * confirm within the publish timeout. A rejected message may still have been stored (a late
   * confirm), so callers republish and consumers must tolerate duplicates.
   */
  publish(msg: OutgoingMessage): Promise<void>;
  /** Publishes every message concurrently; never rejects, reports each outcome in order. */
  publishBatch(msgs: readonly OutgoingMessage[]): Promise<PublishResult[]>;
  /** Starts a consumer on the work queue with manual settlement. */
  consume(handler: DeliveryHandler, opts: ConsumeOptions): Promise<ConsumerHandle>;
  /** Queue depths (for tests, readiness detail and operators). */
  stats(): Promise<BrokerStats>;
  /** Live consumers of the work queue (`stats().consumers` at the cost of one queue check). */
  consumerCount(): Promise<number>;
  /** True while publishes can be confirmed (connected, not closing). */
  isHealthy(): boolean;
  /** Stops all consumers (waiting for in-flight handlers), settles publishes, disconnects. */
  close(): Promise<void>;
}
