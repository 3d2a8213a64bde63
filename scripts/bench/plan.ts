/**
 * What a benchmark run measures against and how long it may take: the pass criteria, the
 * command-line options, the timing of the quick and full modes, and the rate search.
 */
import type { RateSearch, StepRecord } from './report';

export const P99_MAX_MS = 50;
export const MAX_ERROR_RATE = 0.001;
export const TIMEOUT_MS = 5_000;
export const MAX_SOCKETS = 128;
/** Before a step, wait for processes outside the benchmark to use less than this share of a core. */
export const QUIET_OTHER_CPU_PCT = 20;
/** A failed step repeated while processes outside the benchmark used more than this share of a core says so. */
export const NOISY_OTHER_CPU_PCT = 25;
/** End to end, messages are offered at this multiple of the highest passing send rate. */
export const E2E_OVERLOAD = 1.25;
export const SEND_PATH = '/api/v1/public/messages/send';
/** Meta's webhooks in (docs/contracts.md §9). */
export const INTAKE_PATH = '/api/v1/webhooks/meta';
/** The target: the intake takes statuses at this multiple of the highest passing send rate. */
export const INTAKE_TARGET_RATIO = 3;
/** Partner webhooks (docs/contracts.md §10): endpoints are registered here. */
export const WEBHOOKS_PATH = '/api/v1/public/webhooks';
/** The target: webhooks delivered at this multiple of the highest passing send rate. */
export const WEBHOOKS_TARGET_RATIO = 3;
/** A webhooks rate passes when every event arrives verified and p99 (insert → arrival) is within this. */
export const WEBHOOKS_P99_MAX_MS = 1_000;
/** Accept → READ is measured at this share of the highest passing send rate (each send brings three webhooks). */
export const READ_SHARE = 0.5;

export interface Options {
  quick: boolean;
  profile: boolean;
  profileInfo: boolean;
  infoLog: boolean;
  keepData: boolean;
}

export function parseArgs(argv: readonly string[]): Options {
  const opts: Options = {
    quick: false,
    profile: true,
    profileInfo: false,
    infoLog: true,
    keepData: false,
  };
  for (const arg of argv) {
    if (arg === '--') continue;
    else if (arg === '--quick') opts.quick = true;
    else if (arg === '--profile') opts.profile = true;
    else if (arg === '--no-profile') opts.profile = false;
    else if (arg === '--profile-info') opts.profileInfo = true;
    else if (arg === '--no-info-log') opts.infoLog = false;
    else if (arg === '--info-log') opts.infoLog = true;
    else if (arg === '--keep-data') opts.keepData = true;
    else {
      console.error(
        `unknown argument ${arg}\nusage: pnpm bench [--quick] [--profile|--no-profile] [--profile-info] [--info-log|--no-info-log] [--keep-data]`,
      );
      process.exit(2);
    }
  }
  // The quick run (about four minutes) keeps the keys of latest.json; the extras are asked for.
  if (opts.quick && !argv.includes('--profile')) opts.profile = false;
  if (opts.quick && !argv.includes('--info-log')) opts.infoLog = false;
  return opts;
}

/**
 * Timing of one mode: the quick run takes about four minutes on a shared 2-core machine, the full one about eleven
 * (the intake search and accept → READ added 55 s and 120 s, the webhooks search 30 s and 75 s, the
 * lifecycle about 90 s and 200 s). `reserveS` is
 * kept for the CPU profile at the end: steps are not repeated once only that much time is left.
 */
