import Ajv from 'ajv';
import { Type, type Static } from '@sinclair/typebox';
import { ConfigError, formatSchemaErrors } from './load-config';
import { EnvSchema } from './schema';

/**
 * The variables `pnpm sandbox` reads. The sandbox needs no database, broker or secrets, so it
 * gets its own small loader instead of `loadConfig` (which would demand or generate them).
 */
export const SANDBOX_CONFIG_KEYS = [
  'SANDBOX_PORT',
  'SANDBOX_HOST',
  'SANDBOX_SLOW_MS',
  'SANDBOX_CHAOS',
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
  return Object.freeze({
    port: env.SANDBOX_PORT,
    host: env.SANDBOX_HOST,
    slowMs: env.SANDBOX_SLOW_MS,
    chaos: env.SANDBOX_CHAOS,
    logLevel: env.LOG_LEVEL,
  });
}
