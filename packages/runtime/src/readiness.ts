import http from 'node:http';
import { metricsAuthorized, renderMetrics, startDefaultMetrics } from '@flowgate/metrics';
import { ping, type Database } from '@flowgate/db';

export type ReadinessCheck = () => Promise<boolean>;

export interface ReadinessReport {
  ready: boolean;
  body: { status: 'ready' | 'not_ready'; checks: Record<string, 'ok' | 'down'> };
}

/** Runs every check (each bounded to 2 s): ready only while every dependency answers. */
export async function readinessReport(checks: Record<string, ReadinessCheck>): Promise<ReadinessReport> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      const ok = await Promise.race([
        check().catch(() => false),
        new Promise<boolean>((r) => setTimeout(() => r(false), 2000).unref()),
      ]);
      return [name, ok ? ('ok' as const) : ('down' as const)] as const;
    }),
  );
  const ready = entries.every(([, s]) => s === 'ok');
  return { ready, body: { status: ready ? 'ready' : 'not_ready', checks: Object.fromEntries(entries) } };
}

/** The readiness of a process's database and broker. */
export function infrastructureChecks(infra: {
  db: Database;
  broker: { isHealthy(): boolean };
}): Record<string, ReadinessCheck> {
  return {
    database: async () => {
      await ping(infra.db);
      return true;
    },
    broker: () => Promise.resolve(infra.broker.isHealthy()),
  };
}

/**
 * /healthz while the process is up; /readyz with the same body as the API's; /metrics (Prometheus
 * text, behind METRICS_TOKEN when set: docs/contracts.md §14) for a process with no HTTP API of its
 * own (the dispatcher).
 */
export function startHealthServer(
  checks: Record<string, ReadinessCheck>,
  port: number,
  options: { metricsToken?: string | undefined; host?: string } = {},
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
        if (!metricsAuthorized(req.headers.authorization, options.metricsToken))
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
      void readinessReport(checks).then(({ ready, body }) => reply(ready ? 200 : 503, body));
    })
    .listen(port, options.host);
}
