/**
 * Partner webhooks out (docs/contracts.md §10): `webhooks.deliveriesPerSec`. A local receiver process
 * (./webhook-receiver) is registered with `POST /api/v1/public/webhooks` for `message.received`;
 * the orchestrator inserts `message.received` rows into the `partner_events` outbox at fixed
 * rates (each row's scheduled insert time kept), and the dispatcher relays them to the broker and
 * delivers them. The receiver verifies every delivery (standardwebhooks, X-Flowgate-Signature)
 * and records its arrival. Per rate: delivered/s, insert → verified arrival p50/p99, verification
 * failures, duplicates. The highest rate with every event delivered and verified and p99 ≤ 1 s.
 *
 * Events come from direct outbox inserts, not from signed Meta inbound webhooks through the
 * intake: a known number of events at a known rate, and the intake's own speed (measured by
 * ./intake) does not cap or blur the delivery path's.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Api, Bench } from './bench';
import type { Seeded } from './environment';
import { countLines } from './intake';
import {
  WEBHOOKS_P99_MAX_MS,
  WEBHOOKS_PATH,
  WEBHOOKS_TARGET_RATIO,
  findMaxRate,
  niceRate,
  type Plan,
} from './plan';
import { cpuShares, cpuSnapshot, freePort, sleep, startNode, type BenchProcess } from './processes';
import type { RateSearch, WebhookStepRecord, WebhooksResult } from './report';
import { mean, percentile, round } from './stats';
import type { Stack } from './steps';

/** Messages from the receiver process to the orchestrator (Node IPC). */
export type FromReceiver =
  | { type: 'ready' }
  | { type: 'secret-set' }
  | { type: 'arrivals'; arrivals: Array<[string, number, boolean]>; failures: string[] };

/** How often the inserter wakes up (each wake-up inserts the rows that have come due, in one INSERT). */
const INSERT_TICK_MS = 10;
/** INSERTs in flight at once (the bench's pool has four connections). */
const MAX_INSERTS_IN_FLIGHT = 3;

/** The receiver process, its secret and its arrivals, over IPC. */
export class Receiver {
  private readonly waiting = new Map<string, Array<(m: FromReceiver) => void>>();
  private constructor(
    readonly proc: BenchProcess,
    readonly port: number,
  ) {
    proc.child.on('message', (msg: unknown) => {
      const m = msg as FromReceiver;
      const list = this.waiting.get(m.type);
      const next = list?.shift();
      if (next) next(m);
    });
  }

