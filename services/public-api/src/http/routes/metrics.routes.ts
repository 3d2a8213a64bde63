import { Router } from 'express';
import { AuthenticationError } from '@flowgate/errors';
import { metricsAuthorized, renderMetrics, startDefaultMetrics } from '@flowgate/metrics';

/**
 * `GET /metrics`: Prometheus text (docs/contracts.md §14). With METRICS_TOKEN set, only
 * `Authorization: Bearer <token>` reads it; anything else gets the usual 401 envelope.
 */
export function metricsRouter(token: string | undefined): Router {
  startDefaultMetrics();
  const router = Router();
  router.get('/metrics', async (req, res) => {
    if (!metricsAuthorized(req.headers.authorization, token))
      throw new AuthenticationError('UNAUTHORIZED', 'Send Authorization: Bearer <METRICS_TOKEN>.');
    const { contentType, body } = await renderMetrics();
    res.setHeader('Cache-Control', 'no-store');
    res.type(contentType).send(body);
  });
  return router;
}
