import { notify, startPgListener, type Database, type PgListener } from '@flowgate/db';
import type { Logger } from '@flowgate/logger';

export const REVOCATION_CHANNEL = 'flowgate_api_key_revoked';

/**
 * Carries "this API key was revoked" to every running API process (ADR 0003). PostgreSQL
 * LISTEN/NOTIFY with several processes; a direct callback in single-process embedded mode.
 */
export interface RevocationBus {
  /**
   * Announce a revocation to the other processes. For PostgreSQL, pass the transaction so the
   * notice goes out on commit.
   */
  publish(apiKey: string, trx?: Database): Promise<void>;
  /**
   * Deliver a revocation to this process's own subscriber at once, so the revoking process does
   * not wait for its own notice. Call it after the revoking transaction has committed.
   */
  deliverLocally(apiKey: string): void;
  /** `onRevoked` for each revoked key; `onReset` when notices may have been missed (clear caches). */
  subscribe(handlers: {
    onRevoked(apiKey: string): void;
    onReset(): void;
    onHealthy(healthy: boolean): void;
  }): void;
  close(): Promise<void>;
}

export function createLocalRevocationBus(): RevocationBus {
  const subscribers: Array<{ onRevoked(apiKey: string): void }> = [];
  return {
    // One process: nobody else to tell; `deliverLocally` (after commit) reaches the subscribers.
    publish: () => Promise.resolve(),
    deliverLocally(apiKey) {
      for (const s of subscribers) s.onRevoked(apiKey);
    },
    subscribe(handlers) {
      subscribers.push(handlers);
      handlers.onHealthy(true);
    },
    close: () => Promise.resolve(),
  };
}

export function createPgRevocationBus(options: {
  connectionString: string;
  db: Database;
  logger: Logger;
  reconnectMaxMs?: number;
}): RevocationBus {
  const { connectionString, db, logger } = options;
  let handlers: Parameters<RevocationBus['subscribe']>[0] | undefined;
  let listener: PgListener | undefined;

  return {
    async publish(apiKey, trx) {
      await notify(trx ?? db, REVOCATION_CHANNEL, apiKey);
    },
    deliverLocally(apiKey) {
      handlers?.onRevoked(apiKey);
    },
    subscribe(h) {
      handlers = h;
      h.onHealthy(false);
      listener = startPgListener({
        connectionString,
        channel: REVOCATION_CHANNEL,
        applicationName: 'flowgate-revocations',
        onNotification: (apiKey) => h.onRevoked(apiKey),
        onListening: () => {
          // Anything revoked while we were not listening is unknown to us: start from an empty cache.
          h.onReset();
          h.onHealthy(true);
        },
        onLost: () => h.onHealthy(false),
        log: logger,
        ...(options.reconnectMaxMs !== undefined ? { reconnectMaxMs: options.reconnectMaxMs } : {}),
      });
    },
    async close() {
      await listener?.close();
    },
  };
}
