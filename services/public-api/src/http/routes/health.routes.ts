import { Router } from 'express';
import { HealthResponseSchema, ReadinessResponseSchema } from '@flowgate/contracts';
import { respond } from '../respond';

export type ReadinessCheck = () => Promise<boolean>;

/** /healthz: the process is up. /readyz: 200 only while every dependency answers. */
export function healthRouter(checks: Record<string, ReadinessCheck>): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    respond(res, 200, HealthResponseSchema, { status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const entries = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        const ok = await Promise.race([
          check().catch(() => false),
          new Promise<boolean>((r) => setTimeout(() => r(false), 2000).unref()),
        ]);
        return [name, ok ? 'ok' : 'down'] as const;
      }),
    );
    const ready = entries.every(([, s]) => s === 'ok');
    respond(res, ready ? 200 : 503, ReadinessResponseSchema, {
      status: ready ? 'ready' : 'not_ready',
      checks: Object.fromEntries(entries),
    });
  });
  return router;
}
