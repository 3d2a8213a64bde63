import type { Config } from '@flowgate/config';
import type { DispatchEnvelopeV1 } from '@flowgate/contracts';
import { createDatabase, startChangeFeed, TokenCipher, type Database } from '@flowgate/db';
import type { Logger } from '@flowgate/logger';
import { createRabbitBroker, type Broker } from '@flowgate/messaging';
import {
  ApiKeyVerifier,
  QueuedMarker,
  apiKeyRepository,
  apiKeyService,
  createArgon2Hasher,
  createLocalRevocationBus,
  createPgRevocationBus,
  messageRepository,
  phoneNumberService,
  sendMessageUseCase,
  startOutboxRelay,
  templateService,
  workspaceService,
  type EnvelopePublisher,
  type OutboxRelay,
  type RevocationBus,
} from '@flowgate/core';
import type { AppDependencies } from './app';

export interface ApiRuntime {
  deps: AppDependencies;
  db: Database;
  broker: Broker;
  relay: OutboxRelay;
  /** Stops the relay and timers, flushes batched writes, closes broker and pool. */
  close(): Promise<void>;
}

export interface RuntimeOverrides {
  db?: Database;
  /** The in-process broker shared with the dispatcher in single-process mode. */
  broker?: Broker;
  revocationBus?: RevocationBus;
  lastUsedFlushMs?: number;
  relayIntervalMs?: number;
  relayOlderThanMs?: number;
  /** How long Idempotency-Keys are kept (default: IDEMPOTENCY_KEY_RETENTION_HOURS). */
  idempotencyRetentionMs?: number;
  /** How often the relay frees expired Idempotency-Keys (default every minute). */
  purgeIntervalMs?: number;
}

export function envelopePublisher(broker: Broker): EnvelopePublisher {
  return {
    publish: (envelope: DispatchEnvelopeV1) =>
      broker.publish({
        body: Buffer.from(JSON.stringify(envelope)),
        messageId: envelope.messageId,
        correlationId: envelope.requestId,
        contentType: 'application/json',
      }),
  };
}

/** The composition root of public-api: every dependency is made here and passed down. */
export async function createApiRuntime(
  config: Config,
  logger: Logger,
  overrides: RuntimeOverrides = {},
): Promise<ApiRuntime> {
  const db =
    overrides.db ??
    createDatabase(config.database, {
      poolMax: config.databasePoolMax,
      statementTimeoutMs: config.databaseStatementTimeoutMs,
      log: logger,
    });
  // The API starts (and keeps accepting sends) while RabbitMQ is down: the outbox relay catches up.
  const broker =
    overrides.broker ??
    (config.amqp.url !== undefined
      ? await createRabbitBroker({
          url: config.amqp.url,
          prefix: config.amqp.prefix,
          delayTiersMs: config.dispatch.retryDelaysMs,
          logger,
          waitForConnection: false,
        })
      : undefined);
  if (!broker)
    throw new Error('public-api needs AMQP_URL, or a broker passed in (single-process mode: pnpm start)');
  const hasher = createArgon2Hasher(config.argon2);
  const bus =
    overrides.revocationBus ??
    (config.database.kind === 'postgres'
      ? createPgRevocationBus({ connectionString: config.database.url, db, logger })
      : createLocalRevocationBus());
  const keysRepo = apiKeyRepository(db);
  const verifier = new ApiKeyVerifier(keysRepo, hasher, config.auth);
  verifier.attach(bus);
  const cipher = new TokenCipher(config.secretKey);
  const messages = messageRepository(db);
  const queued = new QueuedMarker(messages, logger);
  const publisher = envelopePublisher(broker);
  // Send-path lookups are cached (ADR 0011). With PostgreSQL, a trigger announces every change of
  // templates and numbers, so entries are dropped within milliseconds; the TTL only bounds a
  // missed notice. Embedded mode has one process and a short TTL.
  const cacheTtlMs = config.database.kind === 'postgres' ? 30_000 : 5_000;
  const phoneNumbers = phoneNumberService(db, cipher, { cacheTtlMs });
  const templates = templateService(db, { cacheTtlMs });
  const changes =
    config.database.kind === 'postgres'
      ? startChangeFeed({
          connectionString: config.database.url,
          log: logger,
          onChange: ({ table, workspaceId }) => {
            if (table === 'templates') templates.invalidate(workspaceId);
            if (table === 'phone_numbers') phoneNumbers.invalidate(workspaceId);
          },
          onReset: () => {
            templates.invalidate();
            phoneNumbers.invalidate();
          },
        })
      : undefined;
  const relay = startOutboxRelay({
    messages,
    publisher,
    queued,
    logger,
    intervalMs: overrides.relayIntervalMs,
    olderThanMs: overrides.relayOlderThanMs,
    idempotencyRetentionMs: overrides.idempotencyRetentionMs ?? config.idempotencyRetentionMs,
    purgeIntervalMs: overrides.purgeIntervalMs,
  });

  // last_used_at is gathered in memory and written in one statement every few seconds.
  const flushLastUsed = async (): Promise<void> => {
    const batch = verifier.drainLastUsed();
    try {
      await keysRepo.touchLastUsed(batch);
    } catch (err) {
      logger.warn('could not record API key last use', {
        err: err instanceof Error ? err.message : String(err),
        keys: batch.size,
      });
    }
  };
  const timer = setInterval(() => void flushLastUsed(), overrides.lastUsedFlushMs ?? 10_000);
  timer.unref();

  const deps: AppDependencies = {
    logger,
    jwtSecret: config.jwtSecret,
    trustProxy: config.http.trustProxy,
    metricsToken: config.metrics.token,
    verifier,
    workspaces: workspaceService(db, hasher),
    apiKeys: apiKeyService(db, hasher, bus),
    templates,
    messages,
    sendMessage: sendMessageUseCase({ db, phoneNumbers, templates, publisher, queued, logger }),
    readiness: {
      database: async () => {
        await db.raw('SELECT 1');
        return true;
      },
      broker: () => Promise.resolve(broker.isHealthy()),
    },
  };

  return {
    deps,
    db,
    broker,
    relay,
    async close() {
      clearInterval(timer);
      await relay.stop();
      await queued.flush();
      await flushLastUsed();
      await bus.close();
      await changes?.close();
      if (!overrides.broker) await broker.close();
      if (!overrides.db) await db.destroy();
    },
  };
}
