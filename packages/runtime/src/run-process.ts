import { loadConfigOrExit, secretValues, type Config } from '@flowgate/config';
import { createLogger, type Logger } from '@flowgate/logger';

export interface Started {
  logger: Logger;
}

export interface ProcessSpec<T extends Started> {
  /** Starts everything. A throw is a start-up failure: one line on stderr (no stack dump), exit 1. */
  start(): Promise<T>;
  /** Graceful stop, in order; on SIGTERM or SIGINT. */
  stop(started: T, signal: string): Promise<void>;
  /** How long `stop` may take before the process exits 1 anyway. */
  deadlineMs: number | ((started: T) => number);
  /** Past the deadline, before exiting: give up what is still running (e.g. status writes). */
  onDeadline?(started: T): void;
}

/**
 * Every entry point's process life (`pnpm start`, public-api, dispatcher): start, then on
 * SIGTERM/SIGINT stop within the deadline. Exit codes: 0 stopped cleanly; 1 start-up failed, stop
 * failed or the deadline passed; 78 (from `loadConfigOrExit`) for a bad configuration.
 */
export function runProcess<T extends Started>(spec: ProcessSpec<T>): void {
  spec.start().then(
    (started) => {
      let stopping = false;
      const shutdown = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        const { logger } = started;
        const deadlineMs = typeof spec.deadlineMs === 'number' ? spec.deadlineMs : spec.deadlineMs(started);
        logger.info('shutting down', { signal, timeoutMs: deadlineMs });
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), deadlineMs);
        });
        Promise.race([spec.stop(started, signal).then(() => 'clean' as const), deadline]).then(
          (result) => {
            clearTimeout(timer);
            if (result === 'clean') {
              logger.info('stopped');
              process.exit(0);
            }
            spec.onDeadline?.(started);
            logger.error('shutdown deadline passed with work in flight; exiting', { timeoutMs: deadlineMs });
            // A moment for what just gave up to log and settle; exit 1 even if the loop empties first.
            process.exitCode = 1;
            setTimeout(() => process.exit(1), 500).unref();
          },
          (err: unknown) => {
            clearTimeout(timer);
            logger.error('shutdown failed', { err });
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
    },
    (err: unknown) => {
      // Start-up failed (database or broker unreachable, bad wiring): say why, without a stack dump.
      process.stderr.write(`start-up failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}

/**
 * The configuration (a bad one exits 78, naming every problem) and the logger of a process, with
 * every secret of the configuration registered for scrubbing.
 */
export function loadProcessContext(service: string): { config: Config; logger: Logger } {
  const config = loadConfigOrExit(process.env);
  return { config, logger: createLogger({ service, level: config.logLevel, secrets: secretValues(config) }) };
}
