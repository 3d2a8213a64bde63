import type { DispatchEnvelopeV1 } from '@flowgate/contracts';
import type { Logger } from '@flowgate/logger';
import {
  isProviderError,
  type CloudApiClient,
  type ProviderError,
  type SendMessageResult,
} from '@flowgate/whatsapp-cloud';
import { Batcher } from '@flowgate/db';
import { untilRecorded } from './until-recorded';
import type {
  ClaimedMessage,
  FailedRecord,
  MessageDeliveryStore,
  PeekedMessage,
  ProviderFailure,
  ReleaseRecord,
  SentRecord,
} from '@flowgate/core';
import type { NumberLanes, Priority } from './lanes';
import type { NumberPacer, NumberPauses, PairLimiter } from './pacer';
import type { SendingNumber } from './sending-numbers';
import { metrics, record as recordMetric } from '@flowgate/metrics';

/**
 * - `done`: settled (sent, failed, or a duplicate envelope): ack it;
 * - `retry`: a provider attempt was used; deliver again after `inMs` (counts as a broker attempt);
 * - `defer`: not an attempt (pacing, a paused number, a claim held elsewhere, a shutdown): come
 *   back after `inMs` without using anything up.
 */
export type DispatchOutcome =
  | { kind: 'done'; result: 'sent' | 'failed' | 'duplicate' }
  | { kind: 'retry'; inMs: number; reason: string }
  | { kind: 'defer'; inMs: number; reason: string };

export interface DispatchDeps {
  repo: MessageDeliveryStore;
  client: Pick<CloudApiClient, 'sendMessage'>;
  numbers: {
    get(numberId: string): Promise<SendingNumber | undefined>;
    pause(numberId: string, ms: number, reason: string): Promise<void>;
  };
  lanes: NumberLanes;
  pacer: NumberPacer;
  pairs: PairLimiter;
  pauses: NumberPauses;
  logger: Logger;
  /** DISPATCH_MAX_ATTEMPTS: provider attempts before a retryable failure becomes FAILED. */
  maxAttempts: number;
  /** DISPATCH_ACCOUNT_PAUSE_MS: pause of a sending number after an account-level error. */
  accountPauseMs: number;
  /** How long a 130429 holds the number's next call back. */
  throttleHoldMs?: number;
  /** Statements of one kind running at once (peek, claim, sent, …), from the pool size. */
  batchConcurrency?: number;
  maxBatch?: number;
}

/** 1 s, 4 s, 16 s, … capped at 10 min: Meta's advice for throttling and transient errors. */
export function backoffMs(attempt: number): number {
  return Math.min(600_000, 1000 * 4 ** Math.max(0, attempt - 1));
}

/** The Meta code or, without one, the HTTP status, as stored with a failure. */
function failureOf(err: ProviderError): ProviderFailure {
  return {
    code: err.code ?? (err.httpStatus !== undefined ? err.httpStatus : null),
    title: err.title,
    details: err.details ?? null,
  };
}

function sentDetail(result: SendMessageResult): string {
  return result.messageStatus !== undefined
    ? `${result.wamid} (message_status: ${result.messageStatus})`
    : result.wamid;
}

/** Our own failure text: the title of a FAILED message Flowgate gave up on (error code null). */
export const ABANDONED_TITLE = 'Flowgate stopped dispatching this message';

/**
 * The dispatcher's use case (docs/contracts.md §5, ADR 0013/0014): one envelope → at most one provider call
 * in normal operation. For each envelope: check the number's pause, take a place in its lane,
 * wait for the number's turn (rate slot, in-flight cap), claim (a conditional update that leaves
 * final rows, live claims elsewhere and pair-limited recipients alone), call, record; then the
 * consumer acks. A row the claim left alone is looked at to say why (duplicate, held elsewhere,
 * pair wait). Claims and every status write are batched across messages; a status write after a
 * provider call is retried until it lands, never answered by a second call. No amqplib here.
 */
