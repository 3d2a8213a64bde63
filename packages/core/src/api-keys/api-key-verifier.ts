import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { AuthenticationError, RateLimitedError } from '@flowgate/errors';
import { metrics, record as recordMetric } from '@flowgate/metrics';
import type { Hasher } from '../security/hasher';
import { BoundedSemaphore } from '../security/semaphore';
import { API_KEY_RE, API_SECRET_RE } from './api-key-format';
import type { ApiKeyStore } from './api-key-store';
import type { RevocationBus } from './revocation-bus';

export interface Principal {
  workspaceId: string;
  apiKeyId: string;
  /** What the key may do; null: everything (docs/contracts.md §12). */
  scopes: readonly string[] | null;
  /** Where it may be used from; null: anywhere. */
  allowedIps: readonly string[] | null;
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
  /**
   * Where the failure budgets live: shared by every API process through Redis when REDIS_URL is
   * set (`PartnerRateLimiter.budget`); this process only by default.
   */
  budget?: (o: { keyPrefix: string; points: number; duration: number }) => RateLimiterAbstract;
}

interface CacheEntry {
  digest: Buffer;
  principal: Principal;
  expiresAt: number;
}

/**
 * One verification in progress for a key, from before its row is read until its result is
 * known. A revocation or a cache reset arriving meanwhile marks it, so that a result based on a
 * row read before the revocation is neither cached nor trusted (ADR 0009).
 */
interface Attempt {
  revoked: boolean;
  uncacheable: boolean;
}

type Outcome = { kind: 'ok'; principal: Principal } | { kind: 'failed' } | { kind: 'revoked' };

/** One point taken from a failure budget; given back if the attempt does not turn out a failure. */
interface Reservation {
  limiter: RateLimiterAbstract;
  key: string;
  /** End of the counter window the point was taken from; a refund after it would go to the next. */
  windowEndsAt: number;
}

const THROTTLED = 'Too many failed authentication attempts; retry later.';

/**
 * Verifies partner key pairs (ADR 0003, ADR 0009). argon2id runs only on a cache miss, under a
 * bounded semaphore; successes are cached as an HMAC of the secret under a per-process random key
 * (never the secret). Before a check runs, it reserves a point of the client address's and the
 * key's failure budgets (kept if the check fails, given back if it succeeds), so at most
 * `failuresPerKey` argon2 checks per key and `failuresPerIp` attempts per address run per window,
 * however many arrive at once. Identical concurrent checks share one argon2 run.
 */
export class ApiKeyVerifier {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly hmacKey = randomBytes(32);
  private readonly semaphore: BoundedSemaphore;
  private readonly keyFailures: RateLimiterAbstract;
  private readonly ipFailures: RateLimiterAbstract;
  private cacheEnabled = true;
  private readonly lastUsed = new Map<string, Date>();
  /** Verifications in progress per key (bounded by the requests in flight). */
  private readonly attempts = new Map<string, Set<Attempt>>();
  /** Checks in progress by key and secret digest, so identical concurrent requests share one. */
  private readonly checks = new Map<string, Promise<Outcome>>();

  constructor(
    private readonly repo: Pick<ApiKeyStore, 'findByApiKey'>,
    private readonly hasher: Hasher,
    private readonly options: VerifierOptions,
  ) {
    this.semaphore = new BoundedSemaphore(options.maxConcurrentVerifications, options.maxQueuedVerifications);
    const duration = options.failureWindowSeconds ?? 60;
    // No blockDuration: a reservation that overshoots is given back at once, and the fixed window
    // ends on its own; a block would also lock out attempts that never ran.
    const budget = options.budget ?? ((o) => new RateLimiterMemory(o));
    this.keyFailures = budget({ keyPrefix: 'auth-k', points: options.failuresPerKey, duration });
    this.ipFailures = budget({ keyPrefix: 'auth-ip', points: options.failuresPerIp, duration });
  }

