import type { Config } from '@flowgate/config';
import { createDatabase, TokenCipher, type Database } from '@flowgate/db';
import type { Logger } from '@flowgate/logger';
import { createRabbitBroker, type Broker, type ConsumerHandle } from '@flowgate/messaging';
import { createCloudApiClient } from '@flowgate/whatsapp-cloud';
import { dispatchHandler } from './consumer/dispatch-consumer';
import { deliveryRepository } from './modules/delivery.repository';
import { dispatchMessageUseCase } from './modules/dispatch-message';
import { NumberLanes } from './modules/lanes';
import { NumberPacer, NumberPauses, PairLimiter } from './modules/pacer';
import { SendingNumbers } from './modules/sending-numbers';
import { addQueueProbe } from '@flowgate/metrics';

export interface DispatcherRuntime {
  db: Database;
  broker: Broker;
  /** Starts consuming; resolves once the consumer is registered. */
  start(): Promise<void>;
  /**
   * Graceful stop: no new deliveries; what waits for its turn is handed back (deferred, not an
   * attempt); calls in flight finish and are recorded; connections close.
   */
  close(): Promise<void>;
  /**
   * `close()` with a deadline: 'clean', or 'timeout' when in-flight work was still running (its
   * status writes then give up; the messages stay claimed and are taken over, flagged, later).
   */
  closeWithin(ms: number): Promise<'clean' | 'timeout'>;
}

export interface DispatcherOverrides {
  db?: Database;
  broker?: Broker;
  credentialsTtlMs?: number;
}

/**
 * The broker's own bound on real attempts (provider retries, internal errors); deferrals (pacing,
 * pauses, claims held elsewhere) do not count. DISPATCH_MAX_ATTEMPTS, in the database, bounds the
 * provider calls; this bound only ends a message that fails for other reasons forever.
 */
export const BROKER_MAX_ATTEMPTS = 100;

/** Deliveries may wait this long in memory for their number's turn before being deferred. */
const MAX_WAIT_MS = 1000;
/** How often the dispatchers consuming the queue are counted (each takes its share of a rate). */
const SHARE_POLL_MS = 2000;
const STATS_INTERVAL_MS = 60_000;

