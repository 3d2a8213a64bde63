import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { isIP } from 'node:net';
import Ajv, { type ErrorObject } from 'ajv';
import { EnvSchema, type Env } from './schema';

/**
 * Which proxies may set the client address: none (`false`), the nearest N hops, or the listed
 * addresses/subnets (Express's `trust proxy`). Never "everyone", which would let any client pick
 * its own address and so its own per-address throttle.
 */
export type TrustProxy = false | number | readonly string[];

export interface Config {
  readonly database:
    { readonly kind: 'postgres'; readonly url: string } | { readonly kind: 'pglite'; readonly dir: string };
  readonly databasePoolMax: number;
  /** PostgreSQL statement_timeout / lock_timeout; the client's query timeout is 1 s more. */
  readonly databaseStatementTimeoutMs: number;
  /** How long Idempotency-Keys are kept (docs/contracts.md §2.2: at least 24 h). */
  readonly idempotencyRetentionMs: number;
  readonly amqp: { readonly url: string | undefined; readonly prefix: string };
  readonly dataDir: string;
  readonly http: {
    readonly port: number;
    readonly host: string;
    readonly trustProxy: TrustProxy;
    /** Slow-client limits (slowloris): headers, and the whole request, must arrive within these. */
    readonly headersTimeoutMs: number;
    readonly requestTimeoutMs: number;
  };
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
  readonly sandbox: {
    readonly enabled: boolean;
    readonly port: number;
    /** Where the sandbox posts Meta's signed webhooks (unset: it posts none). */
    readonly webhookUrl: string | undefined;
    /** Delays of the sandbox's `sent`, `delivered`, `read` webhooks, each after the previous. */
    readonly statusDelaysMs: readonly [number, number, number];
  };
  /** Partner rate limits (docs/contracts.md §12). */
  readonly rateLimits: {
    readonly redisUrl: string | undefined;
    readonly perSecond: number;
    readonly burst: number;
  };
  /** Partner webhooks (docs/contracts.md §10). */
  readonly webhooks: {
    readonly allowPrivateNetworks: boolean;
    /** The delay before each attempt; its length is the number of attempts. */
    readonly retryScheduleMs: readonly number[];
    readonly timeoutMs: number;
    readonly disableAfterMs: number;
    readonly concurrencyPerEndpoint: number;
    readonly prefetch: number;
  };
  /** Meta's webhooks in (docs/contracts.md §9). Unset secrets: the intake answers 503 naming them. */
  readonly meta: {
    readonly appSecret: string | undefined;
    readonly verifyToken: string | undefined;
    readonly pendingStatusMs: number;
    readonly workerPrefetch: number;
  };
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
    readonly inFlightPerNumber: number;
    readonly accountPauseMs: number;
    readonly shutdownTimeoutMs: number;
  };
  /** `GET /metrics` answers only `Authorization: Bearer <token>` when set (docs/contracts.md §14). */
  readonly metrics: { readonly token: string | undefined };
  /** Secrets the CLI takes from the environment instead of its command line. */
  readonly cli: { readonly ownerPassword: string | undefined; readonly accessToken: string | undefined };
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
 * One readable line per variable from AJV's errors: a choice of literals (which AJV reports as one
 * "must be equal to constant" per option plus an anyOf) becomes "must be one of: …". Values are
 * not echoed, since some are secrets.
 */
