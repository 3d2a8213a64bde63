/** The shape of bench/results/latest.json and the table printed at the end of a run. */
import type { AuthResult } from './auth';
import type { BroadcastBenchResult } from './broadcasts';
import type { LifecycleResult } from './lifecycle';
import type { ProfileSummary } from './profile';
import type { StepResult } from './protocol';

export interface StepRecord extends StepResult {
  label: string;
  pass: boolean;
  /** CPU of the process under test during the step, as a share of one core. */
  targetCpuPct: number | undefined;
  /** CPU of the process under test per expected-status answer, microseconds. */
  targetCpuUsPerReq: number | undefined;
  /**
   * CPU during the step as a share of one core (100 = a full core): `target`, `load`,
   * `dispatcher`, `sandbox`, `bench` (the orchestrator), `postgres`, `rabbitmq`, `other` (the rest
   * of the machine); `machine` is the busy share of all cores.
   */
  cpu: Record<string, number>;
  /** How long the step waited for the machine to be quiet (other processes' CPU). */
  quietWaitMs: number;
  /** When the step ran, CLOCK_MONOTONIC microseconds (to cut a CPU profile to it). */
  monotonicUs: { from: number; to: number };
  /** Messages still on their way to the provider when the step started (send steps). */
  backlogAtStart?: number;
}

export interface RateSearch {
  /** The highest rate that passed: p99 ≤ 50 ms and < 0.1 % errors. */
  maxRps: number;
  p50Ms: number;
  p99Ms: number;
  steps: StepRecord[];
}

/** One intake step: the API's answers, then the database's view of the statuses it took. */
export interface IntakeStepRecord extends StepRecord {
  /** Real messages (SENT) the step's statuses were for: `delivered` for each, then `read`. */
  messages: number;
  /** Statuses posted: `delivered` ones, `read` ones. */
  posted: { delivered: number; read: number };
  /** Messages at the status their last posted status asks for (READ, or DELIVERED) after the wait. */
  applied: number;
  /** History events the statuses made (one per applied status; `read` first leaves no DELIVERED). */
  events: { delivered: number; read: number };
  allApplied: boolean;
  /** From the step's start to the last status applied, ms. */
  lastAppliedMs: number | undefined;
  /** Statuses applied per second over that span (the workers' pace, not the API's). */
  appliedPerSec: number;
  /** The answer passed (p99, errors) and every status was applied within the wait. */
  httpPass: boolean;
}

export interface IntakeResult {
  /** The highest rate of signed status webhooks with p99 ≤ 50 ms, < 0.1 % errors and every status applied. */
  eventsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** `eventsPerSec / send.maxRps`. */
  ratioToSend: number;
  targetRatio: number;
  meetsTarget: boolean;
  /** The workers' pace at that rate (statuses applied per second, step start to last applied). */
  appliedPerSec: number;
  /** What `meta_webhooks` holds at the end: stored, processed, never processed, and the outcomes. */
  webhooks: { stored: number; processed: number; unprocessed: number; outcomes: Record<string, number> };
  steps: IntakeStepRecord[];
}

/** One webhooks step: outbox rows inserted at a fixed rate, and what the receiver got. */
export interface WebhookStepRecord {
  label: string;
  /** Events inserted into `partner_events` per second. */
  rate: number;
  durationMs: number;
  /** Rows the schedule called for (rate × duration), rows inserted, rows whose INSERT failed. */
  scheduled: number;
  inserted: number;
  insertErrors: number;
  /** Largest delay from a batch's first scheduled time to its commit (the bench's inserter). */
  maxInsertLagMs: number;
  /** Events that reached the receiver verified within the step's wait (first arrival each). */
  delivered: number;
  /** Inserted events not delivered within the wait. */
  missing: number;
  /** Deliveries of this step's events that failed the receiver's checks. */
  verificationFailures: number;
  /** Second and later arrivals of this step's events (same webhook-id). */
  duplicates: number;
  /** From each event's scheduled insert time to its verified arrival, ms. */
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** From the first scheduled insert to the last arrival, ms. */
  lastArrivalMs: number | undefined;
  /** `delivered` over that span. */
  deliveredPerSec: number;
  /** When deliveries were missing: how long after the last insert the last one arrived. */
  drainedAfterMs?: number;
  /** CPU during the step (inserts and the wait) as a share of one core, as StepRecord's. */
  cpu: Record<string, number>;
  dispatcherCpuUsPerDelivery: number | undefined;
  /** Every event inserted, delivered and verified, p99 ≤ the bound. */
  pass: boolean;
}