  /** Wires cross-process revocation: drop the key at once; clear everything if notices were lost. */
  attach(bus: RevocationBus): void {
    bus.subscribe({
      onRevoked: (apiKey) => this.forget(apiKey),
      onReset: () => this.reset(),
      onHealthy: (healthy) => {
        // Without a working listener, a revocation could go unseen: verify against the DB instead.
        this.cacheEnabled = healthy;
        if (!healthy) this.reset();
      },
    });
  }

  async verify(
    credentials: { apiKey: string; apiSecret: string } | undefined,
    clientAddress: string,
  ): Promise<Principal> {
    if (!credentials || !API_KEY_RE.test(credentials.apiKey) || !API_SECRET_RE.test(credentials.apiSecret))
      return this.fail(clientAddress);
    const { apiKey, apiSecret } = credentials;
    const digest = createHmac('sha256', this.hmacKey).update(apiSecret).digest();
    const cached = this.cache.get(apiKey);
    if (cached && cached.expiresAt > Date.now() && timingSafeEqual(cached.digest, digest)) {
      metrics.authCacheLookups.inc({ result: 'hit' });
      this.lastUsed.set(cached.principal.apiKeyId, new Date());
      return cached.principal;
    }
    metrics.authCacheLookups.inc({ result: 'miss' });
    const checkId = `${apiKey}:${digest.toString('hex')}`;
    const shared = this.checks.get(checkId);
    if (shared) {
      // Another request is checking this very pair: take its answer instead of running argon2
      // again (before the budget check, since that check's reservation is what it would see).
      const outcome = await shared;
      if (outcome.kind === 'ok') return outcome.principal;
      if (outcome.kind === 'failed') return this.fail(clientAddress);
      throw new AuthenticationError();
    }
    await this.ensureNotBlocked(apiKey, clientAddress);
    const check = this.check(apiKey, apiSecret, digest, clientAddress);
    this.checks.set(checkId, check);
    let outcome: Outcome;
    try {
      outcome = await check;
    } finally {
      if (this.checks.get(checkId) === check) this.checks.delete(checkId);
    }
    if (outcome.kind !== 'ok') throw new AuthenticationError();
    return outcome.principal;
  }

  /** Drops a key from this process's cache and voids verifications of it still in progress. */
  forget(apiKey: string): void {
    this.cache.delete(apiKey);
    for (const attempt of this.attempts.get(apiKey) ?? []) attempt.revoked = true;
  }

  /** Last-used times gathered since the previous call; flushed to the database in one statement. */
  drainLastUsed(): Map<string, Date> {
    const out = new Map(this.lastUsed);
    this.lastUsed.clear();
    return out;
  }

  get stats(): {
    cacheSize: number;
    inFlight: number;
    queued: number;
    pendingChecks: number;
    trackedAttempts: number;
  } {
    let trackedAttempts = 0;
    for (const set of this.attempts.values()) trackedAttempts += set.size;
    return {
      cacheSize: this.cache.size,
      inFlight: this.semaphore.inFlight,
      queued: this.semaphore.queued,
      pendingChecks: this.checks.size,
      trackedAttempts,
    };
  }

