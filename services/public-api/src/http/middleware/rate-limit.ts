import type { RequestHandler } from 'express';
import { RateLimitedError } from '@flowgate/errors';
import type { PartnerRateLimiter, WorkspaceLimits } from '@flowgate/core';
import { record as recordMetric } from '@flowgate/metrics';
import { principalOf } from './authenticate-partner';

/**
 * Partner rate limits per API key (docs/contracts.md §12), after authentication: every answer
 * carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`; beyond the budget, 429
 * `RATE_LIMITED` with `Retry-After`.
 */
export function rateLimitPartner(limiter: PartnerRateLimiter, limits: WorkspaceLimits): RequestHandler {
  return async (_req, res, next) => {
    const principal = principalOf(res);
    const limit = await limits(principal.workspaceId);
    const d = await limiter.take(principal.apiKeyId, limit);
    res.setHeader('RateLimit-Limit', String(d.limit));
    res.setHeader('RateLimit-Remaining', String(d.remaining));
    res.setHeader('RateLimit-Reset', String(d.resetSeconds));
    if (!d.allowed) {
      recordMetric.rateLimitRefusal('partner');
      throw new RateLimitedError(
        `Too many requests for this API key (${limit.perSecond}/s, bursts of ${limit.burst}); retry after ${d.resetSeconds} s.`,
        d.resetSeconds,
      );
    }
    next();
  };
}
