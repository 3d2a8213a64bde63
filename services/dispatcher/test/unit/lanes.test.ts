import { NumberLanes, type Priority, type Ticket } from '../../src/modules/lanes';
import { NumberPacer } from '../../src/modules/pacer';

/** Lanes on Jest's fake clock (timers and Date.now move together). */
function setup(opts: { rate?: number; inFlightCap?: number; maxWaitMs?: number } = {}) {
  const pacer = new NumberPacer(() => Date.now());
  const lanes = new NumberLanes({
    pacer,
    inFlightCap: opts.inFlightCap ?? 4,
    maxWaitMs: opts.maxWaitMs ?? 1000,
    now: () => Date.now(),
  });
  const configure = (id: string, rate: number) => pacer.configure(id, rate);
  // Unless a test is about the rate, slots are never what a turn waits for.
  configure('a', opts.rate ?? 1e9);
  configure('b', opts.rate ?? 1e9);
  /** Admits and asks for a turn; records when (and whether) it came. */
  const enter = (id: string, priority: Priority = 'high') => {
    const a = lanes.admit(id, priority);
    if (!a.ok) return { admitted: false as const, deferMs: a.deferMs };
    const rec = { admitted: true as const, ticket: a.ticket, go: undefined as boolean | undefined, at: 0 };
    void lanes.turn(a.ticket).then((go) => {
      rec.go = go;
      rec.at = Date.now();
    });
    return rec;
  };
  return { pacer, lanes, configure, enter };
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i += 1) await Promise.resolve();
};

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

