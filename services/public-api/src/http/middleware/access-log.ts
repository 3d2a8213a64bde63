import type { Request, RequestHandler } from 'express';
import type { Logger } from '@flowgate/logger';
import { metrics } from '@flowgate/metrics';

const MOUNTS = Symbol('flowgate.routeMounts');

interface RouteTracking {
  /** Mount pattern by the actual base URL it matched (`/api/v1/workspaces/3f…` → `…/:workspaceId`). */
  [MOUNTS]?: Map<string, string>;
}

/**
 * Put in front of a router mounted at a path: records the mount's pattern, so the access log
 * can name the route as a pattern (`/api/v1/workspaces/:workspaceId/api-keys`) and never with
 * the ids of the request. `pattern` is the path given to `use`, relative to the parent router.
 */
export function routeBase(pattern: string): RequestHandler {
  return (req, _res, next) => {
    const r = req as Request & RouteTracking;
    const mounts = (r[MOUNTS] ??= new Map<string, string>());
    const base = req.baseUrl;
    // The parent is the longest recorded base that this one extends.
    let parent = '';
    let parentLength = -1;
    for (const [actual, full] of mounts)
      if (actual.length > parentLength && actual.length < base.length && base.startsWith(`${actual}/`)) {
        parent = full;
        parentLength = actual.length;
      }
    mounts.set(base, `${parent}${pattern}`);
    next();
  };
}

/**
 * A request answered before any route took it (a 401 from a router's authentication, a 404):
 * the deepest mount it entered, as `<pattern>/*`, else `unmatched`.
 */
function unroutedPattern(req: Request): string {
  let best: string | undefined;
  let bestLength = -1;
  for (const [actual, full] of (req as Request & RouteTracking)[MOUNTS] ?? [])
    if (actual.length > bestLength) {
      best = full;
      bestLength = actual.length;
    }
  return best === undefined ? 'unmatched' : `${best}/*`;
}

/**
 * One line per request, and the HTTP series of @flowgate/metrics: method, route pattern, status, duration. Never headers, query, body or
 * the ids in the path. The route is captured when the router picks it (`req.route` is assigned),
 * because by the time the response has finished an error may have unwound `req.baseUrl`.
 */
export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    let route = 'unmatched';
    let current: unknown;
    Object.defineProperty(req, 'route', {
      configurable: true,
      enumerable: true,
      get: () => current,
      set: (value: unknown) => {
        current = value;
        const path = (value as { path?: unknown } | undefined)?.path;
        if (typeof path !== 'string') return;
        const base = req.baseUrl;
        const mounted = (req as Request & RouteTracking)[MOUNTS]?.get(base);
        route = `${mounted ?? base}${path}`;
      },
    });
    res.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - start) / 1e6;
      const pattern = current === undefined ? unroutedPattern(req) : route;
      // The same route template labels the HTTP series (docs/contracts.md §14): never an id.
      const labels = { method: req.method, route: pattern, status: String(res.statusCode) };
      metrics.httpRequests.inc(labels);
      metrics.httpRequestDuration.observe(labels, durationMs / 1000);
      if (!logger.isInfoEnabled()) return;
      logger.info('request', { method: req.method, route: pattern, status: res.statusCode, durationMs });
    });
    next();
  };
}
