/**
 * In-process broker for single-process embedded mode (no AMQP_URL). Same contract and semantics
 * as the RabbitMQ adapter: confirmed publishes (immediately), manual settlement, prefetch bound,
 * retries through the same delay tiers (timers), a parking queue, `stop()` waiting for in-flight
 * handlers. Not durable: what it holds is lost with the process, so the database outbox, not this
 * broker, is what makes a 201 safe in embedded mode.
 */
import { BrokerError, toError } from './errors';
import {
  DEFAULT_MAX_ATTEMPTS,
  InFlight,
  applicationHeaders,
  assertValidMessage,
  assertValidPrefetch,
  normaliseDelayTiers,
  publishAll,
  runHandler,
  type ParkReason,
  type SettlementPolicy,
} from './policy';
import type {
  Broker,
  BrokerLogger,
  BrokerStats,
  ConsumeOptions,
  ConsumerHandle,
  Delivery,
  DeliveryHandler,
  HeaderValue,
  OutgoingMessage,
  PublishResult,
} from './types';

export interface InMemoryBrokerOptions {
  logger: BrokerLogger;
  /** Retry delay tiers in ms; default 1 s, 5 s, 30 s, 2 min, 10 min. */
  delayTiersMs?: readonly number[];
  /** A retry requested on this attempt parks the message instead. Default 20. */
  maxAttempts?: number;
}

interface StoredMessage {
  body: Buffer;
  messageId: string;
  correlationId: string | undefined;
  contentType: string | undefined;
  headers: Readonly<Record<string, HeaderValue>>;
  attempt: number;
}

/** A parked message, as an operator would see it. */
export interface ParkedMessage extends StoredMessage {
  reason: ParkReason;
}

class InMemoryConsumer implements ConsumerHandle {
  active = true;
  readonly inFlight = new InFlight();
  private stopping: Promise<void> | undefined;

  constructor(
    readonly handler: DeliveryHandler,
    readonly prefetch: number,
    private readonly onStopped: (c: InMemoryConsumer) => void,
  ) {}

  hasCapacity(): boolean {
    return this.active && this.inFlight.size < this.prefetch;
  }

  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.active = false;
    this.stopping = this.inFlight.idle().then(() => this.onStopped(this));
    return this.stopping;
  }
}

export class InMemoryBroker implements Broker {
  private readonly logger: BrokerLogger;
  private readonly policy: SettlementPolicy;
  private ready: StoredMessage[] = [];
  private readyHead = 0;
  private readonly parked: ParkedMessage[] = [];
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly consumers: InMemoryConsumer[] = [];
  private nextConsumer = 0;
  private dispatchScheduled = false;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(options: InMemoryBrokerOptions) {
    this.logger = options.logger;
    this.policy = {
      delayTiersMs: normaliseDelayTiers(options.delayTiersMs),
      maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    };
  }

  publish(msg: OutgoingMessage): Promise<void> {
    if (this.closed) return Promise.reject(new BrokerError('BROKER_CLOSED', 'broker is closed'));
    try {
      assertValidMessage(msg);
    } catch (err) {
      return Promise.reject(toError(err));
    }
    // Copy the body: the queued message must not change if the caller reuses its buffer.
    this.enqueue({
      body: Buffer.from(msg.body),
      messageId: msg.messageId,
      correlationId: msg.correlationId,
      contentType: msg.contentType,
      headers: { ...(msg.headers ?? {}) },
      attempt: 1,
    });
    return Promise.resolve();
  }

  publishBatch(msgs: readonly OutgoingMessage[]): Promise<PublishResult[]> {
    return publishAll((m) => this.publish(m), msgs);
  }

  consume(handler: DeliveryHandler, opts: ConsumeOptions): Promise<ConsumerHandle> {
    if (this.closed) return Promise.reject(new BrokerError('BROKER_CLOSED', 'broker is closed'));
    try {
      assertValidPrefetch(opts.prefetch);
    } catch (err) {
      return Promise.reject(toError(err));
    }
    const consumer = new InMemoryConsumer(handler, opts.prefetch, (c) => {
      const i = this.consumers.indexOf(c);
      if (i >= 0) this.consumers.splice(i, 1);
    });
    this.consumers.push(consumer);
    this.scheduleDispatch();
    return Promise.resolve(consumer);
  }

