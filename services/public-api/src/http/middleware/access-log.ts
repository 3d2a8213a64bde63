import type { RequestHandler } from 'express';
import type { Logger } from '@flowgate/logger';

/** One line per request: method, route, status, duration. Never headers, query or body. */
export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      if (!logger.isInfoEnabled()) return;
      const matched = req.route as { path?: unknown } | undefined;
      const route = typeof matched?.path === 'string' ? `${req.baseUrl}${matched.path}` : 'unmatched';
      logger.info('request', {
        method: req.method,
        route,
        status: res.statusCode,
        durationMs: Number(process.hrtime.bigint() - start) / 1e6,
      });
    });
    next();
  };
}
