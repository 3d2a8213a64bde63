import { createInfrastructure, loadProcessContext, runProcess } from '@flowgate/runtime';
import { buildApp } from './app';
import { createApiRuntime } from './dependencies';
import { listen } from './server';

/** The whole stop (requests in flight get 10 s of it, then the relay and batched writes) gets 30 s. */
const SHUTDOWN_DEADLINE_MS = 30_000;

runProcess({
  async start() {
    const { config, logger } = loadProcessContext('public-api');
    const infra = await createInfrastructure(config, logger);
    const runtime = await createApiRuntime(infra);
    const server = await listen(buildApp(runtime.deps), config.http);
    logger.info('public-api listening', { host: config.http.host, port: config.http.port });
    return { logger, infra, runtime, server };
  },
  async stop({ infra, runtime, server }) {
    await server.stop();
    await runtime.close();
    await infra.close();
  },
  deadlineMs: SHUTDOWN_DEADLINE_MS,
});
