import type { Express } from 'express';
import type { Config } from '@flowgate/config';
import { buildApp, createApiRuntime, type ApiRuntime, type RuntimeOverrides } from '@flowgate/public-api';
import { createInfrastructure, type Infrastructure, type InfrastructureOptions } from '@flowgate/runtime';
import { capturingLogger, testConfig } from './test-env';
import { deleteTopology, uniquePrefix } from './rabbit';

export interface TestApp {
  app: Express;
  runtime: ApiRuntime;
  infra: Infrastructure;
  config: Config;
  logs: string[];
  /** The RabbitMQ name prefix of this app (its own queues, deleted on close). */
  prefix: string;
  close(): Promise<void>;
}

/** The real app, wired by the real composition root against the test database. */
export async function createTestApp(
  env: Record<string, string> = {},
  overrides: RuntimeOverrides & Pick<InfrastructureOptions, 'db' | 'broker'> = {},
): Promise<TestApp> {
  const prefix = uniquePrefix('api');
  const config = testConfig({ AMQP_PREFIX: prefix, ...env });
  const { logger, lines } = capturingLogger('public-api');
  const { db, broker, ...runtimeOverrides } = overrides;
  const infra = await createInfrastructure(config, logger, {
    ...(db ? { db } : {}),
    ...(broker ? { broker } : {}),
  });
  const runtime = await createApiRuntime(infra, runtimeOverrides);
  return {
    app: buildApp(runtime.deps),
    runtime,
    infra,
    config,
    logs: lines,
    prefix,
    close: async () => {
      await runtime.close();
      await infra.close();
      if (!overrides.broker)
        await deleteTopology(config.amqp.prefix, config.webhooks.retryScheduleMs.join(','));
    },
  };
}