  /** Reads the key row and runs argon2, holding a point of both failure budgets meanwhile. */
  private async check(
    apiKey: string,
    apiSecret: string,
    digest: Buffer,
    clientAddress: string,
  ): Promise<Outcome> {
    const attempt: Attempt = { revoked: false, uncacheable: false };
    const pending = this.attempts.get(apiKey) ?? new Set<Attempt>();
    pending.add(attempt);
    this.attempts.set(apiKey, pending);
    const held: Reservation[] = [];
    let failed = false;
    try {
      held.push(await this.reserve(this.ipFailures, clientAddress));
      // Registered before this read: a revocation committed after it reaches `attempt`.
      const record = await this.repo.findByApiKey(apiKey);
      if (!record || record.revokedAt !== null) {
        // Unknown and revoked keys cost no argon2, so only the address's budget pays for them
        // (and a flood of random keys leaves no per-key counters behind).
        failed = true;
        return { kind: 'failed' };
      }
      held.push(await this.reserve(this.keyFailures, apiKey));
      const release = await this.semaphore.tryAcquire();
      if (!release) {
        recordMetric.rateLimitRefusal('auth_queue');
        throw new RateLimitedError('Too many credential checks in progress; retry shortly.', 1);
      }
      let ok: boolean;
      const endTimer = metrics.argon2Duration.startTimer();
      try {
        ok = await this.hasher.verify(record.secretHash, apiSecret);
      } finally {
        release();
        endTimer();
      }
      metrics.argon2Verifications.inc({ result: ok ? 'match' : 'mismatch' });
      if (!ok) {
        failed = true;
        return { kind: 'failed' };
      }
      if (attempt.revoked) return { kind: 'revoked' };
      const principal: Principal = {
        workspaceId: record.workspaceId,
        apiKeyId: record.id,
        scopes: record.scopes,
        allowedIps: record.allowedIps,
      };
      if (this.cacheEnabled && !attempt.uncacheable && this.options.cacheTtlMs > 0)
        this.remember(apiKey, { digest, principal, expiresAt: Date.now() + this.options.cacheTtlMs });
      this.lastUsed.set(record.id, new Date());
      return { kind: 'ok', principal };
    } finally {
      pending.delete(attempt);
      if (pending.size === 0 && this.attempts.get(apiKey) === pending) this.attempts.delete(apiKey);
      // A failure keeps its points; anything else (success, revoked meanwhile, shed, error) was not
      // a failed guess and gives them back.
      if (!failed) for (const r of held) this.refund(r);
    }
  }

  /** Takes one point; if the budget is spent, gives it straight back and answers 429. */
  /**
   * Runs other argon2 work (admin logins) inside the same bounded semaphore as key checks, so no
   * caller can exhaust the CPU or memory with password checks either; 429 when it is full.
   */
  async withVerificationSlot<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.semaphore.tryAcquire();
    if (!release) {
      recordMetric.rateLimitRefusal('auth_queue');
      throw new RateLimitedError('Too many credential checks in progress; retry shortly.', 1);
    }
    try {
      return await work();
    } finally {
      release();
    }
  }

  private async reserve(limiter: RateLimiterAbstract, key: string): Promise<Reservation> {
    try {
      const res = await limiter.consume(key);
      return { limiter, key, windowEndsAt: Date.now() + res.msBeforeNext };
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      await limiter.reward(key);
      recordMetric.rateLimitRefusal(limiter === this.keyFailures ? 'auth_key' : 'auth_ip');
      throw new RateLimitedError(THROTTLED, retryAfter(err.msBeforeNext));
    }
  }

  private refund(r: Reservation): void {
    if (Date.now() < r.windowEndsAt) void r.limiter.reward(r.key);
  }

  private reset(): void {
    this.cache.clear();
    for (const set of this.attempts.values()) for (const attempt of set) attempt.uncacheable = true;
  }

  private remember(apiKey: string, entry: CacheEntry): void {
    const max = this.options.maxCacheEntries ?? 10_000;
    if (this.cache.size >= max && !this.cache.has(apiKey)) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(apiKey, entry);
  }

  /** Cheap early answer while a budget is spent (the reservation is the authoritative check). */
  private async ensureNotBlocked(apiKey: string, clientAddress: string): Promise<void> {
    const [byKey, byIp] = await Promise.all([
      this.keyFailures.get(apiKey),
      this.ipFailures.get(clientAddress),
    ]);
    const blocked = [byKey, byIp].filter((r): r is RateLimiterRes => r !== null && r.remainingPoints <= 0);
    if (blocked.length > 0) {
      recordMetric.rateLimitRefusal(byKey !== null && byKey.remainingPoints <= 0 ? 'auth_key' : 'auth_ip');
      throw new RateLimitedError(THROTTLED, retryAfter(Math.max(...blocked.map((r) => r.msBeforeNext))));
    }
  }

  /** A failed attempt that ran no check of its own: it counts against the client address only. */
  private async fail(clientAddress: string): Promise<never> {
    await this.reserve(this.ipFailures, clientAddress);
    throw new AuthenticationError();
  }
}

function retryAfter(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