/** Partner webhooks out (docs/contracts.md §10) to a local receiver that verifies every delivery. */
export interface WebhooksResult {
  /** The highest rate with every event delivered and verified and p99 ≤ `p99BoundMs`. */
  deliveriesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p99BoundMs: number;
  /** A rate above `deliveriesPerSec` failed; false: every rate tried passed (a lower bound). */
  limitFound: boolean;
  /** Measured at that rate: deliveries over the span from the first insert to the last arrival. */
  deliveredPerSec: number;
  /** `deliveriesPerSec / send.maxRps`. */
  ratioToSend: number;
  targetRatio: number;
  meetsTarget: boolean;
  eventSource: string;
  latencyFrom: string;
  /** Over the whole search (warm-up included). */
  verificationFailures: number;
  duplicates: number;
  /** Verified deliveries of events the bench never inserted. */
  stray: number;
  /** Inserted events that never reached the receiver, by the end of the search. */
  neverArrived: number;
  /** The workspace's outbox rows still not relayed at the end. */
  unrelayedEvents: number;
  /** The endpoint's recorded attempts (`webhook_deliveries`) by outcome, and those after the first. */
  attempts: Record<string, number>;
  retriedAttempts: number;
  steps: WebhookStepRecord[];
}

/** Accept → READ with the sandbox playing Meta (status webhooks with delays 0, 0, 0). */
export interface ReadLifecycle {
  /** Who posted the statuses: the sandbox after each accepted send, or the load process. */
  source: 'sandbox' | 'load-process';
  offeredRps: number;
  accepted: number;
  read: number;
  /** Messages that ended elsewhere (FAILED, or still short of READ after the wait). */
  notRead: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  waitS: number;
  /** The sandbox's webhook totals (posted, accepted, retries, gaveUp, pending). */
  sandboxWebhooks?: Record<string, number>;
  http: StepRecord;
}

export type ProfileResult = ProfileSummary & {
  logLevel: 'warn' | 'info';
  rate: number;
  step: StepRecord;
  window: { fromUs: number; toUs: number };
};

export interface BenchResults {
  schemaVersion: 1;
  mode: 'full' | 'quick';
  startedAt: string;
  durationS: number;
  commit: string;
  dirty: boolean;
  machine: {
    cpuModel: string;
    cpus: number;
    memoryMb: number;
    node: string;
    platform: string;
    release: string;
    postgres: string;
    loadAvgAtStart: number[];
    /** How Flowgate's processes ran: compiled bundles (as the runtime image runs them) or tsx. */
    servicesRuntime: 'compiled' | 'tsx';
  };
  criteria: { p99MaxMs: number; maxErrorRate: number; stepMs: number; timeoutMs: number; maxSockets: number };
  baseline: { rps: number; p50Ms: number; p99Ms: number; steps: StepRecord[] };
  send: RateSearch & { ratioToBaseline: number; logLevel: 'warn' };
  sendInfoLog?: RateSearch & { ratioToBaseline: number; logLevel: 'info'; ratioToWarn: number };
  auth: AuthResult;
  e2e: {
    msgsPerSec: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    offeredRps: number;
    accepted: number;
    sent: number;
    failed: number;
    duplicateSentEvents: number;
    drainS: number;
    /** True when messages reached SENT as fast as they were offered (the pipeline kept up). */
    keptUp: boolean;
    http: StepRecord;
    /** Accept → READ (the `read` event's time minus the message's), sandbox delays 0, 0, 0. */
    readP50Ms: number;
    readP99Ms: number;
    read: ReadLifecycle;
  };
  /** Signed status webhooks in: `POST /api/v1/webhooks/meta` (docs/contracts.md §9). */
  intake: IntakeResult;
  /** Partner webhooks out to a local receiver (docs/contracts.md §10); absent when the step could not run. */
  webhooks?: WebhooksResult;
  /** Broadcasts (docs/contracts.md §11): accept of 10,000 recipients and the drain at 1,000/s; absent when the step could not run. */
  broadcast?: BroadcastBenchResult;
  /** accept → SENT → DELIVERED → READ with a partner webhook for every event (issue 17); absent when the step could not run. */
  lifecycle?: LifecycleResult;
  rssMb: { api: number; apiInfoLog?: number; dispatcher: number; sandbox?: number; baseline?: number };
  /** CPU profile of the API (LOG_LEVEL=warn) during one send step (full run, or --profile). */
  profile?: ProfileResult;
  /** The same at LOG_LEVEL=info (--profile-info). */
  profileInfoLog?: ProfileResult;
  /** CPU profile of the dispatcher during the same step as `profile`. */
  dispatcherProfile?: ProfileSummary & { rate: number; window: { fromUs: number; toUs: number } };
  env: Record<string, string>;
  /** The machine is shared: CPU used by processes outside the benchmark during steps. */
  noise: { otherCpuPctMean: number; stepsRepeated: number };
  notes: string[];
}

