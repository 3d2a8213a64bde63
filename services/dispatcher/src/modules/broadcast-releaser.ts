import type { DispatchEnvelopeV1 } from '@flowgate/contracts';
import type { BroadcastStore, MessageAcceptStore } from '@flowgate/core';
import type { Logger } from '@flowgate/logger';
import type { Broker } from '@flowgate/messaging';
import type { NumberPacer } from './pacer';

/** A number's released-but-unsent broadcast messages: at least this many, else 2 s of its rate. */
const MIN_PIPE = 20;
const PIPE_SECONDS = 2;
/** Most recipients one release statement turns into messages. */
const MAX_BATCH = 500;

/**
 * The broadcast releaser (ADR 0041), in every dispatcher: due SCHEDULED broadcasts start; each
 * number with pending recipients gets messages released while its pipe (released, not yet
 * claimed) stays under about two seconds of its rate; they are published on the broadcast hop
 * (`<prefix>.broadcasts`), consumed at low priority in the number's lane, behind single sends.
 * Broadcasts whose recipients all have an outcome are finished (`broadcast.completed`, once).
 */
export function startBroadcastReleaser(o: {
  store: BroadcastStore;
  messages: Pick<MessageAcceptStore, 'markQueued'>;
  broker: Broker;
  /** Loads the number (and its rate into the pacer). */
  loadNumber(numberId: string): Promise<unknown>;
  pacer: NumberPacer;
  logger: Logger;
  intervalMs?: number;
}): { stop(): Promise<void>; runOnce(): Promise<number> } {
  const every = o.intervalMs ?? 100;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let lastStart = 0;
  let lastFinish = 0;

  const publish = async (items: Awaited<ReturnType<BroadcastStore['release']>>): Promise<void> => {
    const results = await o.broker.publishBatch(
      items.map((m) => {
        const envelope: DispatchEnvelopeV1 = {
          schemaVersion: 1,
          messageId: m.id,
          workspaceId: m.workspaceId,
          phoneNumberId: m.phoneNumberId,
          createdAt: m.createdAt.toISOString(),
          ...(m.requestId !== null ? { requestId: m.requestId } : {}),
        };
        return {
          body: Buffer.from(JSON.stringify(envelope)),
          messageId: m.id,
          ...(m.requestId !== null ? { correlationId: m.requestId } : {}),
          contentType: 'application/json',
        };
      }),
    );
    const ok = results.flatMap((r) => (r.ok ? [r.messageId] : []));
    // What did not go out stays ACCEPTED: the outbox relay publishes it again (ADR 0002).
    if (ok.length < items.length)
      o.logger.warn('could not publish every released broadcast message; the outbox relay will', {
        released: items.length,
        published: ok.length,
      });
    if (ok.length > 0) await o.messages.markQueued(ok);
  };

  /** One pass; returns how many messages were released. */
  const runOnce = async (): Promise<number> => {
    const now = Date.now();
    if (now - lastStart >= 1000) {
      lastStart = now;
      const started = await o.store.startDue();
      if (started > 0) o.logger.info('scheduled broadcasts started', { count: started });
    }
    let released = 0;
    for (const numberId of await o.store.numbersWithPending()) {
      await o.loadNumber(numberId);
      const bound = Math.max(MIN_PIPE, Math.ceil(o.pacer.rate(numberId) * PIPE_SECONDS));
      const items = await o.store.release(numberId, bound, MAX_BATCH);
      if (items.length > 0) await publish(items);
      released += items.length;
    }
    if (now - lastFinish >= 500) {
      lastFinish = now;
      const finished = await o.store.finishDone();
      if (finished.length > 0) o.logger.info('broadcasts finished', { broadcastIds: finished });
    }
    return released;
  };

  const tick = (): void => {
    if (stopped) return;
    running = (async () => {
      let released = 0;
      try {
        released = await runOnce();
      } catch (err) {
        o.logger.warn('broadcast releaser failed; trying again', { err });
      }
      if (stopped) return;
      timer = setTimeout(tick, released >= MAX_BATCH ? 0 : every);
      timer.unref();
    })();
  };
  tick();
  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
