import http from 'node:http';
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
 * /healthz while the process is up; /readyz with the same body as the API's (for a process with
 * no HTTP API of its own: the dispatcher).
 */
export function startHealthServer(checks: Record<string, ReadinessCheck>, port: number): http.Server {
  return http
    .createServer((req, res) => {
      const reply = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (req.url === '/healthz') return reply(200, { status: 'ok' });
      if (req.url !== '/readyz') return reply(404, { status: 'not_found' });
      void readinessReport(checks).then(({ ready, body }) => reply(ready ? 200 : 503, body));
    })
    .listen(port);
}
