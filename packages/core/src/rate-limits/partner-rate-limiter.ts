import { Redis } from 'ioredis';
import {
  BurstyRateLimiter,
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import type { Logger } from '@flowgate/logger';
import { record as recordMetric } from '@flowgate/metrics';

export interface RateLimit {
  perSecond: number;
  burst: number;
}

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until a request is allowed again (0 when one is now). */
  resetSeconds: number;
}

/** The store in use, for /readyz-style reporting and tests. */
export type RateLimitStore = 'redis' | 'memory' | 'memory (redis unavailable)';

interface Limiter {
  consume(key: string): Promise<RateLimiterRes>;
}

/** A fixed-window budget (failed authentications, logins): `points` per `duration` seconds. */
export interface BudgetOptions {
  keyPrefix: string;
  points: number;
  duration: number;
  blockDuration?: number;
}

/** Makes budgets on the shared store (Redis when configured, with a per-process insurance). */
export type BudgetFactory = (o: BudgetOptions) => RateLimiterAbstract;

/** Budgets of this process only (no Redis). */
export const localBudgets: BudgetFactory = (o) => new RateLimiterMemory(o);

/**
 * A budget of `perSecond` with bursts up to `burst` (docs/contracts.md §12): rate-limiter-flexible's
 * BurstyRateLimiter, a per-second limiter with a burst limiter behind it that refills over
 * `burst / perSecond` seconds (a token bucket's behaviour).
 */
function bursty(
  make: (opts: { keyPrefix: string; points: number; duration: number }) => Limiter,
  l: RateLimit,
): Limiter {
  const refill = Math.max(1, Math.ceil(l.burst / l.perSecond));
  return new BurstyRateLimiter(
    make({ keyPrefix: `rl:${l.perSecond}:${l.burst}:s`, points: l.perSecond, duration: 1 }) as never,
    make({
      keyPrefix: `rl:${l.perSecond}:${l.burst}:b`,
      points: Math.max(0, l.burst - l.perSecond),
      duration: refill,
    }) as never,
  );
}

const isRateLimiterRes = (v: unknown): v is RateLimiterRes => v instanceof RateLimiterRes;

/**
 * Per-key limits shared by every API process through Redis when `redisUrl` is set, per process
 * otherwise. A Redis error never refuses a request: that request is limited in this process
 * instead (logged once a minute, counted in `flowgate_rate_limit_fallbacks_total`).
 */
export function partnerRateLimiter(opts: { redisUrl: string | undefined; logger: Logger }) {
  const redis = opts.redisUrl
    ? new Redis(opts.redisUrl, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: 2000,
        lazyConnect: false,
      })
    : undefined;
  redis?.on('error', () => undefined); // reported through the fallback, not per reconnect attempt
  const shared = new Map<string, Limiter>();
  const local = new Map<string, Limiter>();
  let lastWarn = 0;
  let lastStore: RateLimitStore = redis ? 'redis' : 'memory';

  const limiterOf = (map: Map<string, Limiter>, l: RateLimit, onRedis: boolean): Limiter => {
    const id = `${l.perSecond}:${l.burst}`;
    let found = map.get(id);
    if (!found) {
      found = bursty(
        (o) =>
          onRedis && redis ? new RateLimiterRedis({ ...o, storeClient: redis }) : new RateLimiterMemory(o),
        l,
      );
      map.set(id, found);
    }
    return found;
  };

  const decide = (l: RateLimit, res: RateLimiterRes, allowed: boolean): RateDecision => ({
    allowed,
    limit: l.perSecond,
    remaining: Math.max(0, res.remainingPoints),
    resetSeconds: Math.max(allowed ? 0 : 1, Math.ceil(res.msBeforeNext / 1000)),
  });

  async function consume(limiter: Limiter, key: string, l: RateLimit): Promise<RateDecision> {
    try {
      return decide(l, await limiter.consume(key), true);
    } catch (err) {
      if (isRateLimiterRes(err)) return decide(l, err, false);
      throw err;
    }
  }

  return {
    async take(key: string, l: RateLimit): Promise<RateDecision> {
      if (redis) {
        try {
          const d = await consume(limiterOf(shared, l, true), key, l);
          lastStore = 'redis';
          return d;
        } catch (err) {
          lastStore = 'memory (redis unavailable)';
          recordMetric.rateLimitFallback();
          if (Date.now() - lastWarn > 60_000) {
            lastWarn = Date.now();
            opts.logger.warn('rate limits: Redis unavailable, limiting per process meanwhile', { err });
          }
        }
      }
      return consume(limiterOf(local, l, false), key, l);
    },
    store: (): RateLimitStore => lastStore,
    /**
     * A budget shared by every API process through the same Redis (failed-auth budgets, the admin
     * login throttle): rate-limiter-flexible's RateLimiterRedis with a per-process
     * RateLimiterMemory as its insurance, so a Redis outage limits per process, never refuses.
     */
    budget(o: BudgetOptions): RateLimiterAbstract {
      if (!redis) return new RateLimiterMemory(o);
      return new RateLimiterRedis({
        ...o,
        keyPrefix: `fg:${o.keyPrefix}`,
        storeClient: redis,
        insuranceLimiter: new RateLimiterMemory(o),
      });
    },
    close(): Promise<void> {
      redis?.disconnect();
      return Promise.resolve();
    },
  };
}

export type PartnerRateLimiter = ReturnType<typeof partnerRateLimiter>;
