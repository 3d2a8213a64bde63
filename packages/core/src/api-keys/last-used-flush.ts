import type { Logger } from '@flowgate/logger';
import type { ApiKeyStore } from './api-key-store';
import type { ApiKeyVerifier } from './api-key-verifier';

export interface LastUsedFlush {
  /** Stops the timer and writes what was gathered since the last flush. */
  stop(): Promise<void>;
}

/**
 * `last_used_at` is gathered in memory by the verifier and written in one statement every
 * `intervalMs` (ADR 0003), not once per request.
 */
export function startLastUsedFlush(
  verifier: Pick<ApiKeyVerifier, 'drainLastUsed'>,
  store: Pick<ApiKeyStore, 'touchLastUsed'>,
  logger: Logger,
  intervalMs = 10_000,
): LastUsedFlush {
  const flush = async (): Promise<void> => {
    const batch = verifier.drainLastUsed();
    try {
      await store.touchLastUsed(batch);
    } catch (err) {
      logger.warn('could not record API key last use', { err, keys: batch.size });
    }
  };
  const timer = setInterval(() => void flush(), intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await flush();
    },
  };
}
