import {
  createInfrastructure,
  infrastructureChecks,
  loadProcessContext,
  runProcess,
  startHealthServer,
} from '@flowgate/runtime';
import { createDispatcherRuntime } from './dependencies';

// SIGTERM: stop taking work, let calls in flight finish and be recorded, hand back the rest,
// close connections; exit 0. Past DISPATCH_SHUTDOWN_TIMEOUT_MS, exit 1 with what was left (those
// messages stay claimed and are taken over, flagged, once their claim is stale).
runProcess({
  async start() {
    const { config, logger } = loadProcessContext('dispatcher');
    const infra = await createInfrastructure(config, logger);
    const runtime = createDispatcherRuntime(infra);
    await runtime.start();
    const health =
      config.dispatch.healthPort > 0
        ? startHealthServer(infrastructureChecks(infra), config.dispatch.healthPort, {
            metricsToken: config.metrics.token,
          })
        : undefined;
    logger.info('dispatcher consuming', {
      prefetch: config.dispatch.prefetch,
      ratePerNumber: config.dispatch.ratePerNumber,
    });
    return { logger, config, infra, runtime, health };
  },
  async stop({ infra, runtime, health }) {
    health?.close();
    await runtime.close();
    await infra.close();
  },
  deadlineMs: ({ config }) => config.dispatch.shutdownTimeoutMs,
  onDeadline: ({ runtime }) => runtime.abandon(),
});
