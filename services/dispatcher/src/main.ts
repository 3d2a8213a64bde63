import { loadConfig, secretValues, ConfigError, type Config } from '@flowgate/config';
import { createLogger } from '@flowgate/logger';
import http from 'node:http';
import { createDispatcherRuntime, type DispatcherRuntime } from './dependencies';

/** /healthz while the process is up; /readyz while PostgreSQL and RabbitMQ are reachable. */
function startHealthServer(runtime: DispatcherRuntime, port: number): http.Server {
  return http
    .createServer((req, res) => {
      const reply = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (req.url === '/healthz') return reply(200, { status: 'ok' });
      if (req.url !== '/readyz') return reply(404, { status: 'not_found' });
      runtime.db.raw('SELECT 1').then(
        () =>
          reply(runtime.broker.isHealthy() ? 200 : 503, {
            database: 'ok',
            broker: runtime.broker.isHealthy() ? 'ok' : 'down',
          }),
        () => reply(503, { database: 'down', broker: runtime.broker.isHealthy() ? 'ok' : 'down' }),
      );
    })
    .listen(port);
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
  const logger = createLogger({
    service: 'dispatcher',
    level: config.logLevel,
    secrets: secretValues(config),
  });
  const runtime = await createDispatcherRuntime(config, logger);
  await runtime.start();
  const health =
    config.dispatch.healthPort > 0 ? startHealthServer(runtime, config.dispatch.healthPort) : undefined;
  logger.info('dispatcher consuming', {
    prefetch: config.dispatch.prefetch,
    ratePerNumber: config.dispatch.ratePerNumber,
  });

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    health?.close();
    runtime.close().then(
      () => process.exit(0),
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
