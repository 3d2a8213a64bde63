import { Router } from 'express';
import { HealthResponseSchema, ReadinessResponseSchema } from '@flowgate/contracts';
import { readinessReport, type ReadinessCheck } from '@flowgate/runtime';
import { respond } from '../respond';

export type { ReadinessCheck };

/** /healthz: the process is up. /readyz: 200 only while every dependency answers. */
export function healthRouter(checks: Record<string, ReadinessCheck>): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    respond(res, 200, HealthResponseSchema, { status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const { ready, body } = await readinessReport(checks);
    respond(res, ready ? 200 : 503, ReadinessResponseSchema, body);
  });
  return router;
}
