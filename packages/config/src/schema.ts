import { Type, type Static } from '@sinclair/typebox';

/**
 * Every environment variable Flowgate reads, with its type and default. This schema is the single
 * source for `loadConfig` and for the README's configuration table (kept in step by a test).
 * `x-secret` marks values the logger must redact.
 */
export const EnvSchema = Type.Object(
  {
    DATABASE_URL: Type.Optional(
      Type.String({
        minLength: 1,
        pattern: '^postgres(ql)?://',
        description:
          'PostgreSQL connection string; unset: embedded PostgreSQL (PGlite) under FLOWGATE_DATA_DIR',
        'x-secret': true,
      }),
    ),
    DATABASE_POOL_MAX: Type.Integer({
      default: 10,
      minimum: 1,
      maximum: 200,
      description: 'PostgreSQL connections per process',
    }),
    DATABASE_STATEMENT_TIMEOUT_MS: Type.Integer({
      default: 5000,
      minimum: 100,
      maximum: 600000,
      description:
        'PostgreSQL statement and lock timeout; the client gives up 1 s later, so a stalled database answers 503',
    }),
    IDEMPOTENCY_KEY_RETENTION_HOURS: Type.Integer({
      default: 48,
      minimum: 24,
      maximum: 8760,
      description: 'How long an Idempotency-Key is kept before the outbox relay frees it (at least 24)',
    }),
    AMQP_URL: Type.Optional(
      Type.String({
        minLength: 1,
        pattern: '^amqps?://',
        description: 'RabbitMQ connection string; unset: in-process broker (single-process mode only)',
        'x-secret': true,
      }),
    ),
    AMQP_PREFIX: Type.String({
      default: 'flowgate',
      pattern: '^[a-z0-9][a-z0-9._-]{0,62}$',
      description: 'Prefix of every exchange and queue name (separates environments on one vhost)',
    }),
    FLOWGATE_DATA_DIR: Type.String({
      default: './.data',
      minLength: 1,
      description: 'Embedded data and generated development secrets',
    }),
    PORT: Type.Integer({ default: 3000, minimum: 0, maximum: 65535, description: 'public-api listen port' }),
    HOST: Type.String({ default: '0.0.0.0', minLength: 1, description: 'public-api listen address' }),
    GRAPH_API_BASE_URL: Type.String({
      default: 'https://graph.facebook.com',
      pattern: '^https?://',
      description: 'WhatsApp Cloud API base URL',
    }),
    GRAPH_API_VERSION: Type.String({
      default: 'v25.0',
      pattern: '^v\\d+\\.\\d+$',
      description: 'Pinned Graph API version',
    }),
    FLOWGATE_SECRET_KEY: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'base64 of 32 random bytes: provider access tokens are encrypted with it (AES-256-GCM). Required with DATABASE_URL; generated into the data dir otherwise',
        'x-secret': true,
      }),
    ),
    JWT_SECRET: Type.Optional(
      Type.String({
        minLength: 32,
        description:
          'Signs admin session tokens (≥ 32 characters). Required with DATABASE_URL; generated into the data dir otherwise',
        'x-secret': true,
      }),
    ),
    LOG_LEVEL: Type.Union(
      [Type.Literal('error'), Type.Literal('warn'), Type.Literal('info'), Type.Literal('debug')],
      { default: 'info', description: 'winston log level' },
    ),
    ARGON2_MEMORY_KIB: Type.Integer({
      default: 19456,
      minimum: 19456,
      description: 'argon2id memory cost for API-key secrets and passwords (OWASP minimum 19 MiB)',
    }),
    ARGON2_TIME_COST: Type.Integer({ default: 2, minimum: 2, description: 'argon2id iterations' }),
    ARGON2_PARALLELISM: Type.Integer({ default: 1, minimum: 1, description: 'argon2id parallelism' }),
    AUTH_CACHE_TTL_SECONDS: Type.Integer({
      default: 60,
      minimum: 0,
      maximum: 3600,
      description: 'How long a verified key pair stays cached (backstop to revocation notifications)',
    }),
    AUTH_MAX_CONCURRENT_VERIFICATIONS: Type.Integer({
      default: 2,
      minimum: 1,
      description: 'argon2 verifications running at once per process',
    }),
    AUTH_MAX_QUEUED_VERIFICATIONS: Type.Integer({
      default: 32,
      minimum: 0,
      description: 'argon2 verifications waiting for a slot before new ones get 429',
    }),
    AUTH_FAILURES_PER_KEY: Type.Integer({
      default: 10,
      minimum: 1,
      description: 'Failed attempts per API key per minute before 429',
    }),
    AUTH_FAILURES_PER_IP: Type.Integer({
      default: 30,
      minimum: 1,
      description: 'Failed attempts per client address per minute before 429',
    }),
    DISPATCH_PREFETCH: Type.Integer({
      default: 256,
      minimum: 1,
      maximum: 5000,
      description: 'Deliveries a dispatcher holds at once (RabbitMQ prefetch)',
    }),
    DISPATCH_RATE_PER_NUMBER: Type.Number({
      default: 80,
      exclusiveMinimum: 0,
      description: 'Provider calls per second per sending number (Meta default 80, up to 1000)',
    }),
    DISPATCH_PAIR_BURST: Type.Integer({
      default: 45,
      minimum: 1,
      description: 'Messages one number may send one recipient in a burst (Meta pair limit)',
    }),
    DISPATCH_PAIR_PER_MINUTE: Type.Number({
      default: 10,
      exclusiveMinimum: 0,
      description: 'Sustained messages per minute from one number to one recipient',
    }),
    DISPATCH_MAX_ATTEMPTS: Type.Integer({
      default: 8,
      minimum: 1,
      maximum: 50,
      description: 'Provider attempts before a retryable failure becomes FAILED',
    }),
    DISPATCH_CLAIM_TIMEOUT_MS: Type.Integer({
      default: 60000,
      minimum: 1000,
      description: 'A SENDING claim older than this is taken over (crashed dispatcher)',
    }),
    DISPATCH_RETRY_DELAYS_MS: Type.String({
      default: '1000,5000,30000,120000,600000',
      pattern: '^\\d+(,\\d+)*$',
      description: 'Retry delay tiers (one delay queue each), milliseconds',
    }),
    DISPATCH_IN_FLIGHT_PER_NUMBER: Type.Integer({
      default: 64,
      minimum: 1,
      maximum: 5000,
      description:
        'Provider calls one dispatcher keeps in flight per sending number (a slow number cannot take the whole prefetch)',
    }),
    DISPATCH_ACCOUNT_PAUSE_MS: Type.Integer({
      default: 60000,
      minimum: 100,
      description:
        'After an account-level error (expired token, locked account) the number is paused this long, in every dispatcher',
    }),
    DISPATCH_SHUTDOWN_TIMEOUT_MS: Type.Integer({
      default: 25000,
      minimum: 100,
      description:
        'Dispatcher SIGTERM: in-flight calls get this long to finish and be recorded before the process exits',
    }),
    DISPATCHER_HEALTH_PORT: Type.Integer({
      default: 0,
      minimum: 0,
      maximum: 65535,
      description: 'Dispatcher: serve /healthz and /readyz on this port (0 = off)',
    }),
    PROVIDER_TIMEOUT_MS: Type.Integer({
      default: 10000,
      minimum: 100,
      description: 'Timeout of one Cloud API call',
    }),
    SANDBOX: Type.Union([Type.Literal('true'), Type.Literal('false')], {
      default: 'false',
      description:
        '`pnpm start` with PostgreSQL and RabbitMQ: also run the sandbox provider and send to it (always on in embedded mode)',
    }),
    SANDBOX_PORT: Type.Integer({
      default: 4010,
      minimum: 0,
      maximum: 65535,
      description:
        'Port of the sandbox provider (`pnpm sandbox`, and `pnpm start` when it runs one; 0 = any free port)',
    }),
    SANDBOX_HOST: Type.String({
      default: '0.0.0.0',
      minLength: 1,
      description: '`pnpm sandbox`: listen address',
    }),
    SANDBOX_SLOW_MS: Type.Integer({
      default: 3000,
      minimum: 0,
      maximum: 600000,
      description: '`pnpm sandbox`: answer delay of the SLOW magic number, milliseconds',
    }),
    SANDBOX_CHAOS: Type.Optional(
      Type.String({
        minLength: 2,
        description:
          '`pnpm sandbox`: fault mix from the start, JSON as for `PUT /_sandbox/chaos` (e.g. `{"http500Rate":0.1}`)',
      }),
    ),
    META_APP_SECRET: Type.Optional(
      Type.String({
        minLength: 8,
        description:
          "Meta app secret: the key of Meta's X-Hub-Signature-256 on `POST /api/v1/webhooks/meta`; unset: the intake answers 503 (embedded mode generates one)",
        'x-secret': true,
      }),
    ),
    META_WEBHOOK_VERIFY_TOKEN: Type.Optional(
      Type.String({
        minLength: 8,
        description:
          "The verify token of Meta's webhook handshake (`GET /api/v1/webhooks/meta`); unset: the intake answers 503 (embedded mode generates one)",
        'x-secret': true,
      }),
    ),
    META_PENDING_STATUS_DAYS: Type.Integer({
      default: 7,
      minimum: 1,
      maximum: 30,
      description:
        'How long a Meta status for a message not yet SENT waits to be applied before it is dropped (ADR 0038)',
    }),
    META_WORKER_PREFETCH: Type.Integer({
      default: 16,
      minimum: 1,
      maximum: 1000,
      description: 'Dispatcher: stored Meta webhooks processed at once per process',
    }),
    REDIS_URL: Type.Optional(
      Type.String({
        pattern: '^rediss?://',
        description:
          'Redis for rate limits shared by every API process; unset: limits per process (a Redis outage falls back to per process too)',
        'x-secret': true,
      }),
    ),
    PARTNER_RATE_LIMIT_PER_SECOND: Type.Integer({
      default: 100,
      minimum: 1,
      maximum: 1000000,
      description:
        'Partner requests per second per API key (a workspace may have its own: `workspace:set-rate-limit`)',
    }),
    PARTNER_RATE_LIMIT_BURST: Type.Integer({
      default: 200,
      minimum: 1,
      maximum: 1000000,
      description: 'Partner requests per API key allowed in a burst above the per-second rate',
    }),
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: Type.Optional(
      Type.Union([Type.Literal('true'), Type.Literal('false')], {
        description:
          'Partner webhooks may use `http` and loopback/private addresses (development only; default `true` in embedded mode, `false` otherwise)',
      }),
    ),
    WEBHOOK_RETRY_SCHEDULE_MS: Type.String({
      default: '0,5000,300000,1800000,7200000,18000000,36000000,50400000,72000000,86400000',
      pattern: '^\\d{1,9}(,\\d{1,9}){0,19}$',
      description:
        "Partner webhooks: the delay before each attempt, milliseconds (Standard Webhooks' schedule: at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h)",
    }),
    WEBHOOK_TIMEOUT_MS: Type.Integer({
      default: 15000,
      minimum: 100,
      maximum: 120000,
      description: 'Partner webhooks: a delivery attempt times out after this, milliseconds',
    }),
    WEBHOOK_DISABLE_AFTER_HOURS: Type.Integer({
      default: 120,
      minimum: 1,
      maximum: 8760,
      description: 'Partner webhooks: an endpoint whose every delivery failed for this long is disabled',
    }),
    WEBHOOK_CONCURRENCY_PER_ENDPOINT: Type.Integer({
      default: 8,
      minimum: 1,
      maximum: 1000,
      description:
        "Partner webhooks: deliveries in flight to one endpoint per dispatcher process (a slow endpoint never takes the others' turn)",
    }),
    WEBHOOK_WORKER_PREFETCH: Type.Integer({
      default: 64,
      minimum: 1,
      maximum: 1000,
      description: 'Dispatcher: partner webhook deliveries in flight per process',
    }),
    SANDBOX_WEBHOOK_URL: Type.Optional(
      Type.String({
        pattern: '^https?://',
        description:
          "Sandbox: where it posts Meta's signed webhooks (statuses after each accepted send, `POST /_sandbox/inbound`), signed with META_APP_SECRET; `pnpm start` points it at its own intake",
      }),
    ),
    SANDBOX_STATUS_DELAYS_MS: Type.String({
      default: '200,800,1500',
      pattern: '^\\d{1,7},\\d{1,7},\\d{1,7}$',
      description:
        'Sandbox: delays of the `sent`, `delivered` and `read` webhooks after an accepted send, milliseconds (each after the previous)',
    }),
    TRUST_PROXY: Type.String({
      default: 'false',
      minLength: 1,
      description:
        'Who may set the client address (X-Forwarded-For): `false` (nobody), a hop count (`1`: one proxy in front) or proxy subnets (`10.0.0.0/8,loopback`)',
    }),
    HTTP_HEADERS_TIMEOUT_MS: Type.Integer({
      default: 10000,
      minimum: 100,
      maximum: 600000,
      description:
        'public-api: request headers must arrive within this, milliseconds (slow clients are cut off)',
    }),
    HTTP_REQUEST_TIMEOUT_MS: Type.Integer({
      default: 30000,
      minimum: 100,
      maximum: 3600000,
      description:
        'public-api: the whole request must arrive within this, milliseconds (at least HTTP_HEADERS_TIMEOUT_MS)',
    }),
    FLOWGATE_OWNER_PASSWORD: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          '`pnpm cli workspace:create`: the owner password when neither `--owner-password` nor `--owner-password-stdin` is given (keeps it out of shell history and `ps`)',
        'x-secret': true,
      }),
    ),
    FLOWGATE_ACCESS_TOKEN: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          '`pnpm cli phone-number:add`: the provider access token when neither `--access-token` nor `--access-token-stdin` is given',
        'x-secret': true,
      }),
    ),
    METRICS_TOKEN: Type.Optional(
      Type.String({
        minLength: 16,
        description:
          'Bearer token for `GET /metrics` (public-api, and the dispatcher health port); unset: /metrics is open (keep it off the public network)',
        'x-secret': true,
      }),
    ),
  },
  { additionalProperties: true },
);

export type Env = Static<typeof EnvSchema>;
