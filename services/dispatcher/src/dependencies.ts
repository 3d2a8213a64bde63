import type { Database } from '@flowgate/db';
import type { Broker, ConsumerHandle } from '@flowgate/messaging';
import type { DispatchEnvelopeV1 } from '@flowgate/contracts';
import { BROKER_MAX_ATTEMPTS, type Infrastructure } from '@flowgate/runtime';
import { createCloudApiClient } from '@flowgate/whatsapp-cloud';
import {
  createPoster,
  deliveryJobMessage,
  metaWebhookProcessor,
  webhookDeliveryWorker,
} from '@flowgate/core';
import { dispatchHandler } from './consumer/dispatch-consumer';
import { metaWebhookHandler } from './consumer/meta-consumer';
import { startMetaSweeps } from './modules/meta-sweeps';
import { webhookDeliveryHandler, type FollowUp } from './consumer/webhook-consumer';
import { publishAll, startWebhookRelay } from './modules/webhook-relay';
import { startBroadcastReleaser } from './modules/broadcast-releaser';
import { dispatchMessageUseCase } from './modules/dispatch-message';
import { DispatchStats } from './modules/dispatch-stats';
import { NumberLanes } from './modules/lanes';
import { NumberPacer, NumberPauses, PairLimiter } from './modules/pacer';
import { SendingNumbers } from './modules/sending-numbers';
import { addQueueProbe } from '@flowgate/metrics';

export { BROKER_MAX_ATTEMPTS };

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
   * Past the shutdown deadline: in-flight work gives up its status writes (the messages stay
   * claimed and are taken over, flagged, later).
   */
  abandon(): void;
}

export interface DispatcherOverrides {
  credentialsTtlMs?: number;
}

/** Deliveries may wait this long in memory for their number's turn before being deferred. */
const MAX_WAIT_MS = 1000;
/** How often the dispatchers consuming the queue are counted (each takes its share of a rate). */
const SHARE_POLL_MS = 2000;

/** The composition root of the dispatcher: its modules, on the infrastructure it is given. */
export function createDispatcherRuntime(
  infra: Infrastructure,
  overrides: DispatcherOverrides = {},
): DispatcherRuntime {
  const { config, logger, db, broker, cipher, stores } = infra;
  const d = config.dispatch;
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
    repo: stores.phoneNumbers,
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
    repo: stores.messages,
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

  const stats = new DispatchStats(logger);

  let consumer: ConsumerHandle | undefined;
  let metaConsumer: ConsumerHandle | undefined;
  let metaSweeps: { stop(): Promise<void> } | undefined;
  let webhookConsumer: ConsumerHandle | undefined;
  let webhookRelay: { stop(): Promise<void> } | undefined;
  let broadcastConsumer: ConsumerHandle | undefined;
  let broadcastReleaser: { stop(): Promise<void> } | undefined;
  const w = config.webhooks;
  const webhookWorker = webhookDeliveryWorker({
    store: stores.webhooks,
    cipher,
    poster: createPoster({ timeoutMs: w.timeoutMs, allowPrivateNetworks: w.allowPrivateNetworks }),
    logger,
    retryScheduleMs: w.retryScheduleMs,
    disableAfterMs: w.disableAfterMs,
    concurrencyPerEndpoint: w.concurrencyPerEndpoint,
  });
  let sharePoll: NodeJS.Timeout | undefined;
  const countDispatchers = async (): Promise<void> => {
    try {
      numbers.setDispatchers(await broker.consumerCount());
    } catch (err) {
      logger.debug('could not count the dispatchers; keeping the last count', {
        err,
      });
    }
  };

  // Queue depth and age for /metrics, read at each scrape: the outbox (stored, not yet on the
  // broker) from PostgreSQL, and the broker's work, retry and parking queues.
  const removeQueueProbe = addQueueProbe(async () => {
    const [outbox, stats] = await Promise.all([stores.messages.outboxBacklog(), broker.stats()]);
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
      numbers.stop();
      // Stop taking deliveries first, then hand back what has not started; stop() resolves once
      // every handler (calls in flight and their status writes) has settled.
      const stopped = consumer?.stop();
      const metaStopped = metaConsumer?.stop();
      const webhooksStopped = webhookConsumer?.stop();
      const broadcastsStopped = broadcastConsumer?.stop();
      await broadcastReleaser?.stop();
      await webhookRelay?.stop();
      dispatcher.shutdown();
      await stopped;
      await broadcastsStopped;
      await metaStopped;
      await metaSweeps?.stop();
      await webhooksStopped;
      webhookWorker.close();
      stats.stop();
      client.close();
    })();
    return closing;
  };

  return {
    db,
    broker,
    async start() {
      consumer = await broker.consume(dispatchHandler(dispatcher, logger, BROKER_MAX_ATTEMPTS, stats.count), {
        prefetch: d.prefetch,
      });
      // Meta's webhooks in (docs/contracts.md §9): every dispatcher is also a worker of the Meta hop.
      const metaBroker = await infra.metaBroker();
      metaConsumer = await metaBroker.consume(
        metaWebhookHandler(metaWebhookProcessor(stores.metaEvents, logger), logger),
        { prefetch: config.meta.workerPrefetch },
      );
      metaSweeps = startMetaSweeps({
        store: stores.metaEvents,
        broker: metaBroker,
        logger,
        pendingMaxAgeMs: config.meta.pendingStatusMs,
      });
      // Partner webhooks (docs/contracts.md §10, ADR 0039): every dispatcher relays the outbox and
      // delivers, each endpoint capped per process.
      const webhookBroker = await infra.webhookBroker();
      const publishFollowUps = (jobs: FollowUp[]): Promise<void> =>
        publishAll(webhookBroker, jobs.map(deliveryJobMessage));
      webhookConsumer = await webhookBroker.consume(
        webhookDeliveryHandler(webhookWorker, publishFollowUps, logger),
        { prefetch: w.prefetch },
      );
      webhookRelay = startWebhookRelay({ store: stores.webhooks, broker: webhookBroker, logger });
      // Broadcasts (docs/contracts.md §11, ADR 0041): released here at the number's pace, on their
      // own hop, and dispatched at low priority: behind this number's single sends.
      const broadcastBroker = await infra.broadcastBroker();
      const lowPriority = {
        ...dispatcher,
        dispatch: (e: DispatchEnvelopeV1) => dispatcher.dispatch(e, 'low'),
      };
      broadcastConsumer = await broadcastBroker.consume(
        dispatchHandler(lowPriority, logger, BROKER_MAX_ATTEMPTS, stats.count),
        { prefetch: d.prefetch },
      );
      broadcastReleaser = startBroadcastReleaser({
        store: stores.broadcasts,
        messages: stores.messages,
        broker: broadcastBroker,
        loadNumber: (id) => numbers.get(id),
        pacer,
        logger,
      });
      stats.start();
      numbers.start();
      await countDispatchers();
      sharePoll = setInterval(() => void countDispatchers(), SHARE_POLL_MS);
      sharePoll.unref();
    },
    close,
    abandon() {
      dispatcher.abandonWrites();
    },
  };
}
