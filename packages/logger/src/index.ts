import winston from 'winston';
import { MESSAGE } from 'triple-beam';
import { getContext } from './context';
import { redact, scrubSecrets } from './redact';

export * from './context';
export { maskPhone, redact } from './redact';

export type Logger = winston.Logger;
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface LoggerOptions {
  service: string;
  level?: LogLevel;
  /** Values that must never appear in a line (JWT secret, encryption key, URL passwords). */
  secrets?: readonly string[];
  /** Where lines go; defaults to stdout. Tests pass a stream to capture them. */
  stream?: NodeJS.WritableStream;
  silent?: boolean;
}

/**
 * Structured JSON logger. Every line carries the AsyncLocalStorage context (requestId, …);
 * secret keys are redacted, phone numbers masked, and registered secret values scrubbed from the
 * serialised line as a last line of defence.
 */
export function createLogger(options: LoggerOptions): Logger {
  const secrets = [...(options.secrets ?? [])];
  const contextAndRedaction = winston.format((info) => {
    const ctx = getContext();
    const { level, message, ...rest } = info;
    const cleaned = redact(rest) as Record<string, unknown>;
    for (const key of Object.keys(info))
      if (key !== 'level' && key !== 'message') delete (info as Record<string, unknown>)[key];
    Object.assign(info, { level, message, service: options.service, ...ctx, ...cleaned });
    return info;
  });
  const scrub = winston.format((info) => {
    const line = (info as unknown as Record<symbol, unknown>)[MESSAGE];
    if (typeof line === 'string')
      (info as unknown as Record<symbol, unknown>)[MESSAGE] = scrubSecrets(line, secrets);
    return info;
  });
  return winston.createLogger({
    level: options.level ?? 'info',
    silent: options.silent ?? false,
    format: winston.format.combine(
      winston.format.timestamp(),
      contextAndRedaction(),
      winston.format.json(),
      scrub(),
    ),
    transports: [
      options.stream
        ? new winston.transports.Stream({ stream: options.stream })
        : new winston.transports.Console({ stderrLevels: [] }),
    ],
  });
}
