import Ajv from 'ajv';
import { Type, type Static } from '@sinclair/typebox';
import { ConfigError, formatSchemaErrors, parseDelays } from './load-config';
import { EnvSchema } from './schema';

/**
 * The variables `pnpm sandbox` reads. The sandbox needs no database or broker, so it gets its own
 * small loader instead of `loadConfig` (which would demand or generate them). Its only secret is
 * `META_APP_SECRET`, the key of the webhooks it posts as Meta (optional, as is the URL).
 */
export const SANDBOX_CONFIG_KEYS = [
  'SANDBOX_PORT',
  'SANDBOX_HOST',
  'SANDBOX_SLOW_MS',
  'SANDBOX_CHAOS',
  'SANDBOX_WEBHOOK_URL',
  'SANDBOX_STATUS_DELAYS_MS',
  'META_APP_SECRET',
  'LOG_LEVEL',
] as const;

const SandboxEnvSchema = Type.Pick(EnvSchema, [...SANDBOX_CONFIG_KEYS]);
type SandboxEnv = Static<typeof SandboxEnvSchema>;

export interface SandboxConfig {
  readonly port: number;
  readonly host: string;
  readonly slowMs: number;
  /** `SANDBOX_CHAOS` as given (JSON); the sandbox validates its shape, as for `PUT /_sandbox/chaos`. */
  readonly chaos: string | undefined;
  /** `SANDBOX_WEBHOOK_URL`: where it posts Meta's signed webhooks. */
  readonly webhookUrl: string | undefined;
  /** `SANDBOX_STATUS_DELAYS_MS`: delays of the `sent`, `delivered` and `read` webhooks. */
  readonly statusDelaysMs: readonly [number, number, number];
  /** `META_APP_SECRET`: the key of their `X-Hub-Signature-256`. */
  readonly appSecret: string | undefined;
  /** The webhook to post to: only when both the URL and the secret are set. */
  readonly webhook:
    | {
        readonly url: string;
        readonly appSecret: string;
        readonly statusDelaysMs: readonly [number, number, number];
      }
    | undefined;
  readonly logLevel: 'error' | 'warn' | 'info' | 'debug';
}

const ajv = new Ajv({ allErrors: true, coerceTypes: true, useDefaults: true, strict: false });
const validateSandboxEnv = ajv.compile<SandboxEnv>(SandboxEnvSchema);

/** Parses the sandbox's variables once. Throws ConfigError listing every problem. */
export function loadSandboxConfig(rawEnv: Readonly<Record<string, string | undefined>>): SandboxConfig {
  const env: Record<string, unknown> = {};
  for (const key of SANDBOX_CONFIG_KEYS) {
    const value = rawEnv[key];
    if (value !== undefined && value !== '') env[key] = value;
  }
  if (!validateSandboxEnv(env)) {
    throw new ConfigError(formatSchemaErrors(validateSandboxEnv.errors ?? []));
  }
  const statusDelaysMs = parseDelays(env.SANDBOX_STATUS_DELAYS_MS);
  const webhookUrl = env.SANDBOX_WEBHOOK_URL;
  const appSecret = env.META_APP_SECRET;
  return Object.freeze({
    port: env.SANDBOX_PORT,
    host: env.SANDBOX_HOST,
    slowMs: env.SANDBOX_SLOW_MS,
    chaos: env.SANDBOX_CHAOS,
    webhookUrl,
    statusDelaysMs,
    appSecret,
    webhook:
      webhookUrl !== undefined && appSecret !== undefined
        ? Object.freeze({ url: webhookUrl, appSecret, statusDelaysMs })
        : undefined,
    logLevel: env.LOG_LEVEL,
  });
}
