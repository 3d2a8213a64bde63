import type { Logger } from '@flowgate/logger';

const STATS_INTERVAL_MS = 60_000;

/**
 * What the dispatcher did, one line a minute (sent, failed, duplicates, retries and deferrals by
 * reason): the pacing and pausing that never show up per message.
 */
export class DispatchStats {
  private outcomes = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = STATS_INTERVAL_MS,
  ) {}

  readonly count = (outcome: string): void => {
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
  };

  start(): void {
    this.timer = setInterval(() => this.report(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and reports what was counted since the last line. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.report();
  }

  private report(): void {
    if (this.outcomes.size === 0) return;
    this.logger.info('dispatch outcomes', {
      sinceMs: this.intervalMs,
      outcomes: Object.fromEntries(this.outcomes),
    });
    this.outcomes = new Map();
  }
}