export function dispatchMessageUseCase(deps: DispatchDeps) {
  const { repo, logger, lanes, pauses } = deps;
  const throttleHoldMs = deps.throttleHoldMs ?? 1000;
  const batch = { maxBatch: deps.maxBatch ?? 500, maxConcurrent: deps.batchConcurrency ?? 2 };
  const peeks = new Batcher<string, PeekedMessage | undefined>((ids) => repo.peek(ids), batch);
  // The pairs that have no token now ride along with each claim, so their messages stay unclaimed.
  const claims = new Batcher<{ id: string; numberId: string }, ClaimedMessage | undefined>((items) => {
    const numbers = new Set(items.map((i) => i.numberId));
    const blocked = [...numbers].flatMap((phoneNumberId) =>
      deps.pairs.blockedRecipients(phoneNumberId).map((recipient) => ({ phoneNumberId, recipient })),
    );
    return repo.claim(
      items.map((i) => i.id),
      blocked,
    );
  }, batch);
  // Writes after the provider call wait a little for each other (ADR 0046): nothing but the ack
  // waits on them, and at a few hundred messages a second one statement then carries many.
  const after = { ...batch, lingerMs: 10 };
  const sent = new Batcher<SentRecord, boolean>((r) => repo.markSent(r), after);
  const failed = new Batcher<FailedRecord, void>((r) => repo.markFailed(r), { ...after, maxConcurrent: 1 });
  const released = new Batcher<ReleaseRecord, void>((r) => repo.release(r), { ...after, maxConcurrent: 1 });
  let stopping = false;
  let writesAbandoned = false;

  type Ctx = { messageId: string; requestId?: string; workspaceId: string; phoneNumberId: string };

  /** Writes that follow a provider call: retried until they land (or the shutdown deadline). */
  async function record<T>(what: string, ctx: Ctx, write: (tries: number) => Promise<T>): Promise<T> {
    let tries = 0;
    const { value } = await untilRecorded(
      () => {
        tries += 1;
        return write(tries);
      },
      {
        giveUp: () => writesAbandoned,
        onRetry: (err, n) => {
          if (n === 1 || n % 10 === 0)
            logger.warn(`could not record ${what}; retrying (the provider is not called again)`, {
              ...ctx,
              tries: n,
              err,
            });
        },
      },
    );
    return value;
  }

  async function releaseClaim(ctx: Ctx, reason: string): Promise<void> {
    await record('a released claim', ctx, () => released.add({ id: ctx.messageId, reason }));
  }

  async function fail(ctx: Ctx, error: ProviderFailure, detail: string): Promise<DispatchOutcome> {
    await record('FAILED', ctx, () => failed.add({ id: ctx.messageId, error, detail }));
    return { kind: 'done', result: 'failed' };
  }

  async function onSent(ctx: Ctx, result: SendMessageResult): Promise<DispatchOutcome> {
    const base = sentDetail(result);
    const stillSending = await record('SENT', ctx, (tries) =>
      sent.add({
        id: ctx.messageId,
        wamid: result.wamid,
        detail: tries > 1 ? `${base}; recorded after ${tries - 1} failed status writes` : base,
      }),
    );
    if (!stillSending) {
      // Someone else finished it while this call ran (it took over a claim that went stale): a
      // second provider call happened. Keep it in the history so it can be found.
      logger.warn('the message was already finished elsewhere: the provider was called twice', {
        ...ctx,
        wamid: result.wamid,
      });
      await repo
        .note(ctx.messageId, 'SENT', `duplicate provider call also accepted as ${result.wamid}`)
        .catch(() => undefined);
    }
    return { kind: 'done', result: 'sent' };
  }

  async function onProviderError(
    ctx: Ctx,
    err: ProviderError,
    claimed: ClaimedMessage,
    recipient: string,
  ): Promise<DispatchOutcome> {
    const numberId = ctx.phoneNumberId;
    const error = failureOf(err);
    const meta = {
      ...ctx,
      code: err.code,
      httpStatus: err.httpStatus,
      kind: err.classification.kind,
      attempts: claimed.attempts,
    };
    const label = `${err.code ?? `HTTP ${err.httpStatus ?? '?'}`}`;
    const text = `${error.code ?? ''} ${error.title}`.trim();
    switch (err.classification.kind) {
      case 'permanent':
        logger.info('provider rejected message', meta);
        return fail(ctx, error, text);
      case 'account': {
        logger.warn('account-level provider error; pausing the sending number everywhere', meta);
        // Paused here at once (then in the database, for the other dispatchers); what waits in
        // the lane is handed back until the pause ends.
        const stored = deps.numbers.pause(numberId, deps.accountPauseMs, text);
        lanes.cancel(numberId);
        await stored.catch((e: unknown) =>
          logger.warn('could not store the pause (it applies in this process)', {
            ...ctx,
            err: e instanceof Error ? e.message : String(e),
          }),
        );
        if (claimed.attempts >= deps.maxAttempts) return fail(ctx, error, text);
        await releaseClaim(
          ctx,
          `account error ${label}: sending number paused for ${deps.accountPauseMs} ms`,
        );
        return { kind: 'retry', inMs: deps.accountPauseMs, reason: 'account error' };
      }
      case 'retryable': {
        if (err.code === 130429) deps.pacer.slowDown(numberId, throttleHoldMs);
        if (err.classification.pairLimited === true) deps.pairs.exhaust(numberId, recipient);
        if (claimed.attempts >= deps.maxAttempts) {
          logger.warn('retries exhausted', meta);
          return fail(ctx, error, text);
        }
        logger.info('retryable provider error', meta);
        const inMs = backoffMs(claimed.attempts);
        await releaseClaim(
          ctx,
          `retry in ${inMs} ms after ${label}${err.outcomeUnknown ? ' (outcome unknown: a duplicate is possible)' : ''}`,
        );
        return { kind: 'retry', inMs, reason: 'provider retryable' };
      }
    }
  }

  /** After a claim that did not take the row: why (duplicate, held elsewhere, pair limit, gone). */
  async function unclaimed(ctx: Ctx): Promise<DispatchOutcome> {
    const state = await peeks.add(ctx.messageId);
    if (!state) {
      logger.warn('envelope for an unknown message', ctx);
      return { kind: 'done', result: 'duplicate' };
    }
    if (state.status !== 'ACCEPTED' && state.status !== 'QUEUED' && state.status !== 'SENDING')
      return { kind: 'done', result: 'duplicate' };
    // Held by another claim: its holder may have died (kill -9), so look again once it is stale.
    const staleIn = state.heldMs !== null ? repo.staleInMs(state.heldMs) : 0;
    if (state.status === 'SENDING' && staleIn > 0)
      return { kind: 'defer', inMs: staleIn, reason: 'claimed elsewhere' };
    const pairWait = deps.pairs.waitMs(ctx.phoneNumberId, state.recipient);
    if (pairWait > 0) return { kind: 'defer', inMs: pairWait, reason: 'pair rate' };
    return { kind: 'defer', inMs: 0, reason: 'claim raced' };
  }

  /** `priority`: single sends are `high`; broadcast messages `low`, behind them (ADR 0041). */
  async function dispatch(
    envelope: DispatchEnvelopeV1,
    priority: Priority = 'high',
  ): Promise<DispatchOutcome> {
    const ctx: Ctx = {
      messageId: envelope.messageId,
      workspaceId: envelope.workspaceId,
      phoneNumberId: envelope.phoneNumberId,
      ...(envelope.requestId !== undefined ? { requestId: envelope.requestId } : {}),
    };
    if (stopping) return { kind: 'defer', inMs: 0, reason: 'dispatcher shutting down' };
    const numberId = envelope.phoneNumberId;
    const creds = await deps.numbers.get(numberId);
    if (!creds) throw new Error(`sending number ${numberId} not found`);
    const paused = pauses.remaining(numberId);
    if (paused > 0) return { kind: 'defer', inMs: paused, reason: 'sending number paused' };
    const admission = lanes.admit(numberId, priority);
    if (!admission.ok) return { kind: 'defer', inMs: admission.deferMs, reason: 'number busy' };
    const ticket = admission.ticket;
    try {
      if (!(await lanes.turn(ticket))) {
        // Handed back before its turn: a pause, a shutdown, or the number turned too slow.
        const left = pauses.remaining(numberId);
        if (left > 0) return { kind: 'defer', inMs: left, reason: 'sending number paused' };
        if (stopping) return { kind: 'defer', inMs: 0, reason: 'dispatcher shutting down' };
        return { kind: 'defer', inMs: 0, reason: 'number busy (waited too long)' };
      }
      const pausedNow = pauses.remaining(numberId);
      if (pausedNow > 0) return { kind: 'defer', inMs: pausedNow, reason: 'sending number paused' };

      const claimed = await claims.add({ id: envelope.messageId, numberId });
      if (!claimed) return await unclaimed(ctx);
      deps.pairs.consume(numberId, claimed.recipient);
      if (claimed.attempts === 1)
        metrics.queueWait.observe(Math.max(0, Date.now() - Date.parse(envelope.createdAt)) / 1000);
      if (claimed.tookOver)
        logger.warn('took over a stale claim; the provider may have been called before', {
          ...ctx,
          attempts: claimed.attempts,
        });

      let result: SendMessageResult;
      const endCall = metrics.providerCallDuration.startTimer();
      try {
        result = await deps.client.sendMessage({
          phoneNumberId: creds.providerPhoneNumberId,
          accessToken: creds.accessToken,
          body: claimed.payload,
        });
      } catch (err) {
        endCall();
        lanes.leave(ticket);
        if (isProviderError(err)) {
          const outcome = await onProviderError(ctx, err, claimed, claimed.recipient);
          // By Meta's code; without one, the HTTP status (`http_500`) or `none` (network, timeout).
          const code = err.code ?? (err.httpStatus !== undefined ? `http_${err.httpStatus}` : undefined);
          recordMetric.dispatchOutcome(outcome.kind === 'retry' ? 'retry' : 'failed', code);
          return outcome;
        }
        // Not the provider's answer (a bug): hand the message back and let the broker retry it.
        await releaseClaim(ctx, 'internal error (outcome unknown: a duplicate is possible)');
        throw err;
      }
      endCall();
      recordMetric.dispatchOutcome('sent');
      // The number's in-flight place is the provider call's; recording the answer is ours.
      lanes.leave(ticket);
      return await onSent(ctx, result);
    } finally {
      lanes.leave(ticket);
    }
  }

  return {
    dispatch,
    /**
     * The broker is about to park a message (its attempts are used up): record that we gave up,
     * with our own text and a null code, so the message does not stay non-final in silence.
     */
    async abandon(envelope: DispatchEnvelopeV1, reason: string): Promise<boolean> {
      recordMetric.dispatchOutcome('parked');
      return repo.abandon(envelope.messageId, ABANDONED_TITLE, reason);
    },
    /** Stop taking work: what has not started is handed back (deferred); calls in flight finish. */
    shutdown(): void {
      stopping = true;
      lanes.close();
    },
    /** The shutdown deadline passed: status writes still failing give up (logged by the caller). */
    abandonWrites(): void {
      writesAbandoned = true;
    },
  };
}

export type Dispatcher = ReturnType<typeof dispatchMessageUseCase>;
