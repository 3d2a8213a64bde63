import type { Config } from '@flowgate/config';
import { createDatabase, TokenCipher, type Database } from '@flowgate/db';
import type { Logger } from '@flowgate/logger';
import { createRabbitBroker, type Broker, type ConsumerHandle } from '@flowgate/messaging';
import { createCloudApiClient } from '@flowgate/whatsapp-cloud';
import { dispatchHandler } from './consumer/dispatch-consumer';
import { deliveryRepository } from './modules/delivery.repository';
import { dispatchMessageUseCase } from './modules/dispatch-message';
import { NumberPacer, NumberPauses, PairLimiter } from './modules/pacer';

export interface DispatcherRuntime {
  db: Database;
  broker: Broker;
  /** Starts consuming; resolves once the consumer is registered. */
  start(): Promise<void>;
  /** Graceful stop: no new deliveries, in-flight ones finish and are settled, connections close. */
  close(): Promise<void>;
}

export interface DispatcherOverrides {
  db?: Database;
  broker?: Broker;
  credentialsTtlMs?: number;
}

/**
 * The provider attempt budget lives in the database (DISPATCH_MAX_ATTEMPTS); pacing also sends
 * deliveries through delay queues, so the broker's own redelivery bound only catches loops.
 */
export const BROKER_MAX_REDELIVERY_ATTEMPTS = 1000;

/** The composition root of the dispatcher. */
export async function createDispatcherRuntime(
  config: Config,
  logger: Logger,
  overrides: DispatcherOverrides = {},
): Promise<DispatcherRuntime> {
  const db =
    overrides.db ?? createDatabase(config.database, { poolMax: config.databasePoolMax, log: logger });
  const broker =
    overrides.broker ??
    (config.amqp.url !== undefined
      ? await createRabbitBroker({
          url: config.amqp.url,
          prefix: config.amqp.prefix,
          delayTiersMs: config.dispatch.retryDelaysMs,
          maxAttempts: BROKER_MAX_REDELIVERY_ATTEMPTS,
          logger,
          waitForConnection: false,
        })
      : undefined);
  if (!broker)
    throw new Error('the dispatcher needs AMQP_URL, or a broker passed in (single-process mode: pnpm start)');
  const cipher = new TokenCipher(config.secretKey);
  const deliveries = deliveryRepository(db, config.dispatch.claimTimeoutMs);
  const client = createCloudApiClient({
    baseUrl: config.graph.baseUrl,
    graphVersion: config.graph.version,
    timeoutMs: config.dispatch.providerTimeoutMs,
  });

  // Decrypted tokens are kept briefly in memory so the hot path does not read and decrypt per message.
  const credentialCache = new Map<
    string,
    { value: { providerPhoneNumberId: string; accessToken: string }; expiresAt: number }
  >();
  const credentialsTtlMs = overrides.credentialsTtlMs ?? 60_000;
  const credentials = async (
    phoneNumberId: string,
  ): Promise<{ providerPhoneNumberId: string; accessToken: string }> => {
    const hit = credentialCache.get(phoneNumberId);
    if (hit && hit.expiresAt > Date.now()) return hit.value;
    const row = await deliveries.sendingNumber(phoneNumberId);
    if (!row) throw new Error(`sending number ${phoneNumberId} not found`);
    const value = {
      providerPhoneNumberId: row.providerPhoneNumberId,
      accessToken: cipher.decrypt(row.accessTokenEncrypted, row.workspaceId),
    };
    credentialCache.set(phoneNumberId, { value, expiresAt: Date.now() + credentialsTtlMs });
    return value;
  };

  const dispatchMessage = dispatchMessageUseCase({
    deliveries,
    client,
    credentials,
    pacer: new NumberPacer(
      config.dispatch.ratePerNumber,
      1000,
      Math.max(1, Math.floor(config.dispatch.prefetch / 4)),
    ),
    pairs: new PairLimiter(config.dispatch.pairBurst, config.dispatch.pairPerMinute),
    pauses: new NumberPauses(),
    logger,
    maxAttempts: config.dispatch.maxAttempts,
  });

  let consumer: ConsumerHandle | undefined;
  return {
    db,
    broker,
    async start() {
      consumer = await broker.consume(dispatchHandler(dispatchMessage, logger), {
        prefetch: config.dispatch.prefetch,
      });
    },
    async close() {
      await consumer?.stop();
      if (!overrides.broker) await broker.close();
      if (!overrides.db) await db.destroy();
    },
  };
}