describe('NumberLanes', () => {
  it('broadcast deliveries (low) wait behind single sends (high): a single send takes the next slot whatever waits before it', async () => {
    const { lanes, configure, enter } = setup({ inFlightCap: 8 });
    configure('a', 10); // one slot every 100 ms
    const low = Array.from({ length: 5 }, () => enter('a', 'low'));
    await flush();
    // The first broadcast delivery takes the free slot; the others wait for theirs.
    expect(low.map((x) => x.admitted && x.go)).toEqual([true, undefined, undefined, undefined, undefined]);
    const single = enter('a', 'high');
    await flush();
    expect(single.admitted && single.go).toBeUndefined();
    await jest.advanceTimersByTimeAsync(100);
    // The next slot is the single send's, not the broadcast's that waited longer.
    expect(single.admitted && single.go).toBe(true);
    expect(low.map((x) => x.admitted && x.go)).toEqual([true, undefined, undefined, undefined, undefined]);
    await jest.advanceTimersByTimeAsync(100);
    expect(low.map((x) => x.admitted && x.go)).toEqual([true, true, undefined, undefined, undefined]);
    for (const x of [...low, single]) if (x.admitted) lanes.leave(x.ticket);
  });

  it('broadcast deliveries leave one in-flight place to single sends, and their admission bound is their own', async () => {
    const { lanes, enter } = setup({ inFlightCap: 3 });
    const low = Array.from({ length: 4 }, () => enter('a', 'low'));
    await flush();
    expect(low.map((x) => x.admitted && x.go)).toEqual([true, true, undefined, undefined]);
    expect(lanes.inFlight('a')).toBe(2);
    const single = enter('a', 'high');
    await flush();
    expect(single.admitted && single.go).toBe(true);
    expect(lanes.inFlight('a')).toBe(3);
    for (const x of [...low, single]) if (x.admitted) lanes.leave(x.ticket);

    // Broadcast deliveries filling their own bound (3/s × 1 s) never make a single send be deferred.
    const { lanes: slow, configure, enter: enterSlow } = setup({ inFlightCap: 3 });
    configure('b', 3);
    const many = Array.from({ length: 6 }, () => enterSlow('b', 'low'));
    expect(many.filter((x) => !x.admitted).length).toBeGreaterThan(0);
    expect(slow.lowRoom('b')).toBe(0);
    const after = enterSlow('b', 'high');
    expect(after.admitted).toBe(true);
    for (const x of [...many, after]) if (x.admitted) slow.leave(x.ticket);
  });

  it('when more deliveries than the in-flight cap arrive, then only the cap starts and the rest start in arrival order as calls end', async () => {
    const { lanes, enter } = setup({ inFlightCap: 2 });
    const t = [enter('a'), enter('a'), enter('a'), enter('a')];
    await flush();
    expect(t.map((x) => x.admitted && x.go)).toEqual([true, true, undefined, undefined]);
    expect(lanes.inFlight('a')).toBe(2);
    lanes.leave((t[1] as { ticket: Ticket }).ticket);
    await flush();
    expect(t.map((x) => x.admitted && x.go)).toEqual([true, true, true, undefined]);
    lanes.leave((t[0] as { ticket: Ticket }).ticket);
    await flush();
    expect(t.map((x) => x.admitted && x.go)).toEqual([true, true, true, true]);
  });

  it('a slow number at its cap does not hold up another number', async () => {
    const { lanes, enter } = setup({ inFlightCap: 1 });
    const a1 = enter('a');
    const a2 = enter('a');
    const b1 = enter('b');
    await flush();
    expect([a1, a2, b1].map((x) => x.admitted && x.go)).toEqual([true, undefined, true]);
    expect(lanes.inFlight('b')).toBe(1);
  });

  it("turns follow the number's rate", async () => {
    const { enter } = setup({ rate: 10, inFlightCap: 100 });
    const t = Array.from({ length: 5 }, () => enter('a'));
    await flush();
    expect(t.filter((x) => x.admitted && x.go === true)).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(400);
    const at = t.map((x) => (x.admitted ? x.at : 0));
    expect(at.every((x) => x > 0)).toBe(true);
    const gaps = at.slice(1).map((x, i) => x - (at[i] as number));
    expect(gaps.every((g) => g >= 99 && g <= 101)).toBe(true);
  });

  it('when a number can only start a few deliveries a second, then it admits about a second of them and defers the rest with an estimate', () => {
    const { lanes, enter } = setup({ rate: 5, inFlightCap: 100 });
    const t = Array.from({ length: 8 }, () => enter('a'));
    // One starts at once; five may wait (a second at 5/s).
    expect(t.filter((x) => x.admitted)).toHaveLength(6);
    const deferred = t.filter((x) => !x.admitted) as Array<{ deferMs: number }>;
    expect(deferred).toHaveLength(2);
    expect(deferred[0]?.deferMs).toBe(1200); // 6 ahead of it at 5/s
    // Another number is not affected.
    expect(lanes.admit('b').ok).toBe(true);
  });

  it('when calls turn slow, then the lane admits less: running calls count before they end', async () => {
    const { lanes, enter } = setup({ rate: 1000, inFlightCap: 2 });
    enter('a');
    enter('a');
    await flush();
    // Two calls running for 4 s: the lane now expects to start about 2 every 8 s.
    await jest.advanceTimersByTimeAsync(4000);
    expect(lanes.admit('a').ok).toBe(true);
    const next = lanes.admit('a');
    expect(next.ok).toBe(false);
    expect(next.ok ? 0 : next.deferMs).toBeGreaterThan(1000);
  });

  it('a delivery that waited twice the wait bound is handed back (false), and its place goes to the next', async () => {
    const { lanes, enter } = setup({ inFlightCap: 1, maxWaitMs: 1000 });
    const first = enter('a');
    const second = enter('a');
    await flush();
    expect(second.admitted && second.go).toBeUndefined();
    await jest.advanceTimersByTimeAsync(2001);
    expect(second.admitted && second.go).toBe(false);
    lanes.leave((first as { ticket: Ticket }).ticket);
    const third = enter('a');
    await flush();
    expect(third.admitted && third.go).toBe(true);
  });

  it('cancel() hands back what waits for the number but not what runs; close() stops admitting', async () => {
    const { lanes, enter } = setup({ inFlightCap: 1 });
    const running = enter('a');
    const waiting = enter('a');
    const other = enter('b');
    await flush();
    lanes.cancel('a');
    await flush();
    expect([running, waiting, other].map((x) => x.admitted && x.go)).toEqual([true, false, true]);
    const queued = enter('b');
    lanes.close();
    await flush();
    expect(queued.admitted && queued.go).toBe(false);
    expect(lanes.admit('b').ok).toBe(false);
  });
});
