import type { NumberPacer } from './pacer';

/**
 * One lane per sending number (ADR 0013): the deliveries of that number a dispatcher holds, in
 * arrival order, each waiting for its turn. A turn needs the number's next rate slot and a free
 * in-flight place (at most `inFlightCap` provider calls per number). A lane admits only what it
 * expects to start within `maxWaitMs`, judged from its rate and from how long its calls take
 * (calls still running count too, so a provider turning slow is seen at once),
 * and hands back whatever has waited twice that long anyway. The rest is deferred to a delay
 * queue, so a slow, throttled or paused number holds only what it can use, and other numbers'
 * deliveries keep getting prefetch places. A fast number is never deferred: it turns its
 * deliveries over quickly, however many it holds.
 * Lanes are kept for the life of the process (one per sending number seen: a small set).
 */
export interface LaneOptions {
  pacer: NumberPacer;
  inFlightCap: number;
  /** How long a delivery should wait in memory for its turn (it is handed back after twice that). */
  maxWaitMs: number;
  now?: () => number;
}

export type Admission = { ok: true; ticket: Ticket } | { ok: false; deferMs: number };

/**
 * Single sends are `high`; broadcast messages are `low` (ADR 0041): a low ticket takes a turn only
 * when no high ticket waits, and leaves one in-flight place to single sends.
 */
export type Priority = 'high' | 'low';

export interface Ticket {
  readonly numberId: string;
}

interface TicketState extends Ticket {
  lane: Lane;
  queue: Queue;
  /** 'admitted' → 'waiting' (in the FIFO) → 'running' → 'done'. */
  state: 'admitted' | 'waiting' | 'running' | 'done';
  /** When it joined the FIFO, then when its call started. */
  startedAt: number;
  resolve?: (go: boolean) => void;
}

interface Queue {
  /** Admitted and not running yet (admitted + waiting). */
  queued: number;
  fifo: TicketState[];
  fifoHead: number;
}

interface Lane {
  numberId: string;
  high: Queue;
  low: Queue;
  running: Set<TicketState>;
  /** Moving average of how long a turn lasts (claim, call, record), ms. */
  serviceMs: number;
  timer: NodeJS.Timeout | undefined;
  timerAt: number;
}

const INITIAL_SERVICE_MS = 100;

