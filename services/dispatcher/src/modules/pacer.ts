/**
 * Pacing of provider calls (docs/contracts.md §5, ADR 0013). Pure and clock-injected, one instance per
 * process; the numbers they are given already are this process's share (the rate of a number
 * divided by the dispatchers consuming the queue), so that N dispatchers together stay within
 * what Meta allows.
 */

/** How far behind its schedule a number may fall and still catch up (timer lateness). */
const CATCH_UP_MS = 20;
/** After a 130429 the rate is halved; it then climbs back to the full rate over this long. */
export const THROTTLE_RECOVERY_MS = 30_000;
const MIN_RATE_FACTOR = 1 / 16;

interface NumberClock {
  /** Earliest start of the next call (epoch ms). */
  nextAt: number;
  /** This process's calls per second for the number, before any 130429 slow-down. */
  perSecond: number;
  /** Rate factor right after the last 130429, and when that was. */
  factor: number;
  throttledAt: number;
}

/**
 * A slot clock per sending number: calls start at most `perSecond` a second, evenly spaced (a
 * pump that runs late by up to {@link CATCH_UP_MS} catches up; after a longer gap the schedule
 * starts again from now, so there is never a burst). A 130429 from Meta halves the number's rate
 * and holds its next call back; the rate then recovers linearly.
 */
export class NumberPacer {
  private readonly clocks = new Map<string, NumberClock>();

  constructor(private readonly now: () => number = Date.now) {}

  private clock(numberId: string): NumberClock {
    let c = this.clocks.get(numberId);
    if (!c) {
      c = { nextAt: 0, perSecond: 1, factor: 1, throttledAt: 0 };
      this.clocks.set(numberId, c);
    }
    return c;
  }

  /** Sets this process's share of the number's rate (calls per second). */
  configure(numberId: string, perSecond: number): void {
    if (!(perSecond > 0)) throw new RangeError(`rate must be positive, got ${perSecond}`);
    this.clock(numberId).perSecond = perSecond;
  }

  private factor(c: NumberClock): number {
    if (c.factor >= 1) return 1;
    const recovered = c.factor + (this.now() - c.throttledAt) / THROTTLE_RECOVERY_MS;
    return Math.min(1, recovered);
  }

  /** Calls per second the number may make now (its share, slowed down after a 130429). */
  rate(numberId: string): number {
    const c = this.clock(numberId);
    return c.perSecond * this.factor(c);
  }

  /**
   * Milliseconds until the number may start its next call; 0 means now. Less than a millisecond
   * counts as now (timers have no finer grain): the schedule still advances by the exact interval,
   * so the rate holds on average.
   */
  waitMs(numberId: string): number {
    const wait = this.clock(numberId).nextAt - this.now();
    return wait < 1 ? 0 : wait;
  }

  /** Uses the number's next slot (call only when `waitMs` is 0). */
  take(numberId: string): void {
    const c = this.clock(numberId);
    const now = this.now();
    // Slightly late (a timer fires a few ms after its slot): keep the schedule, so the rate holds.
    // Idle for longer: start afresh from now, so there is no burst after a quiet spell.
    const base = c.nextAt >= now - CATCH_UP_MS ? c.nextAt : now;
    c.nextAt = base + 1000 / (c.perSecond * this.factor(c));
  }

  /** Meta said 130429 (the number's throughput was exceeded): slow it down and hold its next call. */
  slowDown(numberId: string, holdMs: number): void {
    const c = this.clock(numberId);
    const now = this.now();
    c.factor = Math.max(MIN_RATE_FACTOR, this.factor(c) / 2);
    c.throttledAt = now;
    c.nextAt = Math.max(c.nextAt, now + holdMs);
  }
}

/**
 * Meta's pair limit per (number, recipient): a burst, then a sustained rate (token bucket). A
 * 131056 from Meta empties the pair's bucket, so its next message waits for a fresh token. The
 * pairs that cannot send now are listed per number (`blockedRecipients`), so a claim can leave
 * their messages alone. Bounded: past `maxPairs` the least recently used pair is forgotten (it
 * then starts full, which errs towards Meta's answer deciding).
 */
