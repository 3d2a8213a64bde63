import { Router } from 'express';
import { readinessReport, type ReadinessCheck } from '@flowgate/runtime';

export type { ReadinessCheck };

/** /healthz: the process is up. /readyz: 200 only while every dependency answers. */
export function healthRouter(checks: Record<string, ReadinessCheck>): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const { ready, body } = await readinessReport(checks);
    res.status(ready ? 200 : 503).json(body);
  });
  return router;
}