/** The composition root of the dispatcher. */
export async function createDispatcherRuntime(
  config: Config,
  logger: Logger,
  overrides: DispatcherOverrides = {},
): Promise<DispatcherRuntime> {
  const d = config.dispatch;
  const db =
    overrides.db ??
    createDatabase(config.database, {
      poolMax: config.databasePoolMax,
      statementTimeoutMs: config.databaseStatementTimeoutMs,
      log: logger,
    });
  const broker =
    overrides.broker ??
    (config.amqp.url !== undefined
      ? await createRabbitBroker({
          url: config.amqp.url,
          prefix: config.amqp.prefix,
          delayTiersMs: d.retryDelaysMs,
          maxAttempts: BROKER_MAX_ATTEMPTS,
          logger,
          waitForConnection: false,
        })
      : undefined);
  if (!broker)
    throw new Error('the dispatcher needs AMQP_URL, or a broker passed in (single-process mode: pnpm start)');
  const cipher = new TokenCipher(config.secretKey);
  const repo = deliveryRepository(db, d.claimTimeoutMs);
  const client = createCloudApiClient({
    baseUrl: config.graph.baseUrl,
    graphVersion: config.graph.version,
    timeoutMs: d.providerTimeoutMs,
    // Every delivery held may be a call in flight: never make one wait for a connection.
    maxSockets: d.prefetch,
  });
  const pacer = new NumberPacer();
  const pairs = new PairLimiter(d.pairBurst, d.pairPerMinute);
  const pauses = new NumberPauses();
  const numbers = new SendingNumbers({
    repo,
    decrypt: (encrypted, workspaceId) => cipher.decrypt(encrypted, workspaceId),
    pacer,
    pairs,
    pauses,
    logger,
    defaultRate: d.ratePerNumber,
    pairBurst: d.pairBurst,
    pairPerMinute: d.pairPerMinute,
    ...(overrides.credentialsTtlMs !== undefined ? { credentialsTtlMs: overrides.credentialsTtlMs } : {}),
  });
  const lanes = new NumberLanes({
    pacer,
    inFlightCap: d.inFlightPerNumber,
    maxWaitMs: MAX_WAIT_MS,
  });
  const dispatcher = dispatchMessageUseCase({
    repo,
    client,
    numbers,
    lanes,
    pacer,
    pairs,
    pauses,
    logger,
    maxAttempts: d.maxAttempts,
    accountPauseMs: d.accountPauseMs,
    // Each kind of statement (peek, claim, sent) gets a bounded share of the pool, so a status
    // write never queues behind a burst of claims.
    batchConcurrency: Math.max(1, Math.floor((config.databasePoolMax - 2) / 4)),
  });

  // What the dispatcher did, one line a minute (sent, failed, duplicates, retries and deferrals
  // by reason): the pacing and pausing that never show up per message.
  let outcomes = new Map<string, number>();
  const count = (outcome: string): void => {
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  };
  const report = (): void => {
    if (outcomes.size === 0) return;
    logger.info('dispatch outcomes', { sinceMs: STATS_INTERVAL_MS, outcomes: Object.fromEntries(outcomes) });
    outcomes = new Map();
  };

  let consumer: ConsumerHandle | undefined;
  let sharePoll: NodeJS.Timeout | undefined;
  let statsTimer: NodeJS.Timeout | undefined;
  const countDispatchers = async (): Promise<void> => {
    try {
      numbers.setDispatchers(await broker.consumerCount());
    } catch (err) {
      logger.debug('could not count the dispatchers; keeping the last count', {
        err: err instanceof Error ? err.message : String(err),
      });
    }
  };

  // Queue depth and age for /metrics, read at each scrape: the outbox (stored, not yet on the
  // broker) from PostgreSQL, and the broker's work, retry and parking queues.
  const removeQueueProbe = addQueueProbe(async () => {
    const [outbox, stats] = await Promise.all([repo.outboxBacklog(), broker.stats()]);
    return [
      { queue: 'outbox', depth: outbox.depth, oldestAgeSeconds: outbox.oldestAgeSeconds },
      { queue: 'work', depth: stats.ready, oldestAgeSeconds: 0 },
      { queue: 'retry', depth: stats.retrying, oldestAgeSeconds: 0 },
      { queue: 'parked', depth: stats.parked, oldestAgeSeconds: 0 },
    ];
  });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      removeQueueProbe();
      if (sharePoll) clearInterval(sharePoll);
      if (statsTimer) clearInterval(statsTimer);
      numbers.stop();
      // Stop taking deliveries first, then hand back what has not started; stop() resolves once
      // every handler (calls in flight and their status writes) has settled.
      const stopped = consumer?.stop();
      dispatcher.shutdown();
      await stopped;
      report();
      client.close();
      if (!overrides.broker) await broker.close();
      if (!overrides.db) await db.destroy();
    })();
    return closing;
  };

  return {
    db,
    broker,
    async start() {
      consumer = await broker.consume(dispatchHandler(dispatcher, logger, BROKER_MAX_ATTEMPTS, count), {
        prefetch: d.prefetch,
      });
      statsTimer = setInterval(report, STATS_INTERVAL_MS);
      statsTimer.unref();
      numbers.start();
      await countDispatchers();
      sharePoll = setInterval(() => void countDispatchers(), SHARE_POLL_MS);
      sharePoll.unref();
    },
    close,
    async closeWithin(ms) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), ms);
      });
      const result = await Promise.race([close().then(() => 'clean' as const), deadline]);
      clearTimeout(timer);
      if (result === 'timeout') dispatcher.abandonWrites();
      return result;
    },
  };
}
