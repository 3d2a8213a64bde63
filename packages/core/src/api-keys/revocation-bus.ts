import { Client } from 'pg';
import type { Knex } from 'knex';
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
  publish(apiKey: string, trx?: Knex | Knex.Transaction): Promise<void>;
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
  db: Knex;
  logger: Logger;
  reconnectMaxMs?: number;
}): RevocationBus {
  const { connectionString, db, logger } = options;
  let handlers: Parameters<RevocationBus['subscribe']>[0] | undefined;
  let client: Client | undefined;
  let closed = false;
  let attempt = 0;
  let timer: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    if (closed || !handlers) return;
    const c = new Client({ connectionString, application_name: 'flowgate-revocations' });
    c.on('error', (err) => {
      logger.warn('revocation listener lost its connection', { err: err.message });
    });
    c.on('end', () => {
      if (client === c) {
        client = undefined;
        handlers?.onHealthy(false);
        schedule();
      }
    });
    c.on('notification', (n) => {
      if (n.channel === REVOCATION_CHANNEL && n.payload) handlers?.onRevoked(n.payload);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${REVOCATION_CHANNEL}`);
      client = c;
      attempt = 0;
      // Anything revoked while we were not listening is unknown to us: start from an empty cache.
      handlers.onReset();
      handlers.onHealthy(true);
    } catch (err) {
      logger.warn('revocation listener could not connect', {
        err: err instanceof Error ? err.message : String(err),
      });
      await c.end().catch(() => undefined);
      schedule();
    }
  };

  const schedule = (): void => {
    if (closed || timer) return;
    attempt += 1;
    const delay = Math.min(options.reconnectMaxMs ?? 5000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2);
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, delay);
    timer.unref();
  };

  return {
    async publish(apiKey, trx) {
      await (trx ?? db).raw('SELECT pg_notify(?, ?)', [REVOCATION_CHANNEL, apiKey]);
    },
    deliverLocally(apiKey) {
      handlers?.onRevoked(apiKey);
    },
    subscribe(h) {
      handlers = h;
      h.onHealthy(false);
      void connect();
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
