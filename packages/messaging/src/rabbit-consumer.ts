/**
 * One RabbitMQ consumer: its own channel with a prefetch, re-attached on every reconnect; it runs
 * the handler and settles each delivery (a retry or park is published, confirmed, before the ack).
 */
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { toError } from './errors';
import {
  ATTEMPT_HEADER,
  InFlight,
  PARK_REASON_HEADER,
  applicationHeaders,
  parseAttempt,
  runHandler,
  type SettlementPolicy,
} from './policy';
import type { BrokerLogger, ConsumerHandle, Delivery, DeliveryHandler, HeaderValue } from './types';
import type { RabbitTopology } from './rabbit-topology';

export interface PublishProps {
  messageId: string | undefined;
  correlationId: string | undefined;
  contentType: string | undefined;
  headers: Record<string, HeaderValue>;
}

/** What a consumer needs from its broker. */
export interface ConsumerHost {
  readonly logger: BrokerLogger;
  readonly topology: RabbitTopology;
  readonly policy: SettlementPolicy;
  publishInternal(exchange: string, routingKey: string, body: Buffer, props: PublishProps): Promise<void>;
  resetConnection(model: ChannelModel, reason: string): void;
  removeConsumer(c: RabbitConsumer): void;
}

interface ConsumerAttachment {
  readonly model: ChannelModel;
  readonly channel: Channel;
  consumerTag: string | undefined;
  closed: boolean;
  closingOnPurpose: boolean;
}

function toDelivery(msg: ConsumeMessage): Delivery {
  const p = msg.properties;
  const messageId: unknown = p.messageId;
  const correlationId: unknown = p.correlationId;
  const contentType: unknown = p.contentType;
  const rawHeaders: unknown = p.headers;
  const rawAttempt: unknown = p.headers?.[ATTEMPT_HEADER];
  return {
    body: msg.content,
    messageId: typeof messageId === 'string' ? messageId : undefined,
    correlationId: typeof correlationId === 'string' ? correlationId : undefined,
    contentType: typeof contentType === 'string' ? contentType : undefined,
    attempt: parseAttempt(rawAttempt),
    redelivered: msg.fields.redelivered,
    headers: applicationHeaders(rawHeaders),
  };
}

