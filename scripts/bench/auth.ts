/**
 * In-process cost of partner authentication: a cached `ApiKeyVerifier.verify` (the hot path of
 * every request once a key is warm) and one argon2id verification (what a cache miss pays).
 */
import { performance } from 'node:perf_hooks';
import { configDefaults } from '@flowgate/config';
import type { Database } from '@flowgate/db';
import {
  ApiKeyVerifier,
  createStores,
  createArgon2Hasher,
  generateApiSecret,
  type Argon2Params,
} from '@flowgate/core';
import type { Seeded } from './environment';
import { mean, percentile, round } from './stats';

export interface AuthResult {
  cachedUs: number;
  cachedIterations: number;
  argon2Ms: number;
  argon2P50Ms: number;
  argon2P99Ms: number;
  argon2Iterations: number;
  /** The configuration's defaults (ARGON2_MEMORY_KIB / ARGON2_TIME_COST / ARGON2_PARALLELISM). */
  argon2Params: Argon2Params;
}

export async function benchAuth(db: Database, seeded: Seeded, quick: boolean): Promise<AuthResult> {
  // What a deployment gets without tuning: the configuration's defaults, not numbers of our own.
  const { argon2: argon2Params, auth } = configDefaults();
  const hasher = createArgon2Hasher(argon2Params);
  const verifier = new ApiKeyVerifier(createStores(db).apiKeys, hasher, { ...auth, cacheTtlMs: 3_600_000 });
  const credentials = { apiKey: seeded.apiKey, apiSecret: seeded.apiSecret };
  // Warm: the first call reads the key and runs argon2 once; then warm the JIT.
  await verifier.verify(credentials, '127.0.0.1');
  for (let i = 0; i < 20_000; i += 1) await verifier.verify(credentials, '127.0.0.1');

  const cachedIterations = quick ? 100_000 : 500_000;
  const t0 = performance.now();
  for (let i = 0; i < cachedIterations; i += 1) await verifier.verify(credentials, '127.0.0.1');
  const cachedUs = ((performance.now() - t0) * 1000) / cachedIterations;

  const secret = generateApiSecret();
  const hash = await hasher.hash(secret);
  await hasher.verify(hash, secret);
  const argon2Iterations = quick ? 10 : 40;
  const times: number[] = [];
  for (let i = 0; i < argon2Iterations; i += 1) {
    const s = performance.now();
    const ok = await hasher.verify(hash, secret);
    times.push(performance.now() - s);
    if (!ok) throw new Error('argon2 verification failed');
  }
  times.sort((a, b) => a - b);
  return {
    cachedUs: round(cachedUs, 3),
    cachedIterations,
    argon2Ms: round(mean(times), 2),
    argon2P50Ms: round(percentile(times, 0.5), 2),
    argon2P99Ms: round(percentile(times, 0.99), 2),
    argon2Iterations,
    argon2Params,
  };
}
