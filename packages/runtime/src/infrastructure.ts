import type { Config } from '@flowgate/config';
import { createArgon2Hasher, createStores, type Hasher, type Stores } from '@flowgate/core';
import { createDatabase, startChangeFeed, TokenCipher, type Change, type Database } from '@flowgate/db';
import type { Logger } from '@flowgate/logger';
import {
  createInMemoryBroker,
  createRabbitBroker,
  DEFAULT_DELAY_TIERS_MS,
  type Broker,
} from '@flowgate/messaging';

/**
 * The broker's own bound on real attempts (provider retries, internal errors); deferrals (pacing,
 * pauses, claims held elsewhere) do not count. DISPATCH_MAX_ATTEMPTS, in the database, bounds the
 * provider calls; this bound only ends a message that fails for other reasons forever.
 */
export const BROKER_MAX_ATTEMPTS = 100;
/** The in-process broker (embedded mode) keeps a message going longer: it has nobody to hand it to. */
const IN_MEMORY_MAX_ATTEMPTS = 1000;

export interface ChangeListener {
  onChange(change: Change): void;
  /** Changes may have been missed (a reconnect): drop everything cached. */
  onReset(): void;
}

/** What every Flowgate process runs on: made once, here, for the runtimes, the CLI and `pnpm start`. */
export interface Infrastructure {
  config: Config;
  logger: Logger;
  db: Database;
  stores: Stores;
  broker: Broker;
  /**
   * The broker hop of Meta's webhooks (docs/contracts.md §9, ADR 0037): its own topology,
   * `<AMQP_PREFIX>.meta.*`, made on first use (the API publishes stored webhooks' ids, dispatchers
   * consume them).
   */
  metaBroker(): Promise<Broker>;
  /**
   * The partner webhook deliveries' hop (docs/contracts.md §10, ADR 0039): `<AMQP_PREFIX>.webhooks.*`,
   * its delay tiers the retry schedule's delays; made on first use.
   */
  webhookBroker(): Promise<Broker>;
  /**
   * Broadcast messages' hop (docs/contracts.md §11, ADR 0041): `<AMQP_PREFIX>.broadcasts.*`, never
   * in front of single sends on the dispatch queue; the dispatch queue's retry delays; made on first use.
   */
  broadcastBroker(): Promise<Broker>;
  cipher: TokenCipher;
  hasher: Hasher;
  /**
   * Change notices from the database (ADR 0011), for caches. With PostgreSQL the first listener
   * starts one LISTEN connection; embedded mode has one process and no notices.
   */
  onChanges(listener: ChangeListener): void;
  /** Closes what this made: the change feed, then the broker and the pool (not what was passed in). */
  close(): Promise<void>;
}

export interface InfrastructureOptions {
  /** Use this database (shared with another runtime in the same process); not closed by `close()`. */
  db?: Database;
  /** Use this broker (shared in single-process mode); not closed by `close()`. */
  broker?: Broker;
  /** Use this broker for Meta's webhooks (shared in single-process mode); not closed by `close()`. */
  metaBroker?: Broker;
  /** Without AMQP_URL: the in-process broker (embedded mode, `pnpm start`) instead of an error. */
  withoutAmqp?: 'in-memory' | 'refuse';
  /** false: the process publishes and consumes nothing (the CLI); no broker connection is made. */
  needsBroker?: boolean;
  /** Pool size (default DATABASE_POOL_MAX). */
  poolMax?: number;
}

/** The broker a process gets when it needs none (the CLI): every use is a bug. */
const NO_BROKER = new Proxy({} as Broker, {
  get(_t, prop) {
    if (prop === 'close') return () => Promise.resolve();
    if (prop === 'then') return undefined;
    throw new Error(`this process has no broker (Broker.${String(prop)})`);
  },
});

