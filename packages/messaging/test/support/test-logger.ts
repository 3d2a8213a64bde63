import type { BrokerLogger } from '../../src';

export interface LogEntry {
  level: 'info' | 'warn' | 'error' | 'debug';
  msg: string;
  meta: Record<string, unknown> | undefined;
}

/** A logger that records entries (printed live when DEBUG_BROKER_TESTS is set). */
export function createTestLogger(): BrokerLogger & {
  entries: LogEntry[];
  has(level: LogEntry['level'], part: string): boolean;
} {
  const entries: LogEntry[] = [];
  const verbose = process.env['DEBUG_BROKER_TESTS'] !== undefined;
  const log =
    (level: LogEntry['level']) =>
    (msg: string, meta?: Record<string, unknown>): void => {
      entries.push({ level, msg, meta });
      if (verbose) {
        console.log(
          JSON.stringify({ level, msg, ...meta }, (_k, v: unknown) => (v instanceof Error ? v.message : v)),
        );
      }
    };
  return {
    entries,
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    debug: log('debug'),
    has: (level, part) => entries.some((e) => e.level === level && e.msg.includes(part)),
  };
}