export class RabbitConsumer implements ConsumerHandle {
  private state: 'active' | 'stopping' | 'stopped' = 'active';
  private attachment: ConsumerAttachment | undefined;
  private attachedModel: ChannelModel | undefined;
  private readonly inFlight = new InFlight();
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly host: ConsumerHost,
    private readonly handler: DeliveryHandler,
    private readonly prefetch: number,
  ) {}

  /** Opens a channel on `model` and starts consuming; a no-op if already attached to it. */
  async attach(model: ChannelModel): Promise<void> {
    if (this.state !== 'active' || this.attachedModel === model) return;
    this.attachedModel = model;
    let att: ConsumerAttachment | undefined;
    try {
      const channel = await model.createChannel();
      const created: ConsumerAttachment = {
        model,
        channel,
        consumerTag: undefined,
        closed: false,
        closingOnPurpose: false,
      };
      att = created;
      this.attachment = created;
      channel.on('error', (err: Error) => {
        this.host.logger.warn('RabbitMQ consumer channel error', { err });
      });
      channel.on('close', () => {
        created.closed = true;
        if (this.attachment === created) this.attachment = undefined;
        if (this.attachedModel === model) this.attachedModel = undefined;
        if (!created.closingOnPurpose && this.state === 'active') {
          this.host.resetConnection(model, 'consumer channel closed');
        }
      });
      await channel.prefetch(this.prefetch);
      const ok = await channel.consume(this.host.topology.workQueue, (msg) => this.onMessage(created, msg), {
        noAck: false,
      });
      created.consumerTag = ok.consumerTag;
    } catch (err) {
      if (this.attachedModel === model) this.attachedModel = undefined;
      // stop() closed the channel under us: nothing to recover.
      if (this.state !== 'active') return;
      throw err;
    }
    // stop() ran while we were attaching: undo.
    if (this.state !== 'active') await this.detach(att);
  }

  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.state = 'stopping';
    this.stopping = (async () => {
      const att = this.attachment;
      if (att && !att.closed && att.consumerTag !== undefined) {
        try {
          await att.channel.cancel(att.consumerTag);
        } catch (err) {
          this.host.logger.debug('could not cancel consumer (channel already gone)', { err: toError(err) });
        }
      }
      await this.inFlight.idle();
      // Anything delivered after the cancel was left unsettled; closing the channel hands it back.
      await this.detach(att);
      this.state = 'stopped';
      this.host.removeConsumer(this);
    })();
    return this.stopping;
  }

  private async detach(att: ConsumerAttachment | undefined): Promise<void> {
    if (!att || att.closed) return;
    att.closingOnPurpose = true;
    try {
      await att.channel.close();
    } catch {
      // already closing with its connection
    }
  }

  private onMessage(att: ConsumerAttachment, msg: ConsumeMessage | null): void {
    if (msg === null) {
      // basic.cancel from the broker: the queue was deleted. Reconnecting re-declares it.
      this.host.logger.warn('RabbitMQ cancelled the consumer (work queue deleted?)', {
        queue: this.host.topology.workQueue,
      });
      if (this.state === 'active') this.host.resetConnection(att.model, 'consumer cancelled by the broker');
      return;
    }
    // Stopping: leave it unsettled; the channel close returns it to the queue.
    if (this.state !== 'active') return;
    void this.inFlight.track(this.handle(att, msg));
  }

  private async handle(att: ConsumerAttachment, msg: ConsumeMessage): Promise<void> {
    const { logger, topology, policy } = this.host;
    const delivery = toDelivery(msg);
    const meta = { messageId: delivery.messageId, attempt: delivery.attempt };
    try {
      const settlement = await runHandler(this.handler, delivery, policy, logger);
      if (att.closed) {
        logger.warn(
          'consumer channel closed before the message was settled; the broker will redeliver it',
          meta,
        );
        return;
      }
      if (settlement.kind === 'ack') {
        this.ack(att, msg, meta);
        return;
      }
      const retry = settlement.kind === 'retry';
      const headers: Record<string, HeaderValue> = { ...delivery.headers };
      let exchange: string;
      let routingKey: string;
      if (settlement.kind === 'retry') {
        const tier = topology.retryQueues.find((q) => q.delayMs === settlement.delayMs);
        if (!tier) throw new Error(`no retry queue for ${settlement.delayMs} ms`);
        exchange = '';
        routingKey = tier.queue;
        headers[ATTEMPT_HEADER] = settlement.nextAttempt;
      } else {
        exchange = topology.parkingExchange;
        routingKey = '';
        headers[ATTEMPT_HEADER] = delivery.attempt;
        headers[PARK_REASON_HEADER] = settlement.reason;
      }
      try {
        await this.host.publishInternal(exchange, routingKey, msg.content, {
          messageId: delivery.messageId,
          correlationId: delivery.correlationId,
          contentType: delivery.contentType,
          headers,
        });
      } catch (err) {
        // Not acked: hand it back. Resetting the connection returns every unsettled delivery
        // to the queue, after a backoff, instead of spinning on a requeue.
        logger.error(`could not move message to the ${retry ? 'retry' : 'parking'} queue; handing it back`, {
          ...meta,
          err: toError(err),
        });
        if (!att.closed) this.host.resetConnection(att.model, 'could not publish a retry or park');
        return;
      }
      this.ack(att, msg, meta);
      if (settlement.kind === 'retry') {
        logger.debug('message scheduled for retry', {
          ...meta,
          nextAttempt: settlement.nextAttempt,
          delayMs: settlement.delayMs,
        });
      } else {
        logger.info('message parked', { ...meta, reason: settlement.reason, queue: topology.parkingQueue });
      }
    } catch (err) {
      logger.error('unexpected error while settling a message; leaving it to be redelivered', {
        ...meta,
        err: toError(err),
      });
      if (!att.closed) this.host.resetConnection(att.model, 'settle failed');
    }
  }

  private ack(att: ConsumerAttachment, msg: ConsumeMessage, meta: Record<string, unknown>): void {
    if (att.closed) {
      this.host.logger.warn(
        'consumer channel closed before the ack; the broker will redeliver the message',
        meta,
      );
      return;
    }
    try {
      att.channel.ack(msg);
    } catch (err) {
      this.host.logger.warn('ack failed; the broker will redeliver the message', {
        ...meta,
        err: toError(err),
      });
    }
  }
}