/** One way to make the database, stores, broker, change feed, cipher and hasher. */
export async function createInfrastructure(
  config: Config,
  logger: Logger,
  options: InfrastructureOptions = {},
): Promise<Infrastructure> {
  const db =
    options.db ??
    createDatabase(config.database, {
      poolMax: options.poolMax ?? config.databasePoolMax,
      statementTimeoutMs: config.databaseStatementTimeoutMs,
      log: logger,
    });
  const broker = options.broker ?? (options.needsBroker === false ? NO_BROKER : await makeBroker());
  const listeners: ChangeListener[] = [];
  let feed: { close(): Promise<void> } | undefined;
  let metaBroker: Promise<Broker> | undefined = options.metaBroker
    ? Promise.resolve(options.metaBroker)
    : undefined;
  let webhookBroker: Promise<Broker> | undefined;
  let broadcastBroker: Promise<Broker> | undefined;

  async function makeBroker(hop?: 'meta' | 'webhooks' | 'broadcasts'): Promise<Broker> {
    // Meta's hop retries on the default tiers (a database outage), partner webhooks on their
    // schedule, the dispatch queue on its own.
    const delayTiersMs =
      hop === 'meta'
        ? DEFAULT_DELAY_TIERS_MS
        : hop === 'webhooks'
          ? webhookDelayTiers(config.webhooks.retryScheduleMs)
          : config.dispatch.retryDelaysMs;
    const meta = hop !== undefined;
    if (config.amqp.url !== undefined)
      // Processes start (and the API keeps accepting sends) while RabbitMQ is down.
      return createRabbitBroker({
        url: config.amqp.url,
        prefix: hop === undefined ? config.amqp.prefix : `${config.amqp.prefix}.${hop}`,
        delayTiersMs,
        maxAttempts: BROKER_MAX_ATTEMPTS,
        logger,
        waitForConnection: false,
      });
    if (options.withoutAmqp === 'in-memory' || (meta && options.broker))
      return createInMemoryBroker({ logger, delayTiersMs, maxAttempts: IN_MEMORY_MAX_ATTEMPTS });
    if (!options.db) await db.destroy();
    throw new Error('this process needs AMQP_URL, or a broker passed in (single-process mode: pnpm start)');
  }

  return {
    config,
    logger,
    db,
    stores: createStores(db, { claimTimeoutMs: config.dispatch.claimTimeoutMs }),
    broker,
    metaBroker() {
      if (options.needsBroker === false) return Promise.resolve(NO_BROKER);
      metaBroker ??= makeBroker('meta');
      return metaBroker;
    },
    webhookBroker() {
      if (options.needsBroker === false) return Promise.resolve(NO_BROKER);
      webhookBroker ??= makeBroker('webhooks');
      return webhookBroker;
    },
    broadcastBroker() {
      if (options.needsBroker === false) return Promise.resolve(NO_BROKER);
      broadcastBroker ??= makeBroker('broadcasts');
      return broadcastBroker;
    },
    cipher: new TokenCipher(config.secretKey),
    hasher: createArgon2Hasher(config.argon2),
    onChanges(listener) {
      listeners.push(listener);
      if (feed || config.database.kind !== 'postgres') return;
      feed = startChangeFeed({
        connectionString: config.database.url,
        log: logger,
        onChange: (change) => listeners.forEach((l) => l.onChange(change)),
        onReset: () => listeners.forEach((l) => l.onReset()),
      });
    },
    async close() {
      await feed?.close();
      if (metaBroker && !options.metaBroker) await (await metaBroker).close();
      if (webhookBroker) await (await webhookBroker).close();
      if (broadcastBroker) await (await broadcastBroker).close();
      if (!options.broker) await broker.close();
      if (!options.db) await db.destroy();
    },
  };
}

/** The webhook hop's delay tiers: the retry schedule's delays (0, "at once", is no tier). */
export function webhookDelayTiers(scheduleMs: readonly number[]): number[] {
  const tiers = [...new Set(scheduleMs.filter((d) => d > 0))].sort((a, b) => a - b);
  return tiers.length > 0 ? tiers : [1000];
}