const fmt = (n: number | undefined, digits = 1): string => (n === undefined ? '-' : n.toFixed(digits));

export function stepLine(s: StepRecord): string {
  const kinds = Object.entries(s.errorKinds)
    .map(([k, v]) => `${k}×${v}`)
    .join(' ');
  return [
    `  ${s.label.padEnd(12)}`,
    `${String(s.rate).padStart(6)} rps`,
    `got ${fmt(s.achievedRps, 0).padStart(6)}/s`,
    `err ${(s.errorRate * 100).toFixed(2).padStart(6)}%`,
    `p50 ${fmt(s.latencyMs.p50, 2).padStart(7)}`,
    `p99 ${fmt(s.latencyMs.p99, 2).padStart(8)}`,
    `max ${fmt(s.latencyMs.max, 0).padStart(6)} ms`,
    `cpu ${fmt(s.targetCpuPct, 0).padStart(3)}% ${fmt(s.targetCpuUsPerReq, 0).padStart(5)}µs/req`,
    `disp ${fmt(s.cpu['dispatcher'], 0).padStart(3)}%`,
    `pg ${fmt(s.cpu['postgres'], 0).padStart(3)}%`,
    `mq ${fmt(s.cpu['rabbitmq'], 0).padStart(3)}%`,
    `gen ${fmt(s.cpu['load'], 0).padStart(3)}%`,
    `other ${fmt(s.cpu['other'], 0).padStart(3)}%`,
    s.pass ? 'PASS' : 'fail',
    kinds,
  ]
    .filter((x) => x !== '')
    .join('  ');
}

function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  '))
    .join('\n');
}

