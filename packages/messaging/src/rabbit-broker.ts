/**
 * RabbitMQ adapter (amqplib): the connection and the publisher. Topology and the reasons behind
 * it: rabbit-topology.ts and docs/adr/0004-broker-topology.md; consumers: rabbit-consumer.ts.
 *
 * - durable quorum queues, persistent messages, publisher confirms on a confirm channel with one
 *   callback per publish (publishes overlap; nothing waits for another's confirm), `mandatory` so
 *   an unroutable message is a failure rather than a silent drop;
 * - manual acks with a per-consumer prefetch; a retry or park is published (confirmed) before the
 *   original is acked;
 * - reconnection by amqplib's built-in recovery (exponential backoff with jitter); topology,
 *   publish channel and consumers are re-created in its `setup` hook on every (re)connect;
 * - while disconnected, `publish` rejects at once with BROKER_UNAVAILABLE: the caller's outbox
 *   keeps the message and publishes it again later, so nothing is buffered here.
 */
import { randomUUID } from 'node:crypto';
import { connect } from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel, Message, RecoveringChannelModel } from 'amqplib';
import { BrokerError, toError } from './errors';
import {
  ATTEMPT_HEADER,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_PUBLISH_TIMEOUT_MS,
  InFlight,
  PUBLISH_ID_HEADER,
  assertValidMessage,
  assertValidPrefetch,
  normaliseDelayTiers,
  publishAll,
  type SettlementPolicy,
} from './policy';
import { RabbitConsumer, type ConsumerHost, type PublishProps } from './rabbit-consumer';
import { assertRabbitTopology, rabbitTopology, type RabbitTopology } from './rabbit-topology';
import type {
  Broker,
  BrokerLogger,
  BrokerStats,
  ConsumeOptions,
  ConsumerHandle,
  DeliveryHandler,
  OutgoingMessage,
  PublishResult,
} from './types';

export interface RabbitReconnectOptions {
  /** First reconnect delay. Default 100 ms. */
  initialDelayMs?: number;
  /** Ceiling for the delay, jitter included. Default 30 s. */
  maxDelayMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Random spread, 0..1, so instances do not reconnect in lockstep. Default 0.2. */
  jitter?: number;
  /**
   * Attempts before the first successful connection, after which `createRabbitBroker` rejects
   * (when waiting for it). Once connected, reconnection never gives up. Default 10 (about 80 s).
   */
  initialMaxRetries?: number;
}

export interface RabbitBrokerOptions {
  /** `amqp://user:pass@host:5672/vhost`. Never logged. */
  url: string;
  logger: BrokerLogger;
  /** Name prefix of every exchange and queue. Default `flowgate`. */
  prefix?: string;
  /** A publish not confirmed within this rejects with PUBLISH_TIMEOUT. Default 10 s. */
  publishTimeoutMs?: number;
  /** Retry delay tiers (one TTL queue each). Default 1 s, 5 s, 30 s, 2 min, 10 min. */
  delayTiersMs?: readonly number[];
  /** A retry requested on this attempt parks the message instead. Default 20. */
  maxAttempts?: number;
  /**
   * `x-delivery-limit` of the work queue: a message handed back unsettled more than this many
   * times (its consumer keeps dying on it) is dead-lettered to the parking queue by the broker
   * itself (with 1: parked when its second delivery is not settled either). Default 10.
   */
  deliveryLimit?: number;
  /** AMQP heartbeat, unless the URL sets `heartbeat`. Default 10 s. */
  heartbeatSeconds?: number;
  /** TCP + AMQP handshake timeout per connection attempt. Default 10 s. */
  connectTimeoutMs?: number;
  /** Shown in the RabbitMQ management UI. Default `flowgate-<random>`. */
  connectionName?: string;
  /**
   * When true (default), `createRabbitBroker` resolves once connected and rejects after
   * `reconnect.initialMaxRetries` failures. When false it resolves at once and connects in the
   * background (`isHealthy()` stays false until then).
   */
  waitForConnection?: boolean;
  reconnect?: RabbitReconnectOptions;
}

export {
  deleteRabbitTopologies,
  deleteRabbitTopology,
  rabbitTopology,
  type RabbitTopology,
} from './rabbit-topology';

interface PublisherChannel {
  readonly model: ChannelModel;
  readonly channel: ConfirmChannel;
  closed: boolean;
  /** Publish ids awaiting their confirm. */
  readonly outstanding: Set<string>;
  /** Publish ids the broker returned as unroutable (the return precedes the confirm). */
  readonly returned: Set<string>;
  drain: Promise<void> | undefined;
}

const CLOSE_TIMEOUT_MS = 5_000;

function noop(): void {}

function withHeartbeat(url: string, seconds: number): string {
  const u = new URL(url);
  if (!u.searchParams.has('heartbeat')) u.searchParams.set('heartbeat', String(seconds));
  return u.toString();
}

