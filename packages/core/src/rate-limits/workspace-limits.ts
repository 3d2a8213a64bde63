import { LRUCache } from 'lru-cache';
import type { WorkspaceStore } from '../workspaces/workspace-store';
import type { RateLimit } from './partner-rate-limiter';

/**
 * A workspace's partner rate limit: its own (`workspace:set-rate-limit`) or the defaults, read
 * once per 10 s per workspace (a change reaches every API process within that).
 */
export function workspaceLimits(store: Pick<WorkspaceStore, 'rateLimitOf'>, defaults: RateLimit) {
  const cache = new LRUCache<string, RateLimit>({ max: 50_000, ttl: 10_000 });
  return async (workspaceId: string): Promise<RateLimit> => {
    const cached = cache.get(workspaceId);
    if (cached) return cached;
    const own = await store.rateLimitOf(workspaceId);
    const perSecond = own?.perSecond ?? defaults.perSecond;
    const limit = { perSecond, burst: Math.max(perSecond, own?.burst ?? defaults.burst) };
    cache.set(workspaceId, limit);
    return limit;
  };
}

export type WorkspaceLimits = ReturnType<typeof workspaceLimits>;