export function plan(quick: boolean, profile: boolean) {
  return quick
    ? {
        stepMs: 2_000,
        baselineWarmupMs: 1_000,
        // A fresh API is cold (tsx, V8's JIT): four seconds at a modest rate before any step.
        apiWarmup: { rps: 150, ms: 4_000 },
        baseline: { start: 2_000, factor: 1.5, refine: 1 },
        send: { start: 250, factor: 1.4, refine: 1 },
        info: { startShare: 0.7, factor: 1.4, refine: 0 },
        e2eSeconds: 3,
        // Status webhooks: the search starts at the target (3 × send.maxRps).
        intake: { factor: 1.4, refine: 1 },
        /** How long the statuses of one intake step may take to be applied after it. */
        intakeApplyTimeoutMs: 10_000,
        // Partner webhooks: outbox rows at fixed rates from 3 × send.maxRps; each step waits up
        // to `waitMs` after its last insert for every delivery. The search has `budgetS` of its
        // own from its start (the run's budget is often spent by then on a shared machine).
        webhooks: {
          stepMs: 2_000,
          waitMs: 4_000,
          warmupRps: 150,
          warmupMs: 1_500,
          factor: 1.4,
          refine: 1,
          budgetS: 26,
        },
        drainTimeoutMs: 8_000,
        quietWaitMs: 1_000,
        profileMs: 3_000,
        reserveS: profile ? 12 : 0,
        // The intake search (with the real messages it needs) and accept → READ take about 55 s
        // more, the webhooks search about 30 s.
        budgetS: (profile ? 58 : 48) + 55 + 30,
      }
    : {
        stepMs: 8_000,
        baselineWarmupMs: 3_000,
        apiWarmup: { rps: 150, ms: 10_000 },
        baseline: { start: 1_000, factor: 1.5, refine: 2 },
        send: { start: 250, factor: 1.5, refine: 2 },
        info: { startShare: 0.6, factor: 1.3, refine: 1 },
        e2eSeconds: 10,
        intake: { factor: 1.3, refine: 2 },
        intakeApplyTimeoutMs: 30_000,
        webhooks: {
          stepMs: 5_000,
          waitMs: 10_000,
          warmupRps: 150,
          warmupMs: 3_000,
          factor: 1.3,
          refine: 2,
          budgetS: 70,
        },
        drainTimeoutMs: 30_000,
        quietWaitMs: 5_000,
        profileMs: 10_000,
        reserveS: profile ? 35 : 0,
        // The lifecycle (five rates, a repeat allowed) takes about 200 s more.
        budgetS: 280 + 120 + 75 + 200,
      };
}
export type Plan = ReturnType<typeof plan>;

/** Two significant digits: 1687 → 1700, 2531 → 2500. */
export function niceRate(r: number): number {
  if (r < 10) return Math.max(1, Math.round(r));
  const unit = 10 ** (Math.floor(Math.log10(r)) - 1);
  return Math.round(r / unit) * unit;
}

export const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

export const passes = (s: { errorRate: number; latencyMs: { p99: number } }): boolean =>
  s.errorRate < MAX_ERROR_RATE && s.latencyMs.p99 <= P99_MAX_MS;

/**
 * Fixed-rate steps: up by `factor` while steps pass, down by it if the first fails, then
 * `refine` bisections between the last pass and the first failure.
 */
export async function findMaxRate<T extends { rate: number; pass: boolean } = StepRecord>(
  o: { start: number; factor: number; refine: number; maxRate?: number },
  step: (rate: number) => Promise<T>,
): Promise<{ best: T | undefined; steps: T[] }> {
  const steps: T[] = [];
  const maxRate = o.maxRate ?? 50_000;
  let best: T | undefined;
  let failRate: number | undefined;
  let rate = niceRate(o.start);
  for (;;) {
    const s = await step(rate);
    steps.push(s);
    if (s.pass) {
      best = s;
      if (failRate !== undefined || rate >= maxRate) break;
      rate = niceRate(rate * o.factor);
    } else {
      failRate = rate;
      if (best !== undefined || rate <= 20) break;
      rate = niceRate(rate / o.factor);
    }
  }
  for (let i = 0; i < o.refine && best !== undefined && failRate !== undefined; i += 1) {
    const mid = niceRate(Math.sqrt(best.rate * failRate));
    if (mid <= best.rate || mid >= failRate) break;
    const s = await step(mid);
    steps.push(s);
    if (s.pass) best = s;
    else failRate = mid;
  }
  return { best, steps };
}

export function toSearch(r: { best: StepRecord | undefined; steps: StepRecord[] }): RateSearch {
  return {
    maxRps: r.best?.rate ?? 0,
    p50Ms: r.best?.latencyMs.p50 ?? 0,
    p99Ms: r.best?.latencyMs.p99 ?? 0,
    steps: r.steps,
  };
}