export function formatSchemaErrors(errors: readonly ErrorObject[]): string[] {
  const byName = new Map<string, ErrorObject[]>();
  for (const e of errors) {
    const name = e.instancePath.replace(/^\//, '') || String(e.params['missingProperty'] ?? '');
    byName.set(name, [...(byName.get(name) ?? []), e]);
  }
  const out: string[] = [];
  for (const [name, list] of byName) {
    const allowed = list.flatMap((e) => {
      if (e.keyword === 'const') return [String(e.params['allowedValue'])];
      if (e.keyword === 'enum' && Array.isArray(e.params['allowedValues']))
        return (e.params['allowedValues'] as unknown[]).map(String);
      return [];
    });
    if (allowed.length > 0) {
      out.push(`${name}: must be one of: ${[...new Set(allowed)].join(', ')}`);
      continue;
    }
    const messages = [
      ...new Set(list.filter((e) => e.keyword !== 'anyOf').map((e) => e.message ?? 'is invalid')),
    ];
    out.push(`${name}: ${messages.join('; ') || 'is invalid'}`);
  }
  return out;
}

/** The values the settings take when nothing is set (the benchmark reports with them). */
export function configDefaults(): { argon2: Config['argon2']; auth: Config['auth'] } {
  const env: Record<string, unknown> = {};
  validateEnv(env);
  const typed = env as Env;
  return { argon2: argon2Of(typed), auth: authOf(typed) };
}

/**
 * Parses the environment once. Throws ConfigError listing every problem. With no DATABASE_URL
 * (embedded mode) missing secrets are generated once into `<dataDir>/secrets.json`.
 */
export function loadConfig(rawEnv: Readonly<Record<string, string | undefined>>): Config {
  const known = Object.keys(EnvSchema.properties);
  const raw: Record<string, unknown> = {};
  for (const key of known) {
    const value = rawEnv[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const problems: string[] = [];
  // On failure AJV has still applied the defaults and coerced what it could, so the checks below
  // run too and the operator sees every problem at once.
  if (!validateEnv(raw)) problems.push(...formatSchemaErrors(validateEnv.errors ?? []));
  const env = raw as Env;

  const trustProxy = parseTrustProxy(env.TRUST_PROXY, problems);
  if (
    typeof env.HTTP_HEADERS_TIMEOUT_MS === 'number' &&
    typeof env.HTTP_REQUEST_TIMEOUT_MS === 'number' &&
    env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS
  )
    problems.push('HTTP_HEADERS_TIMEOUT_MS: must not be greater than HTTP_REQUEST_TIMEOUT_MS');
  const dataDir = path.resolve(env.FLOWGATE_DATA_DIR);
  let secretKeyB64 = env.FLOWGATE_SECRET_KEY;
  let jwtSecret = env.JWT_SECRET;
  let metaAppSecret = env.META_APP_SECRET;
  let metaVerifyToken = env.META_WEBHOOK_VERIFY_TOKEN;
  if (env.DATABASE_URL === undefined) {
    // Write nothing to disk for a configuration that is refused anyway.
    if (problems.length === 0) {
      const generated = ensureDevSecrets(dataDir);
      secretKeyB64 ??= generated.secretKey;
      jwtSecret ??= generated.jwtSecret;
      metaAppSecret ??= generated.metaAppSecret;
      metaVerifyToken ??= generated.metaVerifyToken;
    }
  } else {
    if (secretKeyB64 === undefined)
      problems.push('FLOWGATE_SECRET_KEY: is required when DATABASE_URL is set (openssl rand -base64 32)');
    if (jwtSecret === undefined)
      problems.push('JWT_SECRET: is required when DATABASE_URL is set (at least 32 characters)');
  }
  let secretKey = Buffer.alloc(0);
  if (typeof secretKeyB64 === 'string') {
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
    databaseStatementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
    idempotencyRetentionMs: env.IDEMPOTENCY_KEY_RETENTION_HOURS * 3600_000,
    amqp: { url: env.AMQP_URL, prefix: env.AMQP_PREFIX },
    dataDir,
    http: {
      port: env.PORT,
      host: env.HOST,
      trustProxy,
      headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
    },
    graph: { baseUrl: env.GRAPH_API_BASE_URL.replace(/\/+$/, ''), version: env.GRAPH_API_VERSION },
    secretKey,
    jwtSecret: jwtSecret ?? '',
    logLevel: env.LOG_LEVEL,
    argon2: argon2Of(env),
    auth: authOf(env),
    sandbox: {
      enabled: env.SANDBOX === 'true' || env.DATABASE_URL === undefined,
      port: env.SANDBOX_PORT,
      webhookUrl: env.SANDBOX_WEBHOOK_URL,
      statusDelaysMs: parseDelays(env.SANDBOX_STATUS_DELAYS_MS),
    },
    rateLimits: {
      redisUrl: env.REDIS_URL,
      perSecond: env.PARTNER_RATE_LIMIT_PER_SECOND,
      burst: Math.max(env.PARTNER_RATE_LIMIT_BURST, env.PARTNER_RATE_LIMIT_PER_SECOND),
    },
    webhooks: {
      allowPrivateNetworks:
        env.WEBHOOK_ALLOW_PRIVATE_NETWORKS === undefined
          ? env.DATABASE_URL === undefined
          : env.WEBHOOK_ALLOW_PRIVATE_NETWORKS === 'true',
      retryScheduleMs: env.WEBHOOK_RETRY_SCHEDULE_MS.split(',').map(Number),
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      disableAfterMs: env.WEBHOOK_DISABLE_AFTER_HOURS * 3600_000,
      concurrencyPerEndpoint: env.WEBHOOK_CONCURRENCY_PER_ENDPOINT,
      prefetch: env.WEBHOOK_WORKER_PREFETCH,
    },
    meta: {
      appSecret: metaAppSecret,
      verifyToken: metaVerifyToken,
      pendingStatusMs: env.META_PENDING_STATUS_DAYS * 86_400_000,
      workerPrefetch: env.META_WORKER_PREFETCH,
    },
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
      inFlightPerNumber: env.DISPATCH_IN_FLIGHT_PER_NUMBER,
      accountPauseMs: env.DISPATCH_ACCOUNT_PAUSE_MS,
      shutdownTimeoutMs: env.DISPATCH_SHUTDOWN_TIMEOUT_MS,
    },
    metrics: { token: env.METRICS_TOKEN },
    cli: { ownerPassword: env.FLOWGATE_OWNER_PASSWORD, accessToken: env.FLOWGATE_ACCESS_TOKEN },
  } satisfies Config);
}

/**
 * For a process's entry point: runs `load`, and on a ConfigError writes its list of problems to
 * stderr and exits 78 (EX_CONFIG), so a misconfigured process stops before it starts anything.
 */
export function exitOnConfigError<T>(load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(78);
  }
}

