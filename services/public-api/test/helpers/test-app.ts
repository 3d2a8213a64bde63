import type { Express } from 'express';
import type { Config } from '@flowgate/config';
import { buildApp } from '../../src/app';
import { createApiRuntime, type ApiRuntime, type RuntimeOverrides } from '../../src/dependencies';
import { capturingLogger, testConfig } from '../../../../test/support/test-env';
import { deleteTopology, uniquePrefix } from '../../../../test/support/rabbit';

export interface TestApp {
  app: Express;
  runtime: ApiRuntime;
  config: Config;
  logs: string[];
  /** The RabbitMQ name prefix of this app (its own queues, deleted on close). */
  prefix: string;
  close(): Promise<void>;
}

/** The real app, wired by the real composition root against the test database. */
export async function createTestApp(
  env: Record<string, string> = {},
  overrides: RuntimeOverrides = {},
): Promise<TestApp> {
  const prefix = uniquePrefix('api');
  const config = testConfig({ AMQP_PREFIX: prefix, ...env });
  const { logger, lines } = capturingLogger('public-api');
  const runtime = await createApiRuntime(config, logger, overrides);
  return {
    app: buildApp(runtime.deps),
    runtime,
    config,
    logs: lines,
    prefix,
    close: async () => {
      await runtime.close();
      if (!overrides.broker) await deleteTopology(config.amqp.prefix);
    },
  };
}