  consumerCount(): Promise<number> {
    return Promise.resolve(this.consumers.filter((c) => c.active).length);
  }

  stats(): Promise<BrokerStats> {
    return Promise.resolve({
      consumers: this.consumers.filter((c) => c.active).length,
      ready: this.ready.length - this.readyHead,
      parked: this.parked.length,
      retrying: this.retryTimers.size,
    });
  }

  /** The parking queue's content (embedded mode has no management UI to look at it). */
  parkedMessages(): readonly ParkedMessage[] {
    return [...this.parked];
  }

  isHealthy(): boolean {
    return !this.closed;
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.closing = (async () => {
      await Promise.all([...this.consumers].map((c) => c.stop()));
      for (const t of this.retryTimers) clearTimeout(t);
      if (this.retryTimers.size > 0) {
        this.logger.warn('in-memory broker closed with messages waiting to be retried; they are dropped', {
          retrying: this.retryTimers.size,
        });
      }
      this.retryTimers.clear();
    })();
    return this.closing;
  }

  private enqueue(m: StoredMessage): void {
    this.ready.push(m);
    this.scheduleDispatch();
  }

  private takeReady(): StoredMessage | undefined {
    const m = this.ready[this.readyHead];
    if (m === undefined) return undefined;
    this.readyHead += 1;
    // Compact now and then so the array does not grow forever.
    if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.readyHead);
      this.readyHead = 0;
    }
    return m;
  }

  /** Deliveries happen on a later tick, like a real broker's, never inside `publish()`. */
  private scheduleDispatch(): void {
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    setImmediate(() => {
      this.dispatchScheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.ready.length > this.readyHead) {
      const consumer = this.pickConsumer();
      if (!consumer) return;
      const m = this.takeReady();
      if (!m) return;
      void consumer.inFlight.track(this.deliver(consumer, m));
    }
  }

  /** Round-robin over consumers with spare prefetch. */
  private pickConsumer(): InMemoryConsumer | undefined {
    const n = this.consumers.length;
    for (let i = 0; i < n; i += 1) {
      const c = this.consumers[(this.nextConsumer + i) % n];
      if (c?.hasCapacity()) {
        this.nextConsumer = (this.nextConsumer + i + 1) % n;
        return c;
      }
    }
    return undefined;
  }

  private async deliver(consumer: InMemoryConsumer, m: StoredMessage): Promise<void> {
    const delivery: Delivery = {
      body: Buffer.from(m.body),
      messageId: m.messageId,
      correlationId: m.correlationId,
      contentType: m.contentType,
      attempt: m.attempt,
      redelivered: false,
      headers: applicationHeaders(m.headers),
    };
    try {
      const settlement = await runHandler(consumer.handler, delivery, this.policy, this.logger);
      switch (settlement.kind) {
        case 'ack':
          return;
        case 'park':
          this.parked.push({ ...m, reason: settlement.reason });
          this.logger.info('message parked', {
            messageId: m.messageId,
            attempt: m.attempt,
            reason: settlement.reason,
          });
          return;
        case 'retry': {
          const next: StoredMessage = { ...m, attempt: settlement.nextAttempt };
          const timer = setTimeout(() => {
            this.retryTimers.delete(timer);
            if (!this.closed) this.enqueue(next);
          }, settlement.delayMs);
          this.retryTimers.add(timer);
          this.logger.debug('message scheduled for retry', {
            messageId: m.messageId,
            attempt: settlement.nextAttempt,
            delayMs: settlement.delayMs,
          });
          return;
        }
      }
    } finally {
      // A slot just freed up.
      this.scheduleDispatch();
    }
  }
}

export function createInMemoryBroker(options: InMemoryBrokerOptions): InMemoryBroker {
  return new InMemoryBroker(options);
}