/** `loadConfig` for an entry point (see {@link exitOnConfigError}). */
export function loadConfigOrExit(rawEnv: Readonly<Record<string, string | undefined>>): Config {
  return exitOnConfigError(() => loadConfig(rawEnv));
}

function argon2Of(env: Env): Config['argon2'] {
  return {
    memoryCost: env.ARGON2_MEMORY_KIB,
    timeCost: env.ARGON2_TIME_COST,
    parallelism: env.ARGON2_PARALLELISM,
  };
}

function authOf(env: Env): Config['auth'] {
  return {
    cacheTtlMs: env.AUTH_CACHE_TTL_SECONDS * 1000,
    maxConcurrentVerifications: env.AUTH_MAX_CONCURRENT_VERIFICATIONS,
    maxQueuedVerifications: env.AUTH_MAX_QUEUED_VERIFICATIONS,
    failuresPerKey: env.AUTH_FAILURES_PER_KEY,
    failuresPerIp: env.AUTH_FAILURES_PER_IP,
  };
}

const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** TRUST_PROXY: `false`, a hop count, or addresses/subnets/named ranges (ADR 0009). */
function parseTrustProxy(value: unknown, problems: string[]): TrustProxy {
  if (typeof value !== 'string') return false;
  const v = value.trim().toLowerCase();
  if (v === 'false' || v === '0') return false;
  if (v === 'true') {
    problems.push(
      'TRUST_PROXY: `true` would trust any X-Forwarded-For a client sends; give the number of proxies in front (e.g. 1) or their addresses (e.g. 10.0.0.0/8)',
    );
    return false;
  }
  if (/^\d+$/.test(v)) {
    const hops = Number(v);
    if (hops > 20) problems.push('TRUST_PROXY: a hop count must be at most 20');
    return hops;
  }
  const entries = v.split(',').map((e) => e.trim());
  const bad = entries.filter((e) => !NAMED_RANGES.has(e) && !isAddressOrSubnet(e));
  if (bad.length > 0)
    problems.push(
      `TRUST_PROXY: not an address, subnet (a.b.c.d/n) or loopback/linklocal/uniquelocal: ${bad.map((b) => JSON.stringify(b)).join(', ')}`,
    );
  return entries;
}

function isAddressOrSubnet(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/** `SANDBOX_STATUS_DELAYS_MS` ("sent,delivered,read"), already checked by the schema's pattern. */
export function parseDelays(value: string): readonly [number, number, number] {
  const [sent = 0, delivered = 0, read = 0] = value.split(',').map(Number);
  return [sent, delivered, read];
}

/** The values the logger must never print. */
export function secretValues(config: Config): string[] {
  const values = [config.jwtSecret, config.secretKey.toString('base64')];
  if (config.metrics.token !== undefined) values.push(config.metrics.token);
  for (const value of [config.meta.appSecret, config.meta.verifyToken])
    if (value !== undefined) values.push(value);
  for (const value of [config.cli.ownerPassword, config.cli.accessToken])
    if (value !== undefined) values.push(value);
  if (config.database.kind === 'postgres') {
    const password = safePassword(config.database.url);
    if (password) values.push(password);
  }
  if (config.rateLimits.redisUrl) {
    const password = safePassword(config.rateLimits.redisUrl);
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

interface DevSecrets {
  secretKey: string;
  jwtSecret: string;
  metaAppSecret: string;
  metaVerifyToken: string;
}

/** Embedded mode's secrets, generated once into the data dir (a file from before Meta's keys gets them added). */
function ensureDevSecrets(dataDir: string): DevSecrets {
  const file = path.join(dataDir, 'secrets.json');
  let existing: Partial<Record<keyof DevSecrets, unknown>> = {};
  if (existsSync(file)) {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (
      typeof parsed !== 'object' ||
      parsed === null ||
      !('secretKey' in parsed) ||
      !('jwtSecret' in parsed) ||
      typeof parsed.secretKey !== 'string' ||
      typeof parsed.jwtSecret !== 'string'
    )
      throw new ConfigError([`${file}: is not a valid secrets file; delete it to generate a new one`]);
    existing = parsed;
  }
  const text = (value: unknown, make: () => string): string => (typeof value === 'string' ? value : make());
  const secrets: DevSecrets = {
    secretKey: text(existing.secretKey, () => randomBytes(32).toString('base64')),
    jwtSecret: text(existing.jwtSecret, () => randomBytes(48).toString('base64url')),
    metaAppSecret: text(existing.metaAppSecret, () => randomBytes(32).toString('hex')),
    metaVerifyToken: text(existing.metaVerifyToken, () => randomBytes(24).toString('base64url')),
  };
  if (Object.values(existing).filter((v) => typeof v === 'string').length < 4) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
  }
  return secrets;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Buffer.isBuffer(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
