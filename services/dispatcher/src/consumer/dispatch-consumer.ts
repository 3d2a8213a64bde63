import { compile, DispatchEnvelopeV1Schema } from '@flowgate/contracts';
import { runWithContext, type Logger } from '@flowgate/logger';
import type { Delivery, HandlerOutcome } from '@flowgate/messaging';
import type { DispatchMessage } from '../modules/dispatch-message';

const checkEnvelope = compile(DispatchEnvelopeV1Schema);

/** The queue entry point: parse and validate the envelope, open the log context, map the outcome. */
export function dispatchHandler(
  dispatchMessage: DispatchMessage,
  logger: Logger,
): (delivery: Delivery) => Promise<HandlerOutcome> {
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
    return runWithContext(
      { requestId: envelope.requestId, messageId: envelope.messageId, workspaceId: envelope.workspaceId },
      async () => {
        const outcome = await dispatchMessage(envelope);
        if (outcome.kind === 'done') return 'ack';
        logger.debug('retry scheduled', { inMs: outcome.inMs, reason: outcome.reason });
        return { retryInMs: outcome.inMs };
      },
    );
  };
}