/** Host and vhost only: the URL carries credentials. */
function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname || '/'}`;
  } catch {
    return '(unparseable AMQP URL)';
  }
}

export class RabbitBroker implements Broker {
  /** Names of the exchanges and queues this broker declares. */
  readonly topology: RabbitTopology;
  private readonly logger: BrokerLogger;
  private readonly policy: SettlementPolicy;
  private readonly host: ConsumerHost;
  private readonly options: RabbitBrokerOptions;
  private readonly publishTimeoutMs: number;
  private readonly deliveryLimit: number;
  private readonly instanceId = randomUUID().slice(0, 8);
  private readonly connectionName: string;
  private publishSeq = 0;
  private conn: RecoveringChannelModel | undefined;
  private model: ChannelModel | undefined;
  private publisher: PublisherChannel | undefined;
  private readonly consumers = new Set<RabbitConsumer>();
  private readonly publishes = new InFlight();
  private closeStarted = false;
  private closing: Promise<void> | undefined;

  constructor(options: RabbitBrokerOptions) {
    this.options = options;
    this.logger = options.logger;
    const delayTiersMs = normaliseDelayTiers(options.delayTiersMs);
    this.topology = rabbitTopology(options.prefix ?? 'flowgate', delayTiersMs);
    this.policy = { delayTiersMs, maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS };
    this.publishTimeoutMs = options.publishTimeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS;
    this.deliveryLimit = options.deliveryLimit ?? 10;
    this.connectionName = options.connectionName ?? `flowgate-${this.instanceId}`;
    if (!Number.isInteger(this.deliveryLimit) || this.deliveryLimit < 1) {
      throw new RangeError('deliveryLimit must be a positive integer');
    }
    if (!(this.publishTimeoutMs > 0)) throw new RangeError('publishTimeoutMs must be positive');
    this.host = {
      logger: this.logger,
      topology: this.topology,
      policy: this.policy,
      publishInternal: (exchange, routingKey, body, props) =>
        this.publishInternal(exchange, routingKey, body, props),
      resetConnection: (model, reason) => this.resetConnection(model, reason),
      removeConsumer: (c) => {
        this.consumers.delete(c);
      },
    };
  }

  /** Starts connecting; resolves per `waitForConnection`. Use `createRabbitBroker`. */
  async start(): Promise<void> {
    if (this.conn) return;
    const o = this.options;
    const r = o.reconnect ?? {};
    const where = describeUrl(o.url);
    const conn = await connect(withHeartbeat(o.url, o.heartbeatSeconds ?? 10), {
      clientProperties: { connection_name: this.connectionName },
      timeout: o.connectTimeoutMs ?? 10_000,
      recovery: {
        initialDelay: r.initialDelayMs ?? 100,
        maxDelay: r.maxDelayMs ?? 30_000,
        factor: r.factor ?? 2,
        jitter: r.jitter ?? 0.2,
        maxRetries: Infinity,
        initialMaxRetries: r.initialMaxRetries ?? 10,
        waitForConnect: false,
        setup: (model: ChannelModel) => this.setup(model),
      },
    });
    this.conn = conn;
    conn.on('error', (err: Error) => this.logger.warn('RabbitMQ connection error', { err }));
    conn.on('handler-error', (err: Error, event: string) =>
      this.logger.error('RabbitMQ event listener threw', { err, event }),
    );
    conn.on('connect', () =>
      this.logger.info('connected to RabbitMQ', { broker: where, name: this.connectionName }),
    );
    conn.on('disconnect', (err: Error) =>
      this.logger.warn('disconnected from RabbitMQ', { broker: where, err }),
    );
    conn.on('connect-failed', (err: Error) => {
      const code: unknown = 'code' in err ? err.code : undefined;
      if (code === 406) {
        this.logger.error('RabbitMQ topology does not match (a queue exists with other arguments)', {
          broker: where,
          err,
        });
      } else {
        this.logger.warn('RabbitMQ connection attempt failed', { broker: where, err });
      }
    });
    conn.on('reconnect-scheduled', (info: { attempt: number; delay: number }) =>
      this.logger.info('reconnecting to RabbitMQ', {
        broker: where,
        attempt: info.attempt,
        delayMs: info.delay,
      }),
    );
    conn.on('reconnect-failed', (err: Error) =>
      this.logger.error('gave up connecting to RabbitMQ', { broker: where, err }),
    );
    conn.on('blocked', (reason: string) =>
      this.logger.warn('RabbitMQ blocked publishing (resource alarm)', { broker: where, reason }),
    );
    conn.on('unblocked', () => this.logger.info('RabbitMQ unblocked publishing', { broker: where }));
    if (o.waitForConnection ?? true) {
      try {
        await conn.waitForConnect();
      } catch (err) {
        this.closeStarted = true;
        await conn.close().catch(noop);
        throw new BrokerError('BROKER_UNAVAILABLE', `could not connect to RabbitMQ at ${where}`, {
          cause: err,
        });
      }
    }
  }

  async publish(msg: OutgoingMessage): Promise<void> {
    if (this.closeStarted) throw new BrokerError('BROKER_CLOSED', 'broker is closed');
    assertValidMessage(msg);
    return this.publishInternal(this.topology.workExchange, this.topology.workRoutingKey, msg.body, {
      messageId: msg.messageId,
      correlationId: msg.correlationId,
      contentType: msg.contentType,
      headers: { ...(msg.headers ?? {}), [ATTEMPT_HEADER]: 1 },
    });
  }

  publishBatch(msgs: readonly OutgoingMessage[]): Promise<PublishResult[]> {
    return publishAll((m) => this.publish(m), msgs);
  }

  /** Confirmed, mandatory, persistent publish. Used by `publish` and by consumers. */
  private publishInternal(
    exchange: string,
    routingKey: string,
    body: Buffer,
    props: PublishProps,
  ): Promise<void> {
    const pub = this.publisher;
    if (!pub || pub.closed) {
      return Promise.reject(new BrokerError('BROKER_UNAVAILABLE', 'not connected to RabbitMQ'));
    }
    this.publishSeq += 1;
    const publishId = `${this.instanceId}.${this.publishSeq}`;
    const p = new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err?: BrokerError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        pub.outstanding.delete(publishId);
        pub.returned.delete(publishId);
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(() => {
        finish(
          new BrokerError('PUBLISH_TIMEOUT', `no confirm from RabbitMQ within ${this.publishTimeoutMs} ms`),
        );
      }, this.publishTimeoutMs);
      const write = (): void => {
        if (settled) return;
        if (pub.closed) {
          finish(new BrokerError('BROKER_UNAVAILABLE', 'RabbitMQ channel closed before publishing'));
          return;
        }
        pub.outstanding.add(publishId);
        try {
          const flushed = pub.channel.publish(
            exchange,
            routingKey,
            body,
            {
              persistent: true,
              mandatory: true,
              messageId: props.messageId,
              correlationId: props.correlationId,
              contentType: props.contentType,
              timestamp: Math.floor(Date.now() / 1000),
              headers: { ...props.headers, [PUBLISH_ID_HEADER]: publishId },
            },
            (err: unknown) => {
              if (err !== null && err !== undefined) {
                const e = toError(err);
                finish(
                  e.message === 'channel closed'
                    ? new BrokerError('BROKER_UNAVAILABLE', 'RabbitMQ channel closed before the confirm', {
                        cause: e,
                      })
                    : new BrokerError('PUBLISH_NACKED', 'RabbitMQ refused the message', { cause: e }),
                );
              } else if (pub.returned.has(publishId)) {
                finish(
                  new BrokerError(
                    'PUBLISH_UNROUTABLE',
                    `no queue bound for ${exchange || '(default)'}/${routingKey}`,
                  ),
                );
              } else {
                finish();
              }
            },
          );
          if (!flushed) this.waitForDrain(pub);
        } catch (err) {
          finish(new BrokerError('BROKER_UNAVAILABLE', 'could not write to RabbitMQ', { cause: err }));
        }
      };
      // Honour socket backpressure: later publishes queue behind a full buffer, still timed.
      if (pub.drain) void pub.drain.then(write);
      else write();
    });
    return this.publishes.track(p);
  }

  async consume(handler: DeliveryHandler, opts: ConsumeOptions): Promise<ConsumerHandle> {
    if (this.closeStarted) throw new BrokerError('BROKER_CLOSED', 'broker is closed');
    assertValidPrefetch(opts.prefetch);
    const consumer = new RabbitConsumer(this.host, handler, opts.prefetch);
    this.consumers.add(consumer);
    const model = this.model;
    if (!model) return Promise.resolve(consumer); // attached by setup() once connected
    return consumer.attach(model).then(
      () => consumer,
      (err: unknown) => {
        this.logger.warn('could not start consumer now; it starts after reconnecting', { err: toError(err) });
        this.resetConnection(model, 'consumer attach failed');
        return consumer;
      },
    );
  }

  async stats(): Promise<BrokerStats> {
    return this.withChannel(async (ch) => {
      const count = async (queue: string): Promise<number> => (await ch.checkQueue(queue)).messageCount;
      const [work, parked, ...retrying] = await Promise.all([
        ch.checkQueue(this.topology.workQueue),
        count(this.topology.parkingQueue),
        ...this.topology.retryQueues.map((q) => count(q.queue)),
      ]);
      return {
        consumers: work.consumerCount,
        ready: work.messageCount,
        parked,
        retrying: retrying.reduce((a, b) => a + b, 0),
      };
    });
  }

  consumerCount(): Promise<number> {
    return this.withChannel(async (ch) => (await ch.checkQueue(this.topology.workQueue)).consumerCount);
  }

  /** A short-lived channel for passive checks (a failed check closes only that channel). */
  private async withChannel<T>(fn: (ch: Channel) => Promise<T>): Promise<T> {
    const model = this.model;
    if (!model) throw new BrokerError('BROKER_UNAVAILABLE', 'not connected to RabbitMQ');
    const ch = await model.createChannel();
    ch.on('error', noop);
    try {
      return await fn(ch);
    } finally {
      await ch.close().catch(noop);
    }
  }

  isHealthy(): boolean {
    return !this.closeStarted && this.publisher !== undefined && !this.publisher.closed;
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closeStarted = true;
    this.closing = (async () => {
      // Consumers first: their in-flight handlers may still publish retries.
      await Promise.all([...this.consumers].map((c) => c.stop()));
      await this.publishes.idle();
      this.publisher = undefined;
      await this.closeConnection();
      this.logger.info('RabbitMQ broker closed', { name: this.connectionName });
    })();
    return this.closing;
  }

  /** Closes the connection, giving up after a while on a half-dead one (heartbeats end it). */
  private async closeConnection(): Promise<void> {
    const conn = this.conn;
    if (!conn) return;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), CLOSE_TIMEOUT_MS);
    });
    const closed = conn.close().then(
      () => 'closed' as const,
      (err: unknown) => {
        this.logger.warn('error while closing the RabbitMQ connection', { err: toError(err) });
        return 'closed' as const;
      },
    );
    const result = await Promise.race([closed, gaveUp]);
    clearTimeout(timer);
    if (result === 'timeout') {
      this.logger.warn('RabbitMQ did not answer the connection close in time; leaving it to the heartbeat', {
        timeoutMs: CLOSE_TIMEOUT_MS,
      });
    }
  }

  /**
   * Closes the connection so recovery reconnects with backoff and `setup` rebuilds channels and
   * consumers. The single way this adapter recovers from any channel-level failure.
   */
  private resetConnection(model: ChannelModel, reason: string): void {
    // Deferred: when the connection itself is going down, its channels close first; by the next
    // tick the model's own 'close' has cleared `this.model` and there is nothing to do.
    setImmediate(() => {
      if (this.closeStarted || this.model !== model) return;
      this.logger.warn('resetting the RabbitMQ connection', { reason });
      this.model = undefined;
      this.publisher = undefined;
      model.close().catch((err: unknown) => {
        this.logger.debug('connection already closing', { err: toError(err) });
      });
    });
  }

  /** Runs on every successful (re)connect, before the connection is handed out. */
  private async setup(model: ChannelModel): Promise<void> {
    if (this.closeStarted) throw new Error('broker is closing');
    // Recovery forwards connection errors (logged in start()) once this model is handed out; this
    // listener only keeps an error during setup from becoming an unhandled 'error' event.
    model.on('error', (err: Error) => this.logger.debug('RabbitMQ connection error', { err }));
    model.on('close', () => {
      if (this.model === model) this.model = undefined;
    });
    const channel = await model.createConfirmChannel();
    const pub: PublisherChannel = {
      model,
      channel,
      closed: false,
      outstanding: new Set(),
      returned: new Set(),
      drain: undefined,
    };
    channel.on('error', (err: Error) => this.logger.warn('RabbitMQ publish channel error', { err }));
    channel.on('close', () => {
      pub.closed = true;
      if (this.publisher === pub) this.publisher = undefined;
      this.resetConnection(model, 'publish channel closed');
    });
    channel.on('return', (msg: Message) => {
      const id: unknown = msg.properties.headers?.[PUBLISH_ID_HEADER];
      if (typeof id === 'string' && pub.outstanding.has(id)) pub.returned.add(id);
    });
    await assertRabbitTopology(channel, this.topology, this.deliveryLimit);
    this.model = model;
    this.publisher = pub;
    for (const c of [...this.consumers]) await c.attach(model);
  }

  private waitForDrain(pub: PublisherChannel): void {
    if (pub.drain) return;
    pub.drain = new Promise<void>((resolve) => {
      const done = (): void => {
        pub.channel.removeListener('drain', done);
        pub.channel.removeListener('close', done);
        pub.drain = undefined;
        resolve();
      };
      pub.channel.on('drain', done);
      pub.channel.on('close', done);
    });
  }
}

/** Creates a RabbitMQ broker and (by default) waits for its first connection. */
export async function createRabbitBroker(options: RabbitBrokerOptions): Promise<RabbitBroker> {
  const broker = new RabbitBroker(options);
  await broker.start();
  return broker;
}