export class NumberLanes {
  private readonly lanes = new Map<string, Lane>();
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly opts: LaneOptions) {
    this.now = opts.now ?? Date.now;
  }

  private lane(numberId: string): Lane {
    let l = this.lanes.get(numberId);
    if (!l) {
      l = {
        numberId,
        high: { queued: 0, fifo: [], fifoHead: 0 },
        low: { queued: 0, fifo: [], fifoHead: 0 },
        running: new Set(),
        serviceMs: INITIAL_SERVICE_MS,
        timer: undefined,
        timerAt: 0,
      };
      this.lanes.set(numberId, l);
    }
    return l;
  }

  /** Deliveries per second the lane can start: its rate, or its in-flight cap over call time. */
  private drainPerSecond(l: Lane): number {
    let service = l.serviceMs;
    if (l.running.size > 0) {
      // Running calls that take longer than the average say more about the provider now: with
      // calls starting evenly, one lasts about twice the mean age of those still running.
      const now = this.now();
      let age = 0;
      for (const t of l.running) age += now - t.startedAt;
      service = Math.max(service, (2 * age) / l.running.size);
    }
    return Math.min(this.opts.pacer.rate(l.numberId), (this.opts.inFlightCap * 1000) / Math.max(1, service));
  }

  /** Takes a delivery into the number's lane, or says how long to defer it. */
  admit(numberId: string, priority: Priority = 'high'): Admission {
    const l = this.lane(numberId);
    const q = priority === 'high' ? l.high : l.low;
    const drain = this.drainPerSecond(l);
    const bound = Math.max(1, Math.ceil((drain * this.opts.maxWaitMs) / 1000));
    if (this.closed || q.queued >= bound) {
      // About when a place frees up: the broker rounds it up to a delay tier.
      return { ok: false, deferMs: Math.ceil(((q.queued + 1) * 1000) / Math.max(drain, 0.001)) };
    }
    q.queued += 1;
    const t: TicketState = { numberId, lane: l, queue: q, state: 'admitted', startedAt: 0 };
    return { ok: true, ticket: t };
  }

  /** Low-priority places free in the number's lane now (how many broadcast messages it can take). */
  lowRoom(numberId: string): number {
    const l = this.lane(numberId);
    const bound = Math.max(1, Math.ceil((this.drainPerSecond(l) * this.opts.maxWaitMs) / 1000));
    return Math.max(0, bound - l.low.queued);
  }

  /**
   * Resolves with true once the ticket may call the provider (its slot is used and it counts as
   * in flight), or with false when the lane is cancelled (shutdown, paused number).
   */
  turn(ticket: Ticket): Promise<boolean> {
    const t = ticket as TicketState;
    if (t.state !== 'admitted') return Promise.resolve(false);
    if (this.closed) {
      this.leave(t);
      return Promise.resolve(false);
    }
    t.state = 'waiting';
    t.startedAt = this.now();
    const go = new Promise<boolean>((resolve) => {
      t.resolve = resolve;
    });
    t.queue.fifo.push(t);
    this.pump(t.lane);
    return go;
  }

  /** Ends a ticket (done, or left before its turn). */
  leave(ticket: Ticket): void {
    const t = ticket as TicketState;
    this.end(t);
    this.pump(t.lane);
  }

  private end(t: TicketState): void {
    const l = t.lane;
    if (t.state === 'done') return;
    if (t.state === 'running') {
      l.running.delete(t);
      l.serviceMs = l.serviceMs * 0.8 + (this.now() - t.startedAt) * 0.2;
    } else {
      // A waiting ticket stays in the FIFO and is skipped when it comes up.
      t.queue.queued -= 1;
    }
    const wasWaiting = t.state === 'waiting';
    t.state = 'done';
    if (wasWaiting) t.resolve?.(false);
  }

  /** Hands back every ticket of the number that has not started (a pause, a shutdown). */
  cancel(numberId: string): void {
    const l = this.lanes.get(numberId);
    if (!l) return;
    for (const q of [l.high, l.low])
      for (let i = q.fifoHead; i < q.fifo.length; i += 1) {
        const t = q.fifo[i];
        if (t && t.state === 'waiting') this.end(t);
      }
  }

  /** Stops admitting and hands back everything that has not started. */
  close(): void {
    this.closed = true;
    for (const l of this.lanes.values()) {
      if (l.timer) clearTimeout(l.timer);
      l.timer = undefined;
      this.cancel(l.numberId);
    }
  }

  /** Provider calls running, per number (for tests and logs). */
  inFlight(numberId: string): number {
    return this.lanes.get(numberId)?.running.size ?? 0;
  }

  /** The next waiting ticket: single sends first, then broadcast messages. */
  private next(l: Lane): TicketState | undefined {
    return this.head(l.high) ?? this.head(l.low);
  }

  private head(q: Queue): TicketState | undefined {
    if (q.fifoHead > 1024 && q.fifoHead * 2 > q.fifo.length) {
      q.fifo = q.fifo.slice(q.fifoHead);
      q.fifoHead = 0;
    }
    while (q.fifoHead < q.fifo.length) {
      const t = q.fifo[q.fifoHead];
      if (t && t.state === 'waiting') return t;
      q.fifoHead += 1;
    }
    q.fifo = [];
    q.fifoHead = 0;
    return undefined;
  }

  private pump(l: Lane): void {
    if (this.closed) return;
    const { pacer, inFlightCap, maxWaitMs } = this.opts;
    for (;;) {
      const t = this.next(l);
      if (!t) return;
      // Waited twice as long as it should have (the number turned slow): hand it back.
      if (this.now() - t.startedAt > 2 * maxWaitMs) {
        this.end(t);
        continue;
      }
      // A broadcast message leaves one in-flight place to single sends (when there are two or more).
      const cap = t.queue === l.low && inFlightCap > 1 ? inFlightCap - 1 : inFlightCap;
      if (l.running.size >= cap) {
        this.wakeAt(l, t.startedAt + 2 * maxWaitMs + 1 - this.now());
        return;
      }
      const wait = pacer.waitMs(l.numberId);
      if (wait > 0) {
        this.wakeAt(l, wait);
        return;
      }
      pacer.take(l.numberId);
      t.queue.fifoHead += 1;
      t.queue.queued -= 1;
      t.state = 'running';
      t.startedAt = this.now();
      l.running.add(t);
      t.resolve?.(true);
    }
  }

  /** Runs the pump again in `ms` (the earliest wake-up asked for wins). */
  private wakeAt(l: Lane, ms: number): void {
    const at = this.now() + Math.max(0, ms);
    if (l.timer && l.timerAt <= at) return;
    if (l.timer) clearTimeout(l.timer);
    l.timerAt = at;
    l.timer = setTimeout(
      () => {
        l.timer = undefined;
        this.pump(l);
      },
      Math.max(0, ms),
    );
  }
}
