/**
 * Chaos controls: a fault mix applied to send-message calls that would otherwise succeed (valid
 * body, valid token, no magic recipient or template). Set at start (`SandboxOptions.chaos`,
 * `SANDBOX_CHAOS`) or at run time (`PUT /_sandbox/chaos`), cleared with `DELETE /_sandbox/chaos`.
 *
 * - `http500Rate`: that share of calls answers HTTP 500 with Meta's code 131000 (not accepted).
 * - `timeoutRate`: that share of calls is **accepted** (recorded with a wamid) but answered only
 *   after `timeoutMs`, which should exceed the caller's timeout: Meta took the message and the
 *   caller never heard back, so a retry is a provider duplicate.
 * - `throttleBurst`: for the first `durationMs` of every `everyMs` (counted from when the mix was
 *   set), every call answers HTTP 400 with code 130429 (number throughput exceeded).
 *
 * The burst is checked first; outside it one random draw picks 500, timeout or success.
 */
import Ajv from 'ajv';

export interface ThrottleBurst {
  /** Length of one cycle, milliseconds. */
  everyMs: number;
  /** How long each cycle's 130429 burst lasts, from the start of the cycle. */
  durationMs: number;
}

export interface ChaosSettings {
  /** Share of calls answered HTTP 500 / 131000, 0..1. */
  http500Rate?: number;
  /** Share of calls accepted but answered after `timeoutMs`, 0..1. */
  timeoutRate?: number;
  /** Delay of a "timeout" answer; default 15 000 ms (longer than any sane client timeout). */
  timeoutMs?: number;
  throttleBurst?: ThrottleBurst;
}

export type ChaosFault = 'http500' | 'timeout' | 'throttle';

/** How many calls each fault has hit since the mix was last set or cleared (or the log reset). */
export interface ChaosCounters {
  http500: number;
  timeout: number;
  throttle: number;
}

export interface ChaosState {
  settings: ChaosSettings | null;
  injected: ChaosCounters;
}

export const DEFAULT_CHAOS_TIMEOUT_MS = 15_000;

const CHAOS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    http500Rate: { type: 'number', minimum: 0, maximum: 1 },
    timeoutRate: { type: 'number', minimum: 0, maximum: 1 },
    timeoutMs: { type: 'integer', minimum: 1, maximum: 600_000 },
    throttleBurst: {
      type: 'object',
      additionalProperties: false,
      required: ['everyMs', 'durationMs'],
      properties: {
        everyMs: { type: 'integer', minimum: 1, maximum: 3_600_000 },
        durationMs: { type: 'integer', minimum: 0, maximum: 3_600_000 },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: true });
const validateChaos = ajv.compile<ChaosSettings>(CHAOS_SCHEMA);

export type ChaosParse = { ok: true; settings: ChaosSettings } | { ok: false; problems: string[] };

/** Validates a fault mix from an untrusted source (an HTTP body, the environment). */
export function parseChaosSettings(input: unknown): ChaosParse {
  if (!validateChaos(input)) {
    return {
      ok: false,
      problems: (validateChaos.errors ?? []).map((e) => {
        const where = e.instancePath === '' ? '(root)' : e.instancePath.slice(1).replace(/\//g, '.');
        const extra =
          e.keyword === 'additionalProperties' ? ` (${String(e.params['additionalProperty'])})` : '';
        return `${where}: ${e.message ?? 'is invalid'}${extra}`;
      }),
    };
  }
  const problems: string[] = [];
  const { http500Rate = 0, timeoutRate = 0, throttleBurst } = input;
  if (http500Rate + timeoutRate > 1) problems.push('http500Rate + timeoutRate: must not exceed 1');
  if (throttleBurst !== undefined && throttleBurst.durationMs > throttleBurst.everyMs)
    problems.push('throttleBurst.durationMs: must not exceed throttleBurst.everyMs');
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, settings: structuredClone(input) };
}

/** Parses the `SANDBOX_CHAOS` text (JSON) the same way as a `PUT /_sandbox/chaos` body. */
export function parseChaosJson(text: string): ChaosParse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    return { ok: false, problems: ['(root): is not valid JSON'] };
  }
  return parseChaosSettings(parsed);
}

/** Decides, call by call, which fault (if any) the current mix injects, and counts them. */
export class ChaosEngine {
  private settings: ChaosSettings | null = null;
  private since = 0;
  private counters: ChaosCounters = { http500: 0, timeout: 0, throttle: 0 };

  constructor(
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {}

  /** Replaces the mix (`null` clears it) and zeroes the counters; bursts start counting now. */
  set(settings: ChaosSettings | null): void {
    this.settings = settings === null ? null : structuredClone(settings);
    this.since = this.now();
    this.resetCounters();
  }

  resetCounters(): void {
    this.counters = { http500: 0, timeout: 0, throttle: 0 };
  }

  get timeoutMs(): number {
    return this.settings?.timeoutMs ?? DEFAULT_CHAOS_TIMEOUT_MS;
  }

  state(): ChaosState {
    return {
      settings: this.settings === null ? null : structuredClone(this.settings),
      injected: { ...this.counters },
    };
  }

  /** The fault for the next call that would otherwise succeed, or `undefined` for none. */
  next(): ChaosFault | undefined {
    const s = this.settings;
    if (s === null) return undefined;
    const burst = s.throttleBurst;
    if (
      burst !== undefined &&
      burst.durationMs > 0 &&
      (this.now() - this.since) % burst.everyMs < burst.durationMs
    ) {
      this.counters.throttle += 1;
      return 'throttle';
    }
    const http500Rate = s.http500Rate ?? 0;
    const timeoutRate = s.timeoutRate ?? 0;
    if (http500Rate === 0 && timeoutRate === 0) return undefined;
    const r = this.random();
    if (r < http500Rate) {
      this.counters.http500 += 1;
      return 'http500';
    }
    if (r < http500Rate + timeoutRate) {
      this.counters.timeout += 1;
      return 'timeout';
    }
    return undefined;
  }
}
