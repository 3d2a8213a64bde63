/**
 * The benchmark's machinery: the run's cleanup, and `Bench`, which runs one fixed-rate step with
 * the CPU of every process involved (repeating a failed one once), and waits for queues to drain.
 */
import { execFileSync } from 'node:child_process';
import type { Database } from '@flowgate/db';
import { BENCH_DATABASE_URL, pendingCount, type Seeded } from './environment';
import type { LoadGenerator } from './load-client';
import { REPO_ROOT, cpuShares, cpuSnapshot, sleep, type BenchProcess } from './processes';
import type { StepSpec } from './protocol';
import { stepLine, type StepRecord } from './report';
import { round } from './stats';

import {
  MAX_SOCKETS,
  NOISY_OTHER_CPU_PCT,
  QUIET_OTHER_CPU_PCT,
  SEND_PATH,
  TIMEOUT_MS,
  monotonicUs,
  passes,
  type Options,
  type Plan,
} from './plan';

export function gitInfo(): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const status = execFileSync('git', ['status', '--porcelain'], { cwd: REPO_ROOT, encoding: 'utf8' });
    return { commit, dirty: status.trim() !== '' };
  } catch {
    return { commit: 'unknown', dirty: true };
  }
}

/** Cleanup actions, run once, newest first, whatever happened. */
export class Cleanup {
  private readonly actions: Array<{ name: string; fn: () => Promise<unknown> }> = [];
  private running: Promise<void> | undefined;
  add(name: string, fn: () => Promise<unknown>): void {
    this.actions.push({ name, fn });
  }
  run(): Promise<void> {
    this.running ??= (async () => {
      for (const a of this.actions.reverse()) {
        try {
          await a.fn();
        } catch (err) {
          console.error(`cleanup (${a.name}) failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    })();
    return this.running;
  }
}

export class Bench {
  private seq = 7_000_000_000;
  readonly notes: string[] = [];
  /** Every step run, for the noise summary. */
  readonly records: StepRecord[] = [];
  /** Processes whose CPU each step records (besides the target and the load generator). */
  named: Record<string, number> = {};

  readonly startedAt = Date.now();

  /** Seconds of the budget left. */
  leftS(): number {
    return this.plan.budgetS - (Date.now() - this.startedAt) / 1000;
  }

  /** Seconds of the budget left for measuring, the profile's reserve set aside. */
  spareS(): number {
    return this.leftS() - this.plan.reserveS;
  }

  /** The bench database's name (its PostgreSQL backends' CPU is ours; other databases' is not). */
  readonly database = new URL(BENCH_DATABASE_URL).pathname.slice(1);

  constructor(
    readonly opts: Options,
    readonly plan: Plan,
    readonly load: LoadGenerator,
    readonly db: Database,
  ) {}

  /**
   * One step, with the CPU of every process involved. A failed step is run once more (and noted)
   * while time remains, so that one tail spike (a WAL fsync, a GC pause, the VM's steal) does not
   * decide a rate: a rate fails when it fails twice. Both runs are kept in the results.
   */
  async step(
    label: string,
    target: BenchProcess,
    spec: Omit<StepSpec, 'seqStart'>,
    retry = label !== 'warmup',
  ): Promise<StepRecord> {
    const first = await this.stepOnce(label, target, spec);
    if (first.pass || !retry) return first;
    const other = first.cpu['other'] ?? 0;
    const why = other > NOISY_OTHER_CPU_PCT ? ` while other processes used ${other}% of a core` : '';
    if (this.spareS() < 2 * (spec.durationMs / 1000 + 1)) {
      this.notes.push(`${label} at ${spec.rate} rps failed${why}; no time to repeat it`);
      return first;
    }
    this.notes.push(`${label} at ${spec.rate} rps failed${why}; repeated`);
    await sleep(1000);
    return this.stepOnce(`${label}*`, target, spec);
  }

  private async stepOnce(
    label: string,
    target: BenchProcess,
    spec: Omit<StepSpec, 'seqStart'>,
  ): Promise<StepRecord> {
    const seqStart = this.seq;
    this.seq += Math.round((spec.rate * spec.durationMs) / 1000) + 1;
    const named = { ...this.named, target: target.pid, load: this.load.proc.pid, bench: process.pid };
    const quietWaitMs = await this.waitForQuiet(named);
    const before = cpuSnapshot(named, this.database);
    const fromUs = monotonicUs();
    const result = await this.load.run({ ...spec, seqStart });
    const toUs = monotonicUs();
    const cpu = cpuShares(before, cpuSnapshot(named, this.database));
    const targetCpuPct = cpu['target'];
    const record: StepRecord = {
      label,
      ...result,
      pass: passes(result),
      targetCpuPct,
      targetCpuUsPerReq:
        targetCpuPct !== undefined && result.ok > 0
          ? round((targetCpuPct * 10 * result.wallMs) / result.ok, 0)
          : undefined,
      cpu,
      quietWaitMs,
      monotonicUs: { from: fromUs, to: toUs },
    };
    console.log(stepLine(record));
    this.records.push(record);
    return record;
  }

  /**
   * The machine is shared: before a step, wait (up to the plan's bound) until processes outside
   * the benchmark use less than a fifth of a core over a 300 ms window. Returns the time waited.
   */
  async waitForQuiet(named: Record<string, number>): Promise<number> {
    const start = Date.now();
    for (;;) {
      // Always one 300 ms sample: it is also the pause that lets the previous step settle.
      const a = cpuSnapshot(named, this.database);
      await sleep(300);
      const other = cpuShares(a, cpuSnapshot(named, this.database))['other'] ?? 0;
      if (other < QUIET_OTHER_CPU_PCT || Date.now() - start >= this.plan.quietWaitMs || this.spareS() < 0)
        return Date.now() - start;
    }
  }

  sendSpec(
    port: number,
    headers: Record<string, string>,
    rate: number,
    durationMs: number,
  ): Omit<StepSpec, 'seqStart'> {
    return {
      url: `http://127.0.0.1:${port}${SEND_PATH}`,
      method: 'POST',
      headers,
      // Distinct recipients (91 + a 10-digit sequence), so the pair limit never paces the dispatcher.
      bodyTemplate: '{"type":"text","phone":"91__SEQ__","content":"Flowgate benchmark message __SEQ__"}',
      rate,
      durationMs,
      expectStatus: 201,
      timeoutMs: TIMEOUT_MS,
      maxSockets: MAX_SOCKETS,
    };
  }

  /** Waits until the dispatcher has taken every message of the workspace to a final status. */
  async drain(workspaceId: string, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const n = await pendingCount(this.db, workspaceId);
      if (n === 0 || Date.now() > deadline) return n;
      await sleep(200);
    }
  }

  /** A send step that starts only once the previous steps' messages are delivered. */
  async sendStep(
    label: string,
    api: Api,
    ws: Seeded,
    rate: number,
    durationMs = this.plan.stepMs,
    opts: { retry?: boolean; timeoutMs?: number } = {},
  ): Promise<StepRecord> {
    const backlog = await this.drain(ws.workspaceId, this.plan.drainTimeoutMs);
    if (backlog > 0)
      this.notes.push(`${label} at ${rate} rps started with ${backlog} messages still undelivered`);
    const spec = this.sendSpec(api.port, ws.headers, rate, durationMs);
    const s = await this.step(
      label,
      api.proc,
      opts.timeoutMs !== undefined ? { ...spec, timeoutMs: opts.timeoutMs } : spec,
      opts.retry ?? true,
    );
    s.backlogAtStart = backlog;
    return s;
  }
}

export interface Api {
  proc: BenchProcess;
  port: number;
}
