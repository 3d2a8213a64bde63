import { compile, DispatchEnvelopeV1Schema, type DispatchEnvelopeV1 } from '@flowgate/contracts';
import { isConnectionError } from '@flowgate/db';
import type { Logger } from '@flowgate/logger';
import type { Delivery, HandlerOutcome } from '@flowgate/messaging';
import type { Dispatcher } from '../modules/dispatch-message';

const checkEnvelope = compile(DispatchEnvelopeV1Schema);

/** A delivery that met an unreachable database comes back after this long (the first delay tier). */
const DATABASE_DOWN_DEFER_MS = 1000;

/**
 * The queue entry point: parse and validate the envelope, run the use case, map its outcome to
 * ack / retry / defer / park. Log lines carry the envelope's ids explicitly (no async context:
 * peeks, claims and writes are shared by many messages).
 *
 * `maxDeliveryAttempts` is the broker's bound: a retry asked for at that attempt would be parked
 * by the broker, so the message is first recorded as FAILED (ADR 0013); if that cannot be
 * recorded now, the delivery is deferred (not an attempt) and tried again later instead.
 */
export function dispatchHandler(
  dispatcher: Dispatcher,
  logger: Logger,
  maxDeliveryAttempts: number,
  /** Counts each outcome (sent, failed, duplicate, retry or defer with its reason). */
  count: (outcome: string) => void = () => undefined,
): (delivery: Delivery) => Promise<HandlerOutcome> {
  const giveUp = async (
    envelope: DispatchEnvelopeV1,
    delivery: Delivery,
    reason: string,
  ): Promise<HandlerOutcome> => {
    const ids = { messageId: envelope.messageId, requestId: envelope.requestId, attempt: delivery.attempt };
    try {
      const changed = await dispatcher.abandon(envelope, `${reason} (${delivery.attempt} deliveries)`);
      logger.error('parking a message whose retries are used up', { ...ids, markedFailed: changed });
      return 'park';
    } catch (err) {
      logger.error('could not record a message as FAILED before parking it; trying later', {
        ...ids,
        err,
      });
      return { deferInMs: 0 };
    }
  };

  return async (delivery) => {
    let body: unknown;
    try {
      body = JSON.parse(delivery.body.toString('utf8'));
    } catch {
      logger.warn('parking an envelope that is not JSON', { amqpMessageId: delivery.messageId });
      return 'park';
    }
    const parsed = checkEnvelope(body);
    if (!parsed.ok) {
      logger.warn('parking an invalid envelope', {
        amqpMessageId: delivery.messageId,
        problems: parsed.errors.map((e) => `${e.path} ${e.message}`),
      });
      return 'park';
    }
    const envelope = parsed.value;
    const last = delivery.attempt >= maxDeliveryAttempts;
    let outcome;
    try {
      outcome = await dispatcher.dispatch(envelope);
    } catch (err) {
      if (isConnectionError(err)) {
        // PostgreSQL is down or stalled: nothing is wrong with this message, and no provider call
        // was made, so this is a deferral, not an attempt. An outage of any length must not use up
        // the broker's attempt budget and fail messages that were promised delivery (docs/contracts.md §6).
        logger.warn('database unavailable; delivery deferred', {
          messageId: envelope.messageId,
          requestId: envelope.requestId,
          err,
        });
        count('defer: database unavailable');
        return { deferInMs: DATABASE_DOWN_DEFER_MS };
      }
      logger.error('dispatch failed; retrying after the first delay tier', {
        messageId: envelope.messageId,
        requestId: envelope.requestId,
        attempt: delivery.attempt,
        err,
      });
      return last ? giveUp(envelope, delivery, 'internal errors on every delivery') : { retryInMs: 0 };
    }
    count(outcome.kind === 'done' ? outcome.result : `${outcome.kind}: ${outcome.reason}`);
    switch (outcome.kind) {
      case 'done':
        return 'ack';
      case 'defer':
        return { deferInMs: outcome.inMs };
      case 'retry':
        if (last) return giveUp(envelope, delivery, `retries used up (${outcome.reason})`);
        logger.debug('retry scheduled', {
          messageId: envelope.messageId,
          requestId: envelope.requestId,
          inMs: outcome.inMs,
          reason: outcome.reason,
        });
        return { retryInMs: outcome.inMs };
    }
  };
}