export function summaryTable(r: BenchResults): string {
  const rows: string[][] = [
    ['measure', 'value', 'detail'],
    [
      'baseline (Express 5 + helmet hello)',
      `${r.baseline.rps} rps`,
      `p50 ${fmt(r.baseline.p50Ms, 2)} / p99 ${fmt(r.baseline.p99Ms, 2)} ms`,
    ],
    [
      'send path, LOG_LEVEL=warn',
      `${r.send.maxRps} rps`,
      `p50 ${fmt(r.send.p50Ms, 2)} / p99 ${fmt(r.send.p99Ms, 2)} ms`,
    ],
    ['  ratio to baseline', `${fmt(r.send.ratioToBaseline * 100, 1)} %`, ''],
  ];
  if (r.sendInfoLog)
    rows.push(
      [
        'send path, LOG_LEVEL=info',
        `${r.sendInfoLog.maxRps} rps`,
        `p50 ${fmt(r.sendInfoLog.p50Ms, 2)} / p99 ${fmt(r.sendInfoLog.p99Ms, 2)} ms`,
      ],
      [
        '  ratio to baseline / to warn',
        `${fmt(r.sendInfoLog.ratioToBaseline * 100, 1)} %`,
        `${fmt(r.sendInfoLog.ratioToWarn * 100, 1)} % of warn`,
      ],
    );
  rows.push(
    ['auth: cached verify', `${fmt(r.auth.cachedUs, 2)} µs`, `${r.auth.cachedIterations} calls, in-process`],
    [
      `auth: argon2id verify (${r.auth.argon2Params.memoryCost}/${r.auth.argon2Params.timeCost}/${r.auth.argon2Params.parallelism})`,
      `${fmt(r.auth.argon2Ms, 1)} ms`,
      `p50 ${fmt(r.auth.argon2P50Ms, 1)} / p99 ${fmt(r.auth.argon2P99Ms, 1)} ms`,
    ],
    [
      'end to end: accept → SENT',
      `${fmt(r.e2e.msgsPerSec, 0)} msg/s`,
      `${r.e2e.sent}/${r.e2e.accepted} sent, ${r.e2e.offeredRps} rps offered${r.e2e.keptUp ? ' (kept up)' : ''}`,
    ],
    [
      '  accept → SENT latency',
      `p50 ${fmt(r.e2e.p50Ms, 0)} ms`,
      `p99 ${fmt(r.e2e.p99Ms, 0)} ms, max ${fmt(r.e2e.maxMs, 0)} ms`,
    ],
    [
      'intake: signed status webhooks',
      `${r.intake.eventsPerSec} /s`,
      `p50 ${fmt(r.intake.p50Ms, 2)} / p99 ${fmt(r.intake.p99Ms, 2)} ms; ${fmt(r.intake.ratioToSend, 2)} × send (target ${r.intake.targetRatio} ×${r.intake.meetsTarget ? ', met' : ', not met'})`,
    ],
    [
      '  statuses applied',
      `${fmt(r.intake.appliedPerSec, 0)} /s`,
      `at that rate; ${r.intake.webhooks.unprocessed}/${r.intake.webhooks.stored} webhooks unprocessed`,
    ],
  );
  if (r.lifecycle)
    rows.push([
      'lifecycle: accept → READ + partner webhooks',
      `${r.lifecycle.msgsPerSec} msg/s`,
      `CPU µs/msg ${Object.entries(r.lifecycle.cpuUsPerMsg)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    ]);
  if (r.broadcast)
    rows.push([
      `broadcast: ${r.broadcast.recipients} recipients`,
      `${fmt(r.broadcast.acceptMs, 0)} ms accept`,
      `drain ${fmt(r.broadcast.drainPerSec, 0)} /s at a number rate of ${r.broadcast.numberRate}/s; ${r.broadcast.sent} sent, ${r.broadcast.failed} failed`,
    ]);
  if (r.webhooks)
    rows.push(
      [
        'webhooks: deliveries to a local receiver',
        `${r.webhooks.limitFound ? '' : '≥ '}${r.webhooks.deliveriesPerSec} /s`,
        `insert → verified arrival p50 ${fmt(r.webhooks.p50Ms, 0)} / p99 ${fmt(r.webhooks.p99Ms, 0)} ms (≤ ${r.webhooks.p99BoundMs}); ${fmt(r.webhooks.ratioToSend, 2)} × send (target ${r.webhooks.targetRatio} ×${r.webhooks.meetsTarget ? ', met' : ', not met'})`,
      ],
      [
        '  bad signatures / duplicates',
        `${r.webhooks.verificationFailures} / ${r.webhooks.duplicates}`,
        `${r.webhooks.neverArrived} never arrived; ${fmt(r.webhooks.deliveredPerSec, 0)} /s measured at that rate`,
      ],
    );
  rows.push(
    [
      `end to end: accept → READ (${r.e2e.read.source})`,
      `p50 ${fmt(r.e2e.readP50Ms, 0)} ms`,
      `p99 ${fmt(r.e2e.readP99Ms, 0)} ms, max ${fmt(r.e2e.read.maxMs, 0)} ms; ${r.e2e.read.read}/${r.e2e.read.accepted} read at ${r.e2e.read.offeredRps} rps`,
    ],
    [
      'peak RSS api / dispatcher',
      `${fmt(r.rssMb.api, 0)} / ${fmt(r.rssMb.dispatcher, 0)} MB`,
      `sandbox ${fmt(r.rssMb.sandbox, 0)} MB, baseline ${fmt(r.rssMb.baseline, 0)} MB`,
    ],
  );
  rows.push([
    'noise: other processes during steps',
    `${fmt(r.noise.otherCpuPctMean, 0)} % of a core`,
    `${r.noise.stepsRepeated} steps repeated`,
  ]);
  return table(rows);
}

export function profileTable(p: ProfileSummary): string {
  const rows: string[][] = [['self time', '%', 'function', 'where', 'for (nearest caller outside node)']];
  for (const e of p.topEntries)
    rows.push([
      `${fmt(e.selfMs, 0)} ms`,
      fmt(e.pct, 1),
      e.name,
      e.where,
      (e.origins ?? []).map((o) => `${o.name} ${o.pct}%`).join(', '),
    ]);
  const pk: string[][] = [['self time', '%', 'package (self)', '', 'self time', '%', 'package (by origin)']];
  for (let i = 0; i < 10; i += 1) {
    const a = p.byPackage[i];
    const b = p.byOrigin[i];
    if (!a && !b) break;
    pk.push([
      a ? `${fmt(a.selfMs, 0)} ms` : '',
      a ? fmt(a.pct, 1) : '',
      a?.name ?? '',
      '',
      b ? `${fmt(b.selfMs, 0)} ms` : '',
      b ? fmt(b.pct, 1) : '',
      b?.name ?? '',
    ]);
  }
  return `busy ${p.busyMs} ms on the main thread during the step\n${table(rows)}\n\n${table(pk)}`;
}
