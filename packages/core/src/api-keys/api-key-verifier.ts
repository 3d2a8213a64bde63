import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { AuthenticationError, RateLimitedError } from '@flowgate/errors';
import type { Hasher } from '../security/hasher';
import { BoundedSemaphore } from '../security/semaphore';
import { API_KEY_RE, API_SECRET_RE } from './api-key-format';
import type { ApiKeyRepository } from './api-key.repository';
import type { RevocationBus } from './revocation-bus';

export interface Principal {
  workspaceId: string;
  apiKeyId: string;
}

export interface VerifierOptions {
  cacheTtlMs: number;
  maxCacheEntries?: number;
  maxConcurrentVerifications: number;
  maxQueuedVerifications: number;
  failuresPerKey: number;
  failuresPerIp: number;
  /** Window of the failure counters, seconds. */
  failureWindowSeconds?: number;
}

interface CacheEntry {
  digest: Buffer;
  principal: Principal;
  expiresAt: number;
}

/**
 * Verifies partner key pairs (ADR 0003). argon2id runs only on a cache miss, under a bounded
 * semaphore; successes are cached as an HMAC of the secret under a per-process random key (never
 * the secret); failures are counted per key and per client address and throttled with 429.
 */
export class ApiKeyVerifier {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly hmacKey = randomBytes(32);
  private readonly semaphore: BoundedSemaphore;
  private readonly keyFailures: RateLimiterMemory;
  private readonly ipFailures: RateLimiterMemory;
  private cacheEnabled = true;
  private readonly lastUsed = new Map<string, Date>();

  constructor(
    private readonly repo: ApiKeyRepository,
    private readonly hasher: Hasher,
    private readonly options: VerifierOptions,
  ) {
    this.semaphore = new BoundedSemaphore(options.maxConcurrentVerifications, options.maxQueuedVerifications);
    const duration = options.failureWindowSeconds ?? 60;
    this.keyFailures = new RateLimiterMemory({
      keyPrefix: 'k',
      points: options.failuresPerKey,
      duration,
      blockDuration: duration,
    });
    this.ipFailures = new RateLimiterMemory({
      keyPrefix: 'ip',
      points: options.failuresPerIp,
      duration,
      blockDuration: duration,
    });
  }

  /** Wires cross-process revocation: drop the key at once; clear everything if notices were lost. */
  attach(bus: RevocationBus): void {
    bus.subscribe({
      onRevoked: (apiKey) => this.cache.delete(apiKey),
      onReset: () => this.cache.clear(),
      onHealthy: (healthy) => {
        // Without a working listener, a revocation could go unseen: verify against the DB instead.
        this.cacheEnabled = healthy;
        if (!healthy) this.cache.clear();
      },
    });
  }

  async verify(
    credentials: { apiKey: string; apiSecret: string } | undefined,
    clientAddress: string,
  ): Promise<Principal> {
    if (!credentials || !API_KEY_RE.test(credentials.apiKey) || !API_SECRET_RE.test(credentials.apiSecret)) {
      await this.fail(undefined, clientAddress);
    } else {
      const { apiKey, apiSecret } = credentials;
      const digest = createHmac('sha256', this.hmacKey).update(apiSecret).digest();
      const cached = this.cache.get(apiKey);
      if (cached && cached.expiresAt > Date.now() && timingSafeEqual(cached.digest, digest)) {
        this.lastUsed.set(cached.principal.apiKeyId, new Date());
        return cached.principal;
      }
      await this.ensureNotBlocked(apiKey, clientAddress);
      const record = await this.repo.findByApiKey(apiKey);
      if (!record || record.revokedAt !== null) return this.fail(apiKey, clientAddress);
      const release = await this.semaphore.tryAcquire();
      if (!release) throw new RateLimitedError('Too many credential checks in progress; retry shortly.', 1);
      let ok: boolean;
      try {
        ok = await this.hasher.verify(record.secretHash, apiSecret);
      } finally {
        release();
      }
      if (!ok) return this.fail(apiKey, clientAddress);
      const principal: Principal = { workspaceId: record.workspaceId, apiKeyId: record.id };
      if (this.cacheEnabled && this.options.cacheTtlMs > 0)
        this.remember(apiKey, { digest, principal, expiresAt: Date.now() + this.options.cacheTtlMs });
      this.lastUsed.set(record.id, new Date());
      return principal;
    }
    throw new AuthenticationError();
  }

  /** Drops a key from this process's cache (the revoking process calls it directly). */
  forget(apiKey: string): void {
    this.cache.delete(apiKey);
  }

  /** Last-used times gathered since the previous call; flushed to the database in one statement. */
  drainLastUsed(): Map<string, Date> {
    const out = new Map(this.lastUsed);
    this.lastUsed.clear();
    return out;
  }

  get stats(): { cacheSize: number; inFlight: number; queued: number } {
    return { cacheSize: this.cache.size, inFlight: this.semaphore.inFlight, queued: this.semaphore.queued };
  }

  private remember(apiKey: string, entry: CacheEntry): void {
    const max = this.options.maxCacheEntries ?? 10_000;
    if (this.cache.size >= max && !this.cache.has(apiKey)) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(apiKey, entry);
  }

  private async ensureNotBlocked(apiKey: string, clientAddress: string): Promise<void> {
    const [byKey, byIp] = await Promise.all([
      this.keyFailures.get(apiKey),
      this.ipFailures.get(clientAddress),
    ]);
    const blocked = [byKey, byIp].filter((r): r is RateLimiterRes => r !== null && r.remainingPoints <= 0);
    if (blocked.length > 0) {
      const wait = Math.max(...blocked.map((r) => r.msBeforeNext));
      throw new RateLimitedError(
        'Too many failed authentication attempts; retry later.',
        Math.max(1, Math.ceil(wait / 1000)),
      );
    }
  }

  private async fail(apiKey: string | undefined, clientAddress: string): Promise<never> {
    const results = await Promise.allSettled([
      this.ipFailures.consume(clientAddress),
      ...(apiKey ? [this.keyFailures.consume(apiKey)] : []),
    ]);
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected && rejected.reason instanceof RateLimiterRes) {
      throw new RateLimitedError(
        'Too many failed authentication attempts; retry later.',
        Math.max(1, Math.ceil(rejected.reason.msBeforeNext / 1000)),
      );
    }
    throw new AuthenticationError();
  }
}
