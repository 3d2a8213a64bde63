import type { DispatchEnvelopeV1 } from '@flowgate/contracts';
import { Batcher, type Database } from '@flowgate/db';
import { UnavailableError } from '@flowgate/errors';
import type { Broker } from '@flowgate/messaging';
import { infrastructureChecks, type Infrastructure } from '@flowgate/runtime';
import {
  ApiKeyVerifier,
  QueuedMarker,
  apiKeyService,
  broadcastService,
  contactService,
  partnerRateLimiter,
  workspaceLimits,
  createPoster,
  deliveryJobMessage,
  webhookService,
  createLocalRevocationBus,
  createPgRevocationBus,
  createTemplateListClient,
  templateSyncService,
  knexMessageLogStore,
  phoneNumberService,
  sendMessageUseCase,
  startLastUsedFlush,
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
  /** Stops the relay and timers, flushes batched writes; the infrastructure is its maker's to close. */
  close(): Promise<void>;
}

export interface RuntimeOverrides {
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

/** The composition root of public-api: its services, on the infrastructure it is given. */
export function createApiRuntime(
  infra: Infrastructure,
  overrides: RuntimeOverrides = {},
): Promise<ApiRuntime> {
  const { config, logger, db, stores, broker, hasher, cipher } = infra;
  const bus =
    overrides.revocationBus ??
    (config.database.kind === 'postgres'
      ? createPgRevocationBus({ connectionString: config.database.url, db, logger })
      : createLocalRevocationBus());
  // Per-key request limits and the failed-auth budgets, on Redis when REDIS_URL is set (ADR 0040).
  const rateLimiter = partnerRateLimiter({ redisUrl: config.rateLimits.redisUrl, logger });
  const verifier = new ApiKeyVerifier(stores.apiKeys, hasher, {
    ...config.auth,
    budget: (o) => rateLimiter.budget(o),
  });
  verifier.attach(bus);
  const queued = new QueuedMarker(stores.messages, logger);
  const publisher = envelopePublisher(broker);
  // Send-path lookups are cached (ADR 0011). With PostgreSQL, a trigger announces every change of
  // templates and numbers, so entries are dropped within milliseconds; the TTL only bounds a
  // missed notice. Embedded mode has one process and a short TTL.
  const cacheTtlMs = config.database.kind === 'postgres' ? 30_000 : 5_000;
  const phoneNumbers = phoneNumberService(stores, cipher, { cacheTtlMs });
  const templates = templateService(stores, { cacheTtlMs });
  // Template sync reads Meta's template list (issue 14, ADR 0044).
  const graphClient = createTemplateListClient({
    ...config.graph,
    timeoutMs: config.dispatch.providerTimeoutMs,
  });
  infra.onChanges({
    onChange: ({ table, workspaceId }) => {
      if (table === 'templates') templates.invalidate(workspaceId);
      if (table === 'phone_numbers') phoneNumbers.invalidate(workspaceId);
    },
    onReset: () => {
      templates.invalidate();
      phoneNumbers.invalidate();
    },
  });
  const relay = startOutboxRelay({
    messages: stores.messages,
    publisher,
    queued,
    logger,
    intervalMs: overrides.relayIntervalMs,
    olderThanMs: overrides.relayOlderThanMs,
    idempotencyRetentionMs: overrides.idempotencyRetentionMs ?? config.idempotencyRetentionMs,
    purgeIntervalMs: overrides.purgeIntervalMs,
  });
  const lastUsed = startLastUsedFlush(verifier, stores.apiKeys, logger, overrides.lastUsedFlushMs);

  // The Meta hop's broker connects on the first webhook; a hand-off that finds it not connected
  // yet (or down) is tried again a few times, then left to the workers' sweep (ADR 0037). The
  // webhooks stored within a few milliseconds of each other travel as one broker message (ADR
  // 0046): the answer to Meta does not wait for it, and the workers apply them in one transaction.
  const handOff = new Batcher<{ id: string; requestId: string | null }, void>(
    async (items) => {
      const broker = await infra.metaBroker();
      const first = items[0];
      await broker.publish({
        body: Buffer.from(JSON.stringify({ webhookIds: items.map((i) => i.id) })),
        messageId: `meta-webhooks-${first?.id ?? ''}+${items.length}`,
        ...(first?.requestId ? { correlationId: first.requestId } : {}),
        contentType: 'application/json',
      });
      return items.map(() => undefined);
    },
    { maxBatch: 100, maxConcurrent: 2, lingerMs: 5 },
  );
  const announceMetaWebhook = (id: string, requestId: string | null, attempt = 1): void => {
    handOff.add({ id, requestId }).catch((err: unknown) => {
      if (attempt < 4) {
        setTimeout(() => announceMetaWebhook(id, requestId, attempt + 1), 500 * attempt).unref();
        return;
      }
      logger.warn('meta webhook stored, hand-off to the broker failed; the workers will sweep it up', {
        err,
        webhookId: id,
      });
    });
  };

  // `POST /webhooks/{id}/test` delivers from the API process itself.
  const testPoster = createPoster({
    timeoutMs: config.webhooks.timeoutMs,
    allowPrivateNetworks: config.webhooks.allowPrivateNetworks,
  });

  const deps: AppDependencies = {
    logger,
    meta: config.meta,
    metaEvents: stores.metaEvents,
    announceMetaWebhook,
    webhooks: webhookService({
      store: stores.webhooks,
      cipher,
      poster: testPoster,
      // Redelivery goes through the delivery queue like any attempt. The hop's broker connects on
      // first use: a few short tries, then 503 (nothing was lost: the attempt is in the log).
      publish: async (jobs) => {
        const broker = await infra.webhookBroker();
        for (let attempt = 1; ; attempt += 1) {
          const results = await broker.publishBatch(jobs.map(deliveryJobMessage));
          const failed = results.find((r) => !r.ok);
          if (!failed) return;
          if (attempt >= 5)
            throw new UnavailableError(
              'SERVICE_UNAVAILABLE',
              'The delivery queue is unavailable; retry shortly.',
            );
          await new Promise((r) => setTimeout(r, 200 * attempt));
        }
      },
      allowPrivateNetworks: config.webhooks.allowPrivateNetworks,
    }),
    rateLimiter,
    workspaceLimits: workspaceLimits(stores.workspaces, config.rateLimits),
    account: (workspaceId, since) => stores.workspaces.account(workspaceId, since),
    contacts: stores.contacts,
    contactWrites: contactService(stores.contacts),
    broadcasts: broadcastService({ store: stores.broadcasts, phoneNumbers, templates }),
    conversations: stores.conversations,
    jwtSecret: config.jwtSecret,
    // The dashboard's cookie is Secure except in embedded mode, a development run on http.
    session: { secret: config.jwtSecret, secureCookie: config.database.kind === 'postgres' },
    messageLog: knexMessageLogStore(db),
    trustProxy: config.http.trustProxy,
    metricsToken: config.metrics.token,
    verifier,
    workspaces: workspaceService(stores, hasher),
    apiKeys: apiKeyService(stores, hasher, bus),
    templates,
    templateSync: templateSyncService({
      stores,
      cipher,
      client: graphClient,
      logger,
      onChanged: (workspaceId) => templates.invalidate(workspaceId),
    }),
    messages: stores.messages,
    sendMessage: sendMessageUseCase({ stores, phoneNumbers, templates, publisher, queued, logger }),
    readiness: infrastructureChecks(infra),
  };

  return Promise.resolve({
    deps,
    db,
    broker,
    relay,
    async close() {
      await relay.stop();
      await queued.flush();
      await lastUsed.stop();
      await bus.close();
      testPoster.close();
      graphClient.close();
      await rateLimiter.close();
    },
  });
}