export class PairLimiter {
  private readonly pairs = new Map<string, { tokens: number; at: number }>();
  /** Per number: recipients without a token, and until when. */
  private readonly blocked = new Map<string, Map<string, number>>();
  private burst: number;
  private perMinute: number;

  constructor(
    burst: number,
    perMinute: number,
    private readonly now: () => number = Date.now,
    private readonly maxPairs = 100_000,
  ) {
    this.burst = burst;
    this.perMinute = perMinute;
  }

  /** Sets this process's share of the pair limit (burst ≥ 1). */
  configure(burst: number, perMinute: number): void {
    this.burst = Math.max(1, burst);
    this.perMinute = perMinute;
  }

  private refill(key: string): { tokens: number; at: number } {
    const now = this.now();
    const p = this.pairs.get(key) ?? { tokens: this.burst, at: now };
    p.tokens = Math.min(this.burst, p.tokens + ((now - p.at) * this.perMinute) / 60_000);
    p.at = now;
    // Re-insert: Map order is then least recently used first.
    this.pairs.delete(key);
    if (this.pairs.size >= this.maxPairs) {
      const oldest = this.pairs.keys().next();
      if (!oldest.done) this.pairs.delete(oldest.value);
    }
    this.pairs.set(key, p);
    return p;
  }

  /** Milliseconds until the pair has a token (0: it has one now). */
  private waitFor(p: { tokens: number }): number {
    return p.tokens >= 1 ? 0 : Math.ceil(((1 - p.tokens) * 60_000) / this.perMinute);
  }

  private note(numberId: string, recipient: string, p: { tokens: number }): void {
    const wait = this.waitFor(p);
    let m = this.blocked.get(numberId);
    if (wait > 0) {
      if (!m) {
        m = new Map();
        this.blocked.set(numberId, m);
      }
      m.set(recipient, this.now() + wait);
    } else m?.delete(recipient);
  }

  /** Takes a token: 0, or how many milliseconds until one is available (nothing taken). */
  take(numberId: string, recipient: string): number {
    const p = this.refill(`${numberId}|${recipient}`);
    const wait = this.waitFor(p);
    if (wait === 0) p.tokens -= 1;
    this.note(numberId, recipient, p);
    return wait;
  }

  /** How long until the pair has a token, without taking one. */
  waitMs(numberId: string, recipient: string): number {
    return this.waitFor(this.refill(`${numberId}|${recipient}`));
  }

  /**
   * Takes a token for a message that is being sent anyway (claimed while the pair had one, with
   * another of the same batch): the bucket may go below zero, so what follows waits longer.
   */
  consume(numberId: string, recipient: string): void {
    const p = this.refill(`${numberId}|${recipient}`);
    p.tokens -= 1;
    this.note(numberId, recipient, p);
  }

  /** Meta said 131056 for this pair: nothing more to it until the bucket refills. */
  exhaust(numberId: string, recipient: string): void {
    const p = this.refill(`${numberId}|${recipient}`);
    p.tokens = Math.min(p.tokens, 0);
    this.note(numberId, recipient, p);
  }

  /** The number's recipients that have no token now (their messages must not be claimed). */
  blockedRecipients(numberId: string): string[] {
    const m = this.blocked.get(numberId);
    if (!m) return [];
    const now = this.now();
    const out: string[] = [];
    for (const [recipient, until] of m) {
      if (until <= now) m.delete(recipient);
      else out.push(recipient);
    }
    if (m.size === 0) this.blocked.delete(numberId);
    return out;
  }
}

/**
 * Sending numbers paused after an account-level error, as this process knows them: its own
 * pauses at once, other dispatchers' through the database (SendingNumbers refreshes them).
 */
export class NumberPauses {
  private readonly until = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Pauses the number for at least `ms` (an earlier, longer pause stands). Also how another
   * dispatcher's pause, read from the database, is learnt: a pause only ever grows here, and
   * ends when its time is up.
   */
  pause(numberId: string, ms: number): void {
    const t = this.now() + ms;
    if (t > (this.until.get(numberId) ?? 0)) this.until.set(numberId, t);
  }

  remaining(numberId: string): number {
    const t = this.until.get(numberId);
    if (t === undefined) return 0;
    const left = t - this.now();
    if (left <= 0) this.until.delete(numberId);
    return Math.max(0, left);
  }
}
