import type { DispatchEnvelopeV1 } from '@flowgate/contracts';
import type { Logger } from '@flowgate/logger';
import { isProviderError, type CloudApiClient } from '@flowgate/whatsapp-cloud';
import type { DeliveryRepository } from './delivery.repository';
import type { NumberPacer, NumberPauses, PairLimiter } from './pacer';

export type DispatchOutcome =
  { kind: 'done'; result: 'sent' | 'failed' | 'duplicate' } | { kind: 'retry'; inMs: number; reason: string };

export interface DispatchDeps {
  deliveries: DeliveryRepository;
  client: CloudApiClient;
  /** Provider phone-number id and access token of one of our sending numbers (cached). */
  credentials(phoneNumberId: string): Promise<{ providerPhoneNumberId: string; accessToken: string }>;
  pacer: NumberPacer;
  pairs: PairLimiter;
  pauses: NumberPauses;
  logger: Logger;
  maxAttempts: number;
  /** Pause of a sending number after an account-level error. */
  accountPauseMs?: number;
}

/** 1 s, 4 s, 16 s, … capped at 10 min: Meta's advice for throttling and transient errors. */
export function backoffMs(attempt: number): number {
  return Math.min(600_000, 1000 * 4 ** Math.max(0, attempt - 1));
}

/**
 * One envelope → at most one provider call (DESIGN §5): pace, claim with a conditional update,
 * call, record. No amqplib here: the consumer maps the outcome to ack / delay / park.
 */
export function dispatchMessageUseCase(deps: DispatchDeps) {
  const accountPauseMs = deps.accountPauseMs ?? 60_000;

  return async function dispatchMessage(envelope: DispatchEnvelopeV1): Promise<DispatchOutcome> {
    const numberId = envelope.phoneNumberId;
    const paused = deps.pauses.remaining(numberId);
    if (paused > 0) return { kind: 'retry', inMs: paused, reason: 'sending number paused' };
    const slot = deps.pacer.reserve(numberId);
    if ('retryInMs' in slot) return { kind: 'retry', inMs: slot.retryInMs, reason: 'number rate' };
    await deps.pacer.wait(numberId, slot.waitMs);

    const claimed = await deps.deliveries.claim(envelope.messageId);
    if (!claimed) {
      const state = await deps.deliveries.claimState(envelope.messageId);
      // Held by another claim: its holder may have died (kill -9), so look again once it is stale.
      if (state.kind === 'held') return { kind: 'retry', inMs: state.staleInMs, reason: 'claimed elsewhere' };
      if (state.kind === 'missing')
        deps.logger.warn('envelope for an unknown message', { messageId: envelope.messageId });
      return { kind: 'done', result: 'duplicate' };
    }
    if (claimed.tookOver)
      deps.logger.warn('took over a stale claim; the provider may have been called before', {
        messageId: claimed.id,
        attempts: claimed.attempts,
      });

    const pairWait = deps.pairs.take(numberId, claimed.recipient);
    if (pairWait > 0) {
      await deps.deliveries.release(claimed.id, 'pair rate limit');
      return { kind: 'retry', inMs: pairWait, reason: 'pair rate' };
    }

    try {
      const creds = await deps.credentials(claimed.phoneNumberId);
      const result = await deps.client.sendMessage({
        phoneNumberId: creds.providerPhoneNumberId,
        accessToken: creds.accessToken,
        body: claimed.payload,
      });
      await deps.deliveries.markSent(claimed.id, result.wamid);
      return { kind: 'done', result: 'sent' };
    } catch (err) {
      if (!isProviderError(err)) {
        // Our own failure (database, decryption): hand the message back and retry later.
        await deps.deliveries.release(claimed.id, 'internal error').catch(() => undefined);
        throw err;
      }
      const meta = {
        messageId: claimed.id,
        code: err.code,
        httpStatus: err.httpStatus,
        kind: err.classification.kind,
        attempts: claimed.attempts,
      };
      const error = {
        code: err.code ?? (err.httpStatus !== undefined ? err.httpStatus : null),
        title: err.title,
        details: err.details ?? null,
      };
      switch (err.classification.kind) {
        case 'permanent':
          deps.logger.info('provider rejected message', meta);
          await deps.deliveries.markFailed(claimed.id, error);
          return { kind: 'done', result: 'failed' };
        case 'account':
          deps.logger.warn('account-level provider error; pausing the sending number', meta);
          deps.pauses.pause(numberId, accountPauseMs);
          if (claimed.attempts >= deps.maxAttempts) {
            await deps.deliveries.markFailed(claimed.id, error);
            return { kind: 'done', result: 'failed' };
          }
          await deps.deliveries.release(
            claimed.id,
            `account error ${err.code ?? err.httpStatus ?? ''}: number paused`,
          );
          return { kind: 'retry', inMs: accountPauseMs, reason: 'account error' };
        case 'retryable': {
          if (claimed.attempts >= deps.maxAttempts) {
            deps.logger.warn('retries exhausted', meta);
            await deps.deliveries.markFailed(claimed.id, error);
            return { kind: 'done', result: 'failed' };
          }
          deps.logger.info('retryable provider error', meta);
          const inMs = backoffMs(claimed.attempts);
          await deps.deliveries.release(
            claimed.id,
            `retry in ${inMs} ms after ${err.code ?? `HTTP ${err.httpStatus ?? '?'}`}${err.outcomeUnknown ? ' (outcome unknown: a duplicate is possible)' : ''}`,
          );
          return { kind: 'retry', inMs, reason: 'provider retryable' };
        }
      }
    }
  };
}

export type DispatchMessage = ReturnType<typeof dispatchMessageUseCase>;
