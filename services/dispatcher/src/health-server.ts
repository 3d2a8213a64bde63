import http from 'node:http';
import { metricsAuthorized, renderMetrics, startDefaultMetrics } from '@flowgate/metrics';
import type { DispatcherRuntime } from './dependencies';

/**
 * The dispatcher's health port: /healthz while the process is up; /readyz while PostgreSQL and
 * RabbitMQ are reachable; /metrics (Prometheus text, behind METRICS_TOKEN when set: docs/contracts.md §14).
 */
export function startHealthServer(
  runtime: Pick<DispatcherRuntime, 'db' | 'broker'>,
  port: number,
  metricsToken: string | undefined,
  host?: string,
): http.Server {
  startDefaultMetrics();
  return http
    .createServer((req, res) => {
      const reply = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/healthz') return reply(200, { status: 'ok' });
      if (path === '/metrics') {
        if (!metricsAuthorized(req.headers.authorization, metricsToken))
          return reply(401, {
            success: false,
            error: {
              code: 'UNAUTHORIZED',
              message: 'Send Authorization: Bearer <METRICS_TOKEN>.',
              details: [],
            },
          });
        renderMetrics().then(
          ({ contentType, body }) =>
            res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(body),
          () => reply(500, { status: 'error' }),
        );
        return;
      }
      if (path !== '/readyz') return reply(404, { status: 'not_found' });
      runtime.db.raw('SELECT 1').then(
        () =>
          reply(runtime.broker.isHealthy() ? 200 : 503, {
            database: 'ok',
            broker: runtime.broker.isHealthy() ? 'ok' : 'down',
          }),
        () => reply(503, { database: 'down', broker: runtime.broker.isHealthy() ? 'ok' : 'down' }),
      );
    })
    .listen(port, host);
}
