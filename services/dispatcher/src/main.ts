import { loadConfigOrExit, secretValues } from '@flowgate/config';
import { createLogger } from '@flowgate/logger';
import { createDispatcherRuntime } from './dependencies';
import { startHealthServer } from './health-server';

async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env);
  const logger = createLogger({
    service: 'dispatcher',
    level: config.logLevel,
    secrets: secretValues(config),
  });
  const runtime = await createDispatcherRuntime(config, logger);
  await runtime.start();
  const health =
    config.dispatch.healthPort > 0
      ? startHealthServer(runtime, config.dispatch.healthPort, config.metrics.token)
      : undefined;
  logger.info('dispatcher consuming', {
    prefetch: config.dispatch.prefetch,
    ratePerNumber: config.dispatch.ratePerNumber,
  });

  // SIGTERM: stop taking work, let calls in flight finish and be recorded, hand back the rest,
  // close connections; exit 0. Past DISPATCH_SHUTDOWN_TIMEOUT_MS, exit 1 with what was left (those
  // messages stay claimed and are taken over, flagged, once their claim is stale).
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal, timeoutMs: config.dispatch.shutdownTimeoutMs });
    health?.close();
    runtime.closeWithin(config.dispatch.shutdownTimeoutMs).then(
      (result) => {
        if (result === 'clean') {
          logger.info('dispatcher stopped');
          process.exit(0);
        }
        logger.error('shutdown deadline passed with work in flight; exiting', {
          timeoutMs: config.dispatch.shutdownTimeoutMs,
        });
        // A moment for the handlers that just gave up to log and settle; exit 1 even if the
        // event loop empties first.
        process.exitCode = 1;
        setTimeout(() => process.exit(1), 500).unref();
      },
      (err: unknown) => {
        logger.error('shutdown failed', { err });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  // Start-up failed (database or broker unreachable, bad wiring): say why, without a stack dump.
  process.stderr.write(`start-up failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
