/**
 * A per-workspace read-through cache for the send path's lookups (templates, sending numbers),
 * ADR 0011. Entries expire after `ttlMs` (0: no caching); `invalidate` drops a workspace's
 * entries, or all. A lookup that was in flight when its workspace was invalidated is returned to
 * its caller but not stored, so an invalidation is never undone by an answer read before it.
 */
export class WorkspaceCache<V> {
  private readonly entries = new Map<string, Map<string, { value: V; expiresAt: number }>>();
  private readonly generations = new Map<string, number>();
  private epoch = 0;
  private size = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 20_000,
  ) {}

  async get(workspaceId: string, key: string, load: () => Promise<V>): Promise<V> {
    if (this.ttlMs <= 0) return load();
    const hit = this.entries.get(workspaceId)?.get(key);
    if (hit && hit.expiresAt > Date.now()) return hit.value;
    const epoch = this.epoch;
    const generation = this.generations.get(workspaceId) ?? 0;
    const value = await load();
    if (epoch === this.epoch && generation === (this.generations.get(workspaceId) ?? 0)) {
      if (this.size >= this.maxEntries) this.invalidate();
      let forWorkspace = this.entries.get(workspaceId);
      if (!forWorkspace) {
        forWorkspace = new Map();
        this.entries.set(workspaceId, forWorkspace);
      }
      if (!forWorkspace.has(key)) this.size += 1;
      forWorkspace.set(key, { value, expiresAt: Date.now() + this.ttlMs });
    }
    return value;
  }

  invalidate(workspaceId?: string): void {
    if (workspaceId === undefined) {
      this.epoch += 1;
      this.entries.clear();
      this.generations.clear();
      this.size = 0;
      return;
    }
    this.generations.set(workspaceId, (this.generations.get(workspaceId) ?? 0) + 1);
    this.size -= this.entries.get(workspaceId)?.size ?? 0;
    this.entries.delete(workspaceId);
  }
}
