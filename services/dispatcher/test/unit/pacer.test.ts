import { NumberPacer, NumberPauses, PairLimiter, THROTTLE_RECOVERY_MS } from '../../src/modules/pacer';

/** A clock the test moves by hand. */
function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

/** Starts as many calls as the pacer allows over `ms`, stepping the clock 1 ms at a time. */
function callsOver(p: NumberPacer, c: ReturnType<typeof clock>, id: string, ms: number): number[] {
  const at: number[] = [];
  const end = c.now() + ms;
  while (c.now() < end) {
    while (p.waitMs(id) === 0) {
      p.take(id);
      at.push(c.now());
    }
    c.advance(1);
  }
  return at;
}

describe('NumberPacer', () => {
  it('when a number is configured at 50/s, then calls start evenly spaced, 50 in a second', () => {
    const c = clock();
    const p = new NumberPacer(c.now);
    p.configure('n', 50);
    const at = callsOver(p, c, 'n', 1000);
    expect(at).toHaveLength(50);
    const gaps = at.slice(1).map((t, i) => t - (at[i] as number));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(19);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(21);
  });

  it('when the pump runs a few ms late, then it catches up; after idling there is no burst', () => {
    const c = clock();
    const p = new NumberPacer(c.now);
    p.configure('n', 1000);
    p.take('n');
    c.advance(10); // 10 ms late: ten slots were due
    let caughtUp = 0;
    while (p.waitMs('n') === 0) {
      p.take('n');
      caughtUp += 1;
    }
    expect(caughtUp).toBe(10);
    c.advance(60_000); // a minute idle
    let burst = 0;
    while (p.waitMs('n') === 0) {
      p.take('n');
      burst += 1;
    }
    expect(burst).toBe(1);
  });

  it('numbers are paced independently', () => {
    const c = clock();
    const p = new NumberPacer(c.now);
    p.configure('slow', 10);
    p.configure('fast', 100);
    const both = (ms: number) => {
      let s = 0;
      let f = 0;
      const end = c.now() + ms;
      while (c.now() < end) {
        while (p.waitMs('slow') === 0) {
          p.take('slow');
          s += 1;
        }
        while (p.waitMs('fast') === 0) {
          p.take('fast');
          f += 1;
        }
        c.advance(1);
      }
      return { s, f };
    };
    expect(both(1000)).toEqual({ s: 10, f: 100 });
  });

  it('when Meta answers 130429, then the number is held back and runs at half its rate, recovering over time', () => {
    const c = clock();
    const p = new NumberPacer(c.now);
    p.configure('n', 80);
    expect(p.rate('n')).toBe(80);
    p.slowDown('n', 1000);
    expect(p.waitMs('n')).toBe(1000);
    expect(p.rate('n')).toBe(40);
    c.advance(1000);
    expect(callsOver(p, c, 'n', 1000).length).toBeLessThanOrEqual(45);
    // A second 130429 halves again; it never drops below 1/16 of the rate.
    for (let i = 0; i < 10; i += 1) p.slowDown('n', 0);
    expect(p.rate('n')).toBeCloseTo(5, 5);
    c.advance(THROTTLE_RECOVERY_MS);
    expect(p.rate('n')).toBe(80);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new NumberPacer().configure('n', 0)).toThrow(RangeError);
  });
});

describe('PairLimiter', () => {
  it('when one recipient is sent to, then the burst passes and the next waits for the sustained rate', () => {
    const c = clock();
    const pairs = new PairLimiter(3, 10, c.now);
    expect([1, 2, 3].map(() => pairs.take('n', 'r'))).toEqual([0, 0, 0]);
    const wait = pairs.take('n', 'r');
    expect(wait).toBe(6000); // 10 per minute: one every 6 s
    c.advance(5999);
    expect(pairs.take('n', 'r')).toBeGreaterThan(0);
    c.advance(1);
    expect(pairs.take('n', 'r')).toBe(0);
  });

  it('another recipient of the same number, or the same recipient of another number, is not affected', () => {
    const pairs = new PairLimiter(1, 10, clock().now);
    expect(pairs.take('n', 'r')).toBe(0);
    expect(pairs.take('n', 'r')).toBeGreaterThan(0);
    expect(pairs.take('n', 'other')).toBe(0);
    expect(pairs.take('m', 'r')).toBe(0);
  });

  it('when Meta answers 131056 for a pair, then its bucket is empty even if tokens were left', () => {
    const c = clock();
    const pairs = new PairLimiter(45, 10, c.now);
    expect(pairs.take('n', 'r')).toBe(0);
    pairs.exhaust('n', 'r');
    expect(pairs.take('n', 'r')).toBe(6000);
    expect(pairs.take('n', 'x')).toBe(0);
  });

  it("configure() sets this process's share (burst at least 1)", () => {
    const pairs = new PairLimiter(45, 10, clock().now);
    pairs.configure(45 / 100, 10 / 100);
    expect(pairs.take('n', 'r')).toBe(0);
    expect(pairs.take('n', 'r')).toBe(600_000);
  });

  it('lists, per number, the recipients without a token until they have one again', () => {
    const c = clock();
    const pairs = new PairLimiter(2, 10, c.now);
    pairs.take('n', 'r');
    expect(pairs.blockedRecipients('n')).toEqual([]);
    pairs.consume('n', 'r'); // the second token, taken by a message sent anyway
    expect(pairs.blockedRecipients('n')).toEqual(['r']);
    expect(pairs.blockedRecipients('m')).toEqual([]);
    pairs.exhaust('n', 'x');
    expect(pairs.blockedRecipients('n').sort()).toEqual(['r', 'x']);
    expect(pairs.waitMs('n', 'r')).toBe(6000);
    c.advance(6000);
    expect(pairs.blockedRecipients('n')).toEqual([]);
    expect(pairs.take('n', 'r')).toBe(0);
  });

  it('keeps at most maxPairs pairs, forgetting the least recently used', () => {
    const c = clock();
    const pairs = new PairLimiter(1, 10, c.now, 2);
    pairs.take('n', 'a');
    pairs.take('n', 'b');
    pairs.take('n', 'a'); // a used again: b is now the oldest
    pairs.take('n', 'c'); // evicts b
    expect(pairs.take('n', 'a')).toBeGreaterThan(0);
    expect(pairs.take('n', 'b')).toBe(0); // forgotten, so it starts full again
  });
});

describe('NumberPauses', () => {
  it('a pause lasts its time, a longer one stands over a shorter one, and it ends on its own', () => {
    const c = clock();
    const pauses = new NumberPauses(c.now);
    expect(pauses.remaining('n')).toBe(0);
    pauses.pause('n', 60_000);
    pauses.pause('n', 1_000);
    expect(pauses.remaining('n')).toBe(60_000);
    expect(pauses.remaining('other')).toBe(0);
    c.advance(59_999);
    expect(pauses.remaining('n')).toBe(1);
    c.advance(1);
    expect(pauses.remaining('n')).toBe(0);
  });
});
