import { loadConfigOrExit, secretValues } from '@flowgate/config';
import { createLogger } from '@flowgate/logger';
import { buildApp } from './app';
import { createApiRuntime } from './dependencies';
import { listen } from './server';

async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env);
  const logger = createLogger({
    service: 'public-api',
    level: config.logLevel,
    secrets: secretValues(config),
  });
  const runtime = await createApiRuntime(config, logger);
  const server = await listen(buildApp(runtime.deps), config.http);
  logger.info('public-api listening', { host: config.http.host, port: config.http.port });

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    void server
      .stop()
      .then(() => runtime.close())
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        logger.error('shutdown failed', { err });
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  // Start-up failed (database or broker unreachable, bad wiring): say why, without a stack dump.
  process.stderr.write(`start-up failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
