import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { EnvSchema, type Env } from './schema';

export interface Config {
  readonly database:
    { readonly kind: 'postgres'; readonly url: string } | { readonly kind: 'pglite'; readonly dir: string };
  readonly databasePoolMax: number;
  readonly amqp: { readonly url: string | undefined; readonly prefix: string };
  readonly dataDir: string;
  readonly http: { readonly port: number; readonly host: string; readonly trustProxy: boolean };
  readonly graph: { readonly baseUrl: string; readonly version: string };
  /** 32-byte key for AES-256-GCM encryption of provider tokens. */
  readonly secretKey: Buffer;
  readonly jwtSecret: string;
  readonly logLevel: 'error' | 'warn' | 'info' | 'debug';
  readonly argon2: { readonly memoryCost: number; readonly timeCost: number; readonly parallelism: number };
  readonly auth: {
    readonly cacheTtlMs: number;
    readonly maxConcurrentVerifications: number;
    readonly maxQueuedVerifications: number;
    readonly failuresPerKey: number;
    readonly failuresPerIp: number;
  };
  readonly sandbox: { readonly enabled: boolean; readonly port: number };
  readonly dispatch: {
    readonly prefetch: number;
    readonly ratePerNumber: number;
    readonly pairBurst: number;
    readonly pairPerMinute: number;
    readonly maxAttempts: number;
    readonly claimTimeoutMs: number;
    readonly retryDelaysMs: readonly number[];
    readonly providerTimeoutMs: number;
    readonly healthPort: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const ajv = new Ajv({ allErrors: true, coerceTypes: true, useDefaults: true, strict: false });
const validateEnv = ajv.compile<Env>(EnvSchema);

/**
 * Parses the environment once. Throws ConfigError listing every problem. With no DATABASE_URL
 * (embedded mode) missing secrets are generated once into `<dataDir>/secrets.json`.
 */
export function loadConfig(rawEnv: Readonly<Record<string, string | undefined>>): Config {
  const known = Object.keys(EnvSchema.properties);
  const env: Record<string, unknown> = {};
  for (const key of known) {
    const value = rawEnv[key];
    if (value !== undefined && value !== '') env[key] = value;
  }
  const problems: string[] = [];
  if (!validateEnv(env)) {
    for (const e of validateEnv.errors ?? []) {
      const name = e.instancePath.replace(/^\//, '') || String(e.params['missingProperty'] ?? '');
      problems.push(`${name}: ${e.message ?? 'is invalid'}`);
    }
    throw new ConfigError(problems);
  }
  const dataDir = path.resolve(env.FLOWGATE_DATA_DIR);
  let secretKeyB64 = env.FLOWGATE_SECRET_KEY;
  let jwtSecret = env.JWT_SECRET;
  if (env.DATABASE_URL === undefined) {
    const generated = ensureDevSecrets(dataDir);
    secretKeyB64 ??= generated.secretKey;
    jwtSecret ??= generated.jwtSecret;
  } else {
    if (secretKeyB64 === undefined)
      problems.push('FLOWGATE_SECRET_KEY: is required when DATABASE_URL is set (openssl rand -base64 32)');
    if (jwtSecret === undefined)
      problems.push('JWT_SECRET: is required when DATABASE_URL is set (at least 32 characters)');
  }
  let secretKey = Buffer.alloc(0);
  if (secretKeyB64 !== undefined) {
    secretKey = Buffer.from(secretKeyB64, 'base64');
    if (secretKey.length !== 32) problems.push('FLOWGATE_SECRET_KEY: must be base64 of exactly 32 bytes');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return deepFreeze({
    database:
      env.DATABASE_URL !== undefined
        ? { kind: 'postgres', url: env.DATABASE_URL }
        : { kind: 'pglite', dir: path.join(dataDir, 'pglite') },
    databasePoolMax: env.DATABASE_POOL_MAX,
    amqp: { url: env.AMQP_URL, prefix: env.AMQP_PREFIX },
    dataDir,
    http: { port: env.PORT, host: env.HOST, trustProxy: env.TRUST_PROXY === 'true' },
    graph: { baseUrl: env.GRAPH_API_BASE_URL.replace(/\/+$/, ''), version: env.GRAPH_API_VERSION },
    secretKey,
    jwtSecret: jwtSecret ?? '',
    logLevel: env.LOG_LEVEL,
    argon2: {
      memoryCost: env.ARGON2_MEMORY_KIB,
      timeCost: env.ARGON2_TIME_COST,
      parallelism: env.ARGON2_PARALLELISM,
    },
    auth: {
      cacheTtlMs: env.AUTH_CACHE_TTL_SECONDS * 1000,
      maxConcurrentVerifications: env.AUTH_MAX_CONCURRENT_VERIFICATIONS,
      maxQueuedVerifications: env.AUTH_MAX_QUEUED_VERIFICATIONS,
      failuresPerKey: env.AUTH_FAILURES_PER_KEY,
      failuresPerIp: env.AUTH_FAILURES_PER_IP,
    },
    sandbox: { enabled: env.SANDBOX === 'true' || env.DATABASE_URL === undefined, port: env.SANDBOX_PORT },
    dispatch: {
      prefetch: env.DISPATCH_PREFETCH,
      ratePerNumber: env.DISPATCH_RATE_PER_NUMBER,
      pairBurst: env.DISPATCH_PAIR_BURST,
      pairPerMinute: env.DISPATCH_PAIR_PER_MINUTE,
      maxAttempts: env.DISPATCH_MAX_ATTEMPTS,
      claimTimeoutMs: env.DISPATCH_CLAIM_TIMEOUT_MS,
      retryDelaysMs: env.DISPATCH_RETRY_DELAYS_MS.split(',').map(Number),
      providerTimeoutMs: env.PROVIDER_TIMEOUT_MS,
      healthPort: env.DISPATCHER_HEALTH_PORT,
    },
  } satisfies Config);
}

/** The values the logger must never print. */
export function secretValues(config: Config): string[] {
  const values = [config.jwtSecret, config.secretKey.toString('base64')];
  if (config.database.kind === 'postgres') {
    const password = safePassword(config.database.url);
    if (password) values.push(password);
  }
  if (config.amqp.url) {
    const password = safePassword(config.amqp.url);
    if (password) values.push(password);
  }
  return values.filter((v) => v.length >= 6);
}

function safePassword(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

function ensureDevSecrets(dataDir: string): { secretKey: string; jwtSecret: string } {
  const file = path.join(dataDir, 'secrets.json');
  if (existsSync(file)) {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'secretKey' in parsed && 'jwtSecret' in parsed) {
      const { secretKey, jwtSecret } = parsed;
      if (typeof secretKey === 'string' && typeof jwtSecret === 'string') return { secretKey, jwtSecret };
    }
    throw new ConfigError([`${file}: is not a valid secrets file; delete it to generate a new one`]);
  }
  mkdirSync(dataDir, { recursive: true });
  const secrets = {
    secretKey: randomBytes(32).toString('base64'),
    jwtSecret: randomBytes(48).toString('base64url'),
  };
  writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
  return secrets;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Buffer.isBuffer(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
