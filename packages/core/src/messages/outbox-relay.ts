import type { Logger } from '@flowgate/logger';
import type { MessageRepository } from './message.repository';
import type { EnvelopePublisher } from './send-message';
import type { QueuedMarker } from './queued-marker';

/**
 * The messages table is the outbox (ADR 0002): every few seconds, whatever is still ACCEPTED
 * (broker was down, the process died after commit) is published again. Duplicates are harmless:
 * the dispatcher claims a message before calling the provider.
 */
export function startOutboxRelay(deps: {
  messages: MessageRepository;
  publisher: EnvelopePublisher;
  queued: QueuedMarker;
  logger: Logger;
  intervalMs?: number;
  olderThanMs?: number;
  stuckAfterMs?: number;
  batch?: number;
}): { stop(): Promise<void>; runOnce(): Promise<number> } {
  const intervalMs = deps.intervalMs ?? 2000;
  let running: Promise<number> | undefined;
  let stopped = false;

  const runOnce = async (): Promise<number> => {
    const due = await deps.messages.claimForRelay(
      deps.olderThanMs ?? 3000,
      deps.stuckAfterMs ?? 15 * 60_000,
      deps.batch ?? 500,
    );
    if (due.length === 0) return 0;
    const results = await Promise.allSettled(
      due.map(async (m) => {
        await deps.publisher.publish({
          schemaVersion: 1,
          messageId: m.id,
          workspaceId: m.workspaceId,
          phoneNumberId: m.phoneNumberId,
          createdAt: m.createdAt.toISOString(),
          ...(m.requestId ? { requestId: m.requestId } : {}),
        });
        deps.queued.add(m.id);
      }),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    if (ok < due.length)
      deps.logger.warn('outbox relay could not publish every message', { due: due.length, published: ok });
    else deps.logger.info('outbox relay republished messages', { count: ok });
    return ok;
  };

  const tick = (): void => {
    if (stopped || running) return;
    running = runOnce()
      .catch((err: unknown) => {
        deps.logger.warn('outbox relay failed', { err: err instanceof Error ? err.message : String(err) });
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