  static async start(): Promise<Receiver> {
    const port = await freePort();
    const proc = startNode('webhook-receiver', 'scripts/bench/webhook-receiver.ts', {
      env: { WEBHOOK_RECEIVER_PORT: String(port) },
      ipc: true,
    });
    const r = new Receiver(proc, port);
    await r.request(undefined, 'ready', 60_000);
    return r;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/flowgate/webhooks`;
  }

  async setSecret(secret: string): Promise<void> {
    await this.request({ type: 'secret', secret }, 'secret-set');
  }

  async take(): Promise<Extract<FromReceiver, { type: 'arrivals' }>> {
    return (await this.request({ type: 'take' }, 'arrivals')) as Extract<FromReceiver, { type: 'arrivals' }>;
  }

  async stop(): Promise<void> {
    if (this.proc.exited()) return;
    this.proc.child.send({ type: 'exit' });
    await this.proc.stop(5_000);
  }

  private request(
    msg: object | undefined,
    reply: FromReceiver['type'],
    timeoutMs = 10_000,
  ): Promise<FromReceiver> {
    return new Promise<FromReceiver>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`webhook receiver: no ${reply} after ${timeoutMs} ms\n${this.proc.tail()}`)),
        timeoutMs,
      );
      const list = this.waiting.get(reply) ?? [];
      list.push((m) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.waiting.set(reply, list);
      if (msg) this.proc.child.send(msg);
    });
  }
}

/** What a `message.received` event carries (docs/contracts.md §10), as the intake writes it. */
function receivedData(ws: Seeded, i: number, at: Date): string {
  return JSON.stringify({
    messageId: randomUUID(),
    contactId: randomUUID(),
    conversationId: randomUUID(),
    phone: `91${7_000_000_000 + i}`,
    name: 'Asha',
    phoneNumberId: ws.phoneNumberId,
    providerMessageId: `wamid.bench${randomBytes(12).toString('hex')}`,
    type: 'text',
    content: { text: `Flowgate benchmark inbound message ${i}` },
    replyTo: null,
    timestamp: at.toISOString(),
  });
}

/** Where each inserted event is: its step, its scheduled insert time, and its arrivals so far. */
interface Sent {
  step: string;
  at: number;
  arrivals: number;
}

/**
 * `rate` rows a second into `partner_events` for `durationMs`: each tick inserts, in one INSERT,
 * the rows whose scheduled time has come (row i at t0 + i / rate). Latency is counted from the
 * scheduled time, so an inserter that falls behind shows as latency, not as a slower rate.
 */
async function insertAtRate(
  bench: Bench,
  ws: Seeded,
  label: string,
  rate: number,
  durationMs: number,
  sent: Map<string, Sent>,
): Promise<{
  scheduled: number;
  inserted: number;
  insertErrors: number;
  maxInsertLagMs: number;
  firstAt: number;
}> {
  const total = Math.max(1, Math.round((rate * durationMs) / 1000));
  const t0 = Date.now() + INSERT_TICK_MS;
  const inFlight = new Set<Promise<void>>();
  let next = 0;
  let inserted = 0;
  let insertErrors = 0;
  let maxInsertLagMs = 0;
  let firstError: string | undefined;
  while (next < total) {
    const due = Math.min(total, Math.floor(((Date.now() - t0) * rate) / 1000) + 1);
    if (due > next && inFlight.size < MAX_INSERTS_IN_FLIGHT) {
      const rows = [];
      const ids: string[] = [];
      for (let i = next; i < due; i += 1) {
        const at = t0 + (i * 1000) / rate;
        const id = `evt_${randomBytes(16).toString('hex')}`;
        const occurred = new Date(at);
        ids.push(id);
        sent.set(id, { step: label, at, arrivals: 0 });
        rows.push({
          id,
          workspace_id: ws.workspaceId,
          type: 'message.received',
          data: receivedData(ws, i, occurred),
          occurred_at: occurred,
        });
      }
      const firstAt = t0 + (next * 1000) / rate;
      next = due;
      const p: Promise<void> = bench
        .db('partner_events')
        .insert(rows)
        .then(() => {
          inserted += rows.length;
          maxInsertLagMs = Math.max(maxInsertLagMs, Date.now() - firstAt);
        })
        .catch((err: unknown) => {
          insertErrors += rows.length;
          firstError ??= err instanceof Error ? err.message : String(err);
          for (const id of ids) sent.delete(id);
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await sleep(INSERT_TICK_MS);
  }
  await Promise.all(inFlight);
  if (firstError)
    bench.notes.push(`webhooks ${label} at ${rate}/s: ${insertErrors} inserts failed (${firstError})`);
  return { scheduled: total, inserted, insertErrors, maxInsertLagMs: round(maxInsertLagMs, 0), firstAt: t0 };
}

/**
 * Registers the receiver, then searches: outbox events at fixed rates (from 3 × send.maxRps),
 * each step waiting for every delivery. The receiver process lives only for this step.
 */
export async function measureWebhooks(
  { bench, webhooksWs, dispatcher }: Stack,
  p: Plan,
  api: Api,
  sendSearch: RateSearch,
): Promise<WebhooksResult> {
  const w = p.webhooks;
  console.log(
    `\nwebhooks: message.received rows into partner_events at fixed rates → dispatcher → local receiver (standardwebhooks verify)`,
  );
  const receiver = await Receiver.start();
  try {
    const res = await fetch(`http://127.0.0.1:${api.port}${WEBHOOKS_PATH}`, {
      method: 'POST',
      headers: webhooksWs.headers,
      body: JSON.stringify({
        url: receiver.url,
        events: ['message.received'],
        description: 'bench receiver',
      }),
    });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`registering the receiver answered ${res.status}: ${text}`);
    const created = (JSON.parse(text) as { data: { id: string; secret: string } }).data;
    if (!created.secret.startsWith('whsec_'))
      throw new Error(`the endpoint's secret is not whsec_…: ${text}`);
    await receiver.setSecret(created.secret);

    const sent = new Map<string, Sent>();
    const totals = { failures: 0, duplicates: 0, stray: 0, late: 0 };
    const failureSamples: string[] = [];
    const dispatcherPid = bench.named['dispatcher'];
    /** This step's verification failures and duplicates (`collect` counts them). */
    const stepCounts = { failures: 0, duplicates: 0 };

    /** Takes the receiver's arrivals into `sent`; returns this step's first verified arrivals. */
    const collect = async (label: string, firsts: Map<string, number>): Promise<void> => {
      const { arrivals, failures } = await receiver.take();
      for (const f of failures) if (failureSamples.length < 5) failureSamples.push(f);
      for (const [id, at, ok] of arrivals) {
        const s = sent.get(id);
        if (!ok) {
          totals.failures += 1;
          if (s?.step === label) stepCounts.failures += 1;
          continue;
        }
        if (!s) {
          totals.stray += 1;
          continue;
        }
        s.arrivals += 1;
        if (s.arrivals > 1) {
          totals.duplicates += 1;
          if (s.step === label) stepCounts.duplicates += 1;
        } else if (s.step === label) firsts.set(id, at - s.at);
        else totals.late += 1;
      }
    };
    const once = async (label: string, rate: number, durationMs = w.stepMs): Promise<WebhookStepRecord> => {
      stepCounts.failures = 0;
      stepCounts.duplicates = 0;
      const named = { ...bench.named, receiver: receiver.proc.pid, bench: process.pid };
      await bench.waitForQuiet(named);
      const firsts = new Map<string, number>();
      const before = cpuSnapshot(named, bench.database);
      const ins = await insertAtRate(bench, webhooksWs, label, rate, durationMs, sent);
      const insertsDoneAt = Date.now();
      const deadline = insertsDoneAt + w.waitMs;
      for (;;) {
        await collect(label, firsts);
        if (firsts.size >= ins.inserted || Date.now() > deadline) break;
        await sleep(100);
      }
      const cpu = cpuShares(before, cpuSnapshot(named, bench.database));
      const lats = Float64Array.from(firsts.values()).sort();
      let lastAt: number | undefined;
      for (const [id, l] of firsts) {
        const at = (sent.get(id)?.at ?? 0) + l;
        if (lastAt === undefined || at > lastAt) lastAt = at;
      }
      const lastArrivalMs = lastAt !== undefined ? lastAt - ins.firstAt : undefined;
      const delivered = firsts.size;
      const missing = ins.inserted - delivered;
      // A step that left deliveries behind drains them before the next one (not counted).
      let drainedAfterMs: number | undefined;
      if (missing > 0) {
        const drainDeadline = Date.now() + p.drainTimeoutMs;
        const drained = new Map<string, number>();
        while (firsts.size + drained.size < ins.inserted && Date.now() < drainDeadline) {
          await sleep(200);
          await collect(label, drained);
        }
        if (firsts.size + drained.size >= ins.inserted) drainedAfterMs = Date.now() - insertsDoneAt;
      }
      const dispCpu = cpu['dispatcher'];
      const wallMs = Date.now() - ins.firstAt;
      const latencyMs = {
        p50: round(percentile(lats, 0.5), 1),
        p90: round(percentile(lats, 0.9), 1),
        p99: round(percentile(lats, 0.99), 1),
        max: round(lats.length > 0 ? (lats[lats.length - 1] ?? 0) : 0, 1),
        mean: round(mean(lats), 1),
      };
      const record: WebhookStepRecord = {
        label,
        rate,
        durationMs,
        scheduled: ins.scheduled,
        inserted: ins.inserted,
        insertErrors: ins.insertErrors,
        maxInsertLagMs: ins.maxInsertLagMs,
        delivered,
        missing,
        verificationFailures: stepCounts.failures,
        duplicates: stepCounts.duplicates,
        latencyMs,
        lastArrivalMs: lastArrivalMs !== undefined ? round(lastArrivalMs, 0) : undefined,
        deliveredPerSec:
          lastArrivalMs !== undefined && lastArrivalMs > 0 ? round((delivered / lastArrivalMs) * 1000, 1) : 0,
        ...(drainedAfterMs !== undefined ? { drainedAfterMs } : {}),
        cpu,
        dispatcherCpuUsPerDelivery:
          dispCpu !== undefined && delivered > 0 && dispatcherPid !== undefined
            ? round((dispCpu * 10 * wallMs) / delivered, 0)
            : undefined,
        pass:
          ins.insertErrors === 0 &&
          ins.inserted === ins.scheduled &&
          missing === 0 &&
          stepCounts.failures === 0 &&
          latencyMs.p99 <= WEBHOOKS_P99_MAX_MS,
      };
      console.log(
        [
          `  ${label.padEnd(12)}`,
          `${String(rate).padStart(6)} /s`,
          `${delivered}/${ins.scheduled} delivered`,
          `${record.deliveredPerSec} /s`,
          `p50 ${latencyMs.p50} p99 ${latencyMs.p99} max ${latencyMs.max} ms`,
          `bad sig ${record.verificationFailures}, dup ${record.duplicates}`,
          `insert lag ≤ ${ins.maxInsertLagMs} ms`,
          `disp ${cpu['dispatcher'] ?? '-'}% (${record.dispatcherCpuUsPerDelivery ?? '-'} µs/delivery)`,
          `pg ${cpu['postgres'] ?? '-'}%`,
          `mq ${cpu['rabbitmq'] ?? '-'}%`,
          `recv ${cpu['receiver'] ?? '-'}%`,
          `other ${cpu['other'] ?? '-'}%`,
          record.pass ? 'PASS' : 'fail',
          drainedAfterMs !== undefined
            ? `(drained ${drainedAfterMs} ms after the inserts)`
            : missing > 0
              ? '(NOT drained)'
              : '',
        ]
          .filter((x) => x !== '')
          .join('  '),
      );
      return record;
    };

    const steps: WebhookStepRecord[] = [];
    // The search's own time (plan.webhooks.budgetS): a passing step takes about its duration plus two seconds.
    const searchStartedAt = Date.now();
    const leftS = (): number => w.budgetS - (Date.now() - searchStartedAt) / 1000;
    const needS = w.stepMs / 1000 + 2;
    // Like Bench.step, a failed rate is run once more while time remains (one tail spike on a
    // shared machine does not decide a rate); both runs are kept.
    const step = async (rate: number): Promise<WebhookStepRecord> => {
      if (steps.length >= 1 && leftS() < needS) {
        bench.notes.push(
          `webhooks at ${rate}/s skipped: ${Math.round(leftS())} s of the search's budget left`,
        );
        return { ...skipped(rate, w.stepMs), label: 'webhooks(skipped)' };
      }
      const first = await once('webhooks', rate);
      steps.push(first);
      if (first.pass) return first;
      if (leftS() < needS) {
        bench.notes.push(`webhooks at ${rate}/s failed; no time to repeat it`);
        return first;
      }
      bench.notes.push(
        `webhooks at ${rate}/s failed (${first.delivered}/${first.scheduled} delivered, p99 ${first.latencyMs.p99} ms, ${first.verificationFailures} bad signatures); repeated`,
      );
      await sleep(1000);
      const again = await once('webhooks*', rate);
      steps.push(again);
      return again;
    };

    // The dispatcher's delivery path (relay, signing, the receiver's connections) is cold.
    await once('warmup', w.warmupRps, w.warmupMs);
    const sendRps = Math.max(100, sendSearch.maxRps);
    const target = sendRps * WEBHOOKS_TARGET_RATIO;
    const search = await findMaxRate(
      { start: target, factor: w.factor, refine: w.refine, maxRate: niceRate(target * 3) },
      step,
    );
    // Late duplicates (a redelivery after a step's wait) still count.
    await sleep(500);
    await collect('', new Map());
    const best = search.best?.label.includes('skipped') ? undefined : search.best;
    const deliveriesPerSec = best?.rate ?? 0;
    // Only a failed (not skipped) rate above the best bounds it; else the true limit is higher.
    const limitFound = steps.some((s) => !s.pass && s.rate > deliveriesPerSec);
    if (best && !limitFound)
      bench.notes.push(
        `webhooks: every rate tried up to ${deliveriesPerSec}/s passed; the limit is higher (deliveriesPerSec is a lower bound)`,
      );
    const ratioToSend = sendSearch.maxRps > 0 ? round(deliveriesPerSec / sendSearch.maxRps, 2) : 0;
    const { rows } = await bench.db.raw<{ rows: Array<{ outcome: string; n: number; retries: number }> }>(
      `SELECT outcome, count(*)::int AS n, count(*) FILTER (WHERE attempt > 1)::int AS retries
         FROM webhook_deliveries WHERE endpoint_id = ? GROUP BY 1`,
      [created.id],
    );
    const attempts: Record<string, number> = {};
    let retriedAttempts = 0;
    for (const r of rows) {
      attempts[r.outcome] = r.n;
      retriedAttempts += r.retries;
    }
    const { rows: unrelayed } = await bench.db.raw<{ rows: Array<{ n: number }> }>(
      'SELECT count(*)::int AS n FROM partner_events WHERE workspace_id = ? AND relayed_at IS NULL',
      [webhooksWs.workspaceId],
    );
    const neverArrived = [...sent.values()].filter((s) => s.arrivals === 0).length;
    if (totals.failures > 0)
      bench.notes.push(
        `webhooks: ${totals.failures} deliveries failed verification: ${failureSamples.join('; ')}`,
      );
    if (totals.duplicates > 0)
      bench.notes.push(`webhooks: ${totals.duplicates} duplicate deliveries (same webhook-id)`);
    if (totals.stray > 0)
      bench.notes.push(`webhooks: ${totals.stray} verified deliveries of events the bench never inserted`);
    if (neverArrived > 0)
      bench.notes.push(`webhooks: ${neverArrived} inserted events never arrived at the receiver`);
    for (const line of ['partner events relay failed', 'webhook delivery could not be recorded']) {
      const n = countLines(dispatcher.logFile, line);
      if (n > 0) bench.notes.push(`webhooks: the dispatcher logged ${n} "${line}"`);
    }
    const result: WebhooksResult = {
      deliveriesPerSec,
      p50Ms: best?.latencyMs.p50 ?? 0,
      p99Ms: best?.latencyMs.p99 ?? 0,
      p99BoundMs: WEBHOOKS_P99_MAX_MS,
      limitFound,
      deliveredPerSec: best?.deliveredPerSec ?? 0,
      ratioToSend,
      targetRatio: WEBHOOKS_TARGET_RATIO,
      meetsTarget: ratioToSend >= WEBHOOKS_TARGET_RATIO,
      eventSource:
        'partner_events rows inserted by the bench at fixed rates (not Meta webhooks through the intake)',
      latencyFrom: "each row's scheduled insert time to the receiver's verified arrival",
      verificationFailures: totals.failures,
      duplicates: totals.duplicates,
      stray: totals.stray,
      neverArrived,
      unrelayedEvents: unrelayed[0]?.n ?? 0,
      attempts,
      retriedAttempts,
      steps,
    };
    console.log(
      `  ${limitFound ? '' : '≥ '}${deliveriesPerSec}/s delivered and verified with p99 ${result.p99Ms} ms (≤ ${WEBHOOKS_P99_MAX_MS} ms): ${ratioToSend} × send (target ${WEBHOOKS_TARGET_RATIO} ×); attempts ${JSON.stringify(attempts)}`,
    );
    return result;
  } finally {
    await receiver.stop();
  }
}

function skipped(rate: number, durationMs: number): WebhookStepRecord {
  return {
    label: 'webhooks(skipped)',
    rate,
    durationMs,
    scheduled: 0,
    inserted: 0,
    insertErrors: 0,
    maxInsertLagMs: 0,
    delivered: 0,
    missing: 0,
    verificationFailures: 0,
    duplicates: 0,
    latencyMs: { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 },
    lastArrivalMs: undefined,
    deliveredPerSec: 0,
    cpu: {},
    dispatcherCpuUsPerDelivery: undefined,
    pass: false,
  };
}
