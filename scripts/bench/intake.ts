/**
 * Meta's webhooks in (docs/contracts.md §9): the intake search (signed status webhooks at fixed rates from the
 * load process, each for a real message the dispatcher took to SENT) and accept → READ with the
 * sandbox posting the statuses itself (delays 0, 0, 0).
 */
import { readFileSync } from 'node:fs';
import { signMetaBody } from '@flowgate/core';
import type { Api, Bench } from './bench';
import type { Seeded } from './environment';
import {
  E2E_OVERLOAD,
  INTAKE_PATH,
  INTAKE_TARGET_RATIO,
  MAX_SOCKETS,
  READ_SHARE,
  TIMEOUT_MS,
  SEND_PATH,
  findMaxRate,
  niceRate,
  type Plan,
} from './plan';
import { sleep } from './processes';
import type { StepSpec } from './protocol';
import type { IntakeResult, IntakeStepRecord, RateSearch, ReadLifecycle, StepRecord } from './report';
import { round } from './stats';
import type { Stack } from './steps';

/** A template send (free-form text is refused once a number's Meta webhook is connected: §9's 24 h window). */
const TEMPLATE_BODY =
  '{"type":"template","phone":"91__SEQ__","templateName":"order_confirmation","templateLanguage":"en_US","templateVariables":{"1":"Asha","2":"B-__SEQ__","3":"tomorrow"}}';

/** Template sends to `ws` at a fixed rate, with a long timeout (every message must be stored). */
export function templateSpec(bench: Bench, api: Api, ws: Seeded, rate: number, durationMs: number) {
  return {
    ...bench.sendSpec(api.port, ws.headers, rate, durationMs),
    bodyTemplate: TEMPLATE_BODY,
    timeoutMs: 30_000,
  };
}

/** One template send first: a setup problem shows as its error body, not as a failed search. */
export async function checkTemplateSend(api: Api, ws: Seeded): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${api.port}${SEND_PATH}`, {
    method: 'POST',
    headers: ws.headers,
    body: TEMPLATE_BODY.replace(/__SEQ__/g, '9999999997'),
  });
  const body = await res.text();
  if (res.status !== 201) throw new Error(`the template send check answered ${res.status}: ${body}`);
}

interface SentMessage {
  id: string;
  wamid: string;
  recipient: string;
}

/** Meta's status webhook for one message, as the brief gives it (one status per body). */
export function statusWebhook(
  providerPhoneNumberId: string,
  m: SentMessage,
  status: string,
  at: number,
): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '1',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550001234', phone_number_id: providerPhoneNumberId },
              statuses: [
                {
                  id: m.wamid,
                  status,
                  timestamp: String(Math.floor(at / 1000)),
                  recipient_id: m.recipient,
                  biz_opaque_callback_data: m.id,
                },
              ],
            },
          },
        ],
      },
    ],
  });
}

/**
 * Real messages at SENT, each used once: the pool sends more (template sends from the load
 * process, above the send rate with a long timeout) when it runs short, and waits until the
 * dispatcher has taken them to the provider.
 */
class SentPool {
  private readonly used = new Set<string>();
  constructor(
    private readonly bench: Bench,
    private readonly api: Api,
    private readonly ws: Seeded,
    private readonly fillRate: number,
  ) {}

  async take(n: number): Promise<SentMessage[]> {
    for (let attempt = 0; ; attempt += 1) {
      const left = await this.bench.drain(
        this.ws.workspaceId,
        Math.max(60_000, this.bench.plan.drainTimeoutMs),
      );
      if (left > 0) this.bench.notes.push(`intake: ${left} messages were not SENT after the wait`);
      const { rows } = await this.bench.db.raw<{ rows: SentMessage[] }>(
        `SELECT id, provider_message_id AS wamid, recipient FROM messages
          WHERE workspace_id = ? AND status = 'SENT' AND provider_message_id IS NOT NULL ORDER BY created_at`,
        [this.ws.workspaceId],
      );
      const free = rows.filter((r) => !this.used.has(r.id));
      if (free.length >= n) {
        const taken = free.slice(0, n);
        for (const m of taken) this.used.add(m.id);
        return taken;
      }
      if (attempt >= 3)
        throw new Error(`intake: only ${free.length} SENT messages of ${n} after ${attempt} fills`);
      // A few more than missing: a send can time out under overload.
      const missing = Math.ceil((n - free.length) * 1.03) + 5;
      const ms = Math.max(500, Math.ceil((missing / this.fillRate) * 1000));
      await this.bench.step(
        'intake-send',
        this.api.proc,
        templateSpec(this.bench, this.api, this.ws, this.fillRate, ms),
        false,
      );
    }
  }
}

export function countLines(file: string, text: string): number {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.includes(text)).length;
  } catch {
    return 0;
  }
}

/** The last stored Meta webhook's id (the table outlives the runs: it belongs to no workspace). */
async function lastWebhookId(bench: Bench): Promise<string> {
  const { rows } = await bench.db.raw<{ rows: Array<{ id: string | null }> }>(
    'SELECT max(id)::text AS id FROM meta_webhooks',
  );
  return rows[0]?.id ?? '0';
}

/** Meta webhooks stored after `afterId`: how many, processed or not, and their outcomes. */
async function webhookTotals(bench: Bench, afterId: string): Promise<IntakeResult['webhooks']> {
  const { rows } = await bench.db.raw<{
    rows: Array<{ outcome: string | null; processed: boolean; n: number }>;
  }>(
    `SELECT outcome, processed_at IS NOT NULL AS processed, count(*)::int AS n FROM meta_webhooks
      WHERE id > ?::bigint GROUP BY 1, 2`,
    [afterId],
  );
  const outcomes: Record<string, number> = {};
  let stored = 0;
  let processed = 0;
  for (const r of rows) {
    stored += r.n;
    if (r.processed) processed += r.n;
    const key = r.outcome ?? (r.processed ? 'none' : 'unprocessed');
    outcomes[key] = (outcomes[key] ?? 0) + r.n;
  }
  return { stored, processed, unprocessed: stored - processed, outcomes };
}

/**
 * Signed `delivered` then `read` statuses (one per body, each for a real SENT message) at fixed
 * rates from the load process: the API's answer latency per rate, then the wait until every
 * status is applied. The highest rate with p99 ≤ 50 ms, < 0.1 % errors and every status applied.
 */
export async function measureIntake(
  { bench, intakeWs, metaAppSecret }: Stack,
  p: Plan,
  api: Api,
  sendSearch: RateSearch,
): Promise<IntakeResult> {
  console.log(`\nintake: POST ${INTAKE_PATH}, signed delivered + read statuses of SENT messages`);
  await checkTemplateSend(api, intakeWs);
  const firstWebhookId = await lastWebhookId(bench);
  const sendRps = Math.max(100, sendSearch.maxRps);
  const pool = new SentPool(bench, api, intakeWs, niceRate(sendRps * E2E_OVERLOAD));
  const steps: IntakeStepRecord[] = [];

  const once = async (label: string, rate: number, durationMs = p.stepMs): Promise<IntakeStepRecord> => {
    const total = Math.max(2, Math.round((rate * durationMs) / 1000));
    const k = Math.ceil(total / 2);
    const msgs = await pool.take(k);
    const nRead = total - k;
    const now = Date.now();
    const bodies = [
      ...msgs.map((m) => statusWebhook(intakeWs.providerPhoneNumberId, m, 'delivered', now)),
      ...msgs
        .slice(0, nRead)
        .map((m) => statusWebhook(intakeWs.providerPhoneNumberId, m, 'read', now + 1000)),
    ];
    const spec: Omit<StepSpec, 'seqStart'> = {
      url: `http://127.0.0.1:${api.port}${INTAKE_PATH}`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      requests: bodies.map((body) => ({
        body,
        headers: { 'x-hub-signature-256': signMetaBody(body, metaAppSecret) },
      })),
      rate,
      durationMs,
      expectStatus: 200,
      timeoutMs: TIMEOUT_MS,
      maxSockets: MAX_SOCKETS,
    };
    const startedAt = Date.now();
    const http = await bench.step(label, api.proc, spec, false);
    const applied = await waitApplied(bench, msgs, nRead, p.intakeApplyTimeoutMs);
    const ids = msgs.map((m) => m.id);
    const { rows } = await bench.db.raw<{
      rows: Array<{ delivered: number; read: number; last_ms: number | null }>;
    }>(
      `SELECT count(*) FILTER (WHERE status = 'DELIVERED')::int AS delivered,
              count(*) FILTER (WHERE status = 'READ')::int AS read,
              (extract(epoch FROM max(created_at)) * 1000)::float8 AS last_ms
         FROM message_events WHERE message_id = ANY(?::uuid[]) AND status IN ('DELIVERED', 'READ')`,
      [ids],
    );
    const ev = rows[0];
    // The step itself starts after its wait for a quiet machine.
    const stepStart = startedAt + http.quietWaitMs;
    const lastAppliedMs = ev?.last_ms != null ? round(ev.last_ms - stepStart, 0) : undefined;
    const appliedEvents = (ev?.delivered ?? 0) + (ev?.read ?? 0);
    const allApplied = applied === k;
    const record: IntakeStepRecord = {
      ...http,
      httpPass: http.pass,
      pass: http.pass && allApplied,
      messages: k,
      posted: { delivered: k, read: nRead },
      applied,
      events: { delivered: ev?.delivered ?? 0, read: ev?.read ?? 0 },
      allApplied,
      lastAppliedMs,
      appliedPerSec:
        lastAppliedMs && lastAppliedMs > 0 ? round((appliedEvents / lastAppliedMs) * 1000, 1) : 0,
    };
    console.log(
      `    applied ${applied}/${k} messages (events: ${record.events.delivered} delivered, ${record.events.read} read), last ${lastAppliedMs ?? '-'} ms after the start: ${record.appliedPerSec} statuses/s${record.pass ? '' : ' → fail'}`,
    );
    if (label !== 'warmup') steps.push(record);
    return record;
  };

  // Like Bench.step, a failed rate is run once more, with fresh messages (a repeat of the same
  // bodies would be duplicates, which change nothing).
  const step = async (rate: number): Promise<StepRecord> => {
    const first = await once('intake', rate);
    if (first.pass) return first;
    if (bench.spareS() < 2 * (p.stepMs / 1000 + 1) + p.intakeApplyTimeoutMs / 1000) {
      bench.notes.push(`intake at ${rate}/s failed; no time to repeat it`);
      return first;
    }
    bench.notes.push(
      `intake at ${rate}/s failed${first.allApplied ? '' : ` (${first.applied}/${first.messages} applied)`}; repeated`,
    );
    await sleep(1000);
    return once('intake*', rate);
  };

  // The send steps never ran the intake's code (nor opened the API's connection for Meta's broker
  // hop): a warm-up at a modest rate first, as for the send path.
  await once('warmup', p.apiWarmup.rps, Math.min(p.apiWarmup.ms, 2_000));
  const search = await findMaxRate(
    { ...p.intake, start: sendRps * INTAKE_TARGET_RATIO, maxRate: sendRps * INTAKE_TARGET_RATIO * 3 },
    step,
  );
  const best = search.best as IntakeStepRecord | undefined;
  const eventsPerSec = best?.rate ?? 0;
  const ratioToSend = sendSearch.maxRps > 0 ? round(eventsPerSec / sendSearch.maxRps, 2) : 0;
  const webhooks = await webhookTotals(bench, firstWebhookId);
  const handOffFailures = countLines(api.proc.logFile, 'hand-off to the broker failed');
  if (handOffFailures > 0)
    bench.notes.push(
      `intake: the API logged ${handOffFailures} "meta webhook stored, hand-off to the broker failed" (the stored webhooks wait for the workers' republish sweep)`,
    );
  if (webhooks.unprocessed > 0)
    bench.notes.push(`intake: ${webhooks.unprocessed} stored Meta webhooks were never processed`);
  return {
    eventsPerSec,
    p50Ms: best?.latencyMs.p50 ?? 0,
    p99Ms: best?.latencyMs.p99 ?? 0,
    ratioToSend,
    targetRatio: INTAKE_TARGET_RATIO,
    meetsTarget: ratioToSend >= INTAKE_TARGET_RATIO,
    appliedPerSec: best?.appliedPerSec ?? 0,
    webhooks,
    steps,
  };
}

/** Waits until every message is at the status its last posted status asks for; returns how many are. */
async function waitApplied(
  bench: Bench,
  msgs: SentMessage[],
  nRead: number,
  timeoutMs: number,
): Promise<number> {
  const readIds = msgs.slice(0, nRead).map((m) => m.id);
  const deliveredIds = msgs.slice(nRead).map((m) => m.id);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await bench.db.raw<{ rows: Array<{ n: number }> }>(
      `SELECT ((SELECT count(*) FROM messages WHERE id = ANY(?::uuid[]) AND status = 'READ')
             + (SELECT count(*) FROM messages WHERE id = ANY(?::uuid[]) AND status = 'DELIVERED'))::int AS n`,
      [readIds, deliveredIds],
    );
    const n = rows[0]?.n ?? 0;
    if (n === msgs.length || Date.now() > deadline) return n;
    await sleep(200);
  }
}

/**
 * Accept → READ: the sandbox is restarted with its webhook pointed at the intake (delays 0, 0, 0),
 * template sends go to a workspace of their own at half the send rate, and each message's time
 * from its creation to its READ event is read from the database. The sandbox is then restarted
 * without a webhook, so that later steps are measured as before.
 */
export async function measureRead(
  stack: Stack,
  p: Plan,
  api: Api,
  sendSearch: RateSearch,
): Promise<ReadLifecycle> {
  const { bench, readWs } = stack;
  const rate = niceRate(Math.max(50, sendSearch.maxRps * READ_SHARE));
  console.log(`\nend to end: accept → READ, the sandbox posting sent/delivered/read at once, ${rate} rps`);
  await bench.drain(stack.intakeWs.workspaceId, p.drainTimeoutMs);
  const webhookUrl = `http://127.0.0.1:${api.port}${INTAKE_PATH}`;
  await stack.restartSandbox('sandbox-webhook', {
    SANDBOX_WEBHOOK_URL: webhookUrl,
    META_APP_SECRET: stack.metaAppSecret,
    SANDBOX_STATUS_DELAYS_MS: '0,0,0',
  });
  let sandboxWebhooks: Record<string, number> | undefined;
  const source: ReadLifecycle['source'] = 'sandbox';
  try {
    const described = (await (await fetch(`${stack.sandboxUrl}/_sandbox/webhooks`)).json()) as Record<
      string,
      unknown
    >;
    if (!JSON.stringify(described).includes(webhookUrl))
      bench.notes.push(`accept → READ: the sandbox did not take its webhook (${JSON.stringify(described)})`);
    await checkTemplateSend(api, readWs);
    const http = await bench.step(
      'e2e-read',
      api.proc,
      templateSpec(bench, api, readWs, rate, p.e2eSeconds * 1000),
      false,
    );
    const t0 = Date.now();
    const deadline = t0 + Math.max(30_000, p.drainTimeoutMs);
    for (;;) {
      const { rows } = await bench.db.raw<{ rows: Array<{ n: number }> }>(
        `SELECT count(*)::int AS n FROM messages WHERE workspace_id = ? AND status NOT IN ('READ', 'FAILED')`,
        [readWs.workspaceId],
      );
      if ((rows[0]?.n ?? 0) === 0 || Date.now() > deadline) break;
      await sleep(200);
    }
    const waitS = round((Date.now() - t0) / 1000, 1);
    try {
      const w = (await (await fetch(`${stack.sandboxUrl}/_sandbox/webhooks`)).json()) as {
        stats?: Record<string, number>;
      };
      sandboxWebhooks = w.stats;
    } catch {
      // the totals are a detail
    }
    const { rows } = await bench.db.raw<{
      rows: Array<{
        accepted: number;
        read: number;
        p50: number | null;
        p99: number | null;
        max: number | null;
      }>;
    }>(
      `WITH m AS (SELECT id, status, created_at FROM messages WHERE workspace_id = ?),
            r AS (SELECT ev.message_id, min(ev.created_at) AS read_at, min(m.created_at) AS accepted_at
                    FROM m JOIN message_events ev ON ev.message_id = m.id AND ev.status = 'READ'
                   GROUP BY ev.message_id),
            l AS (SELECT extract(epoch FROM read_at - accepted_at) * 1000 AS ms FROM r)
       SELECT (SELECT count(*) FROM m)::int AS accepted,
              (SELECT count(*) FROM m WHERE status = 'READ')::int AS read,
              (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM l)::float8 AS p50,
              (SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) FROM l)::float8 AS p99,
              (SELECT max(ms) FROM l)::float8 AS max`,
      [readWs.workspaceId],
    );
    const r = rows[0];
    if (!r) throw new Error('accept → READ query returned no row');
    const result: ReadLifecycle = {
      source,
      offeredRps: rate,
      accepted: r.accepted,
      read: r.read,
      notRead: r.accepted - r.read,
      p50Ms: round(r.p50 ?? 0, 1),
      p99Ms: round(r.p99 ?? 0, 1),
      maxMs: round(r.max ?? 0, 1),
      waitS,
      ...(sandboxWebhooks ? { sandboxWebhooks } : {}),
      http,
    };
    if (result.notRead > 0)
      bench.notes.push(`accept → READ: ${result.notRead} of ${result.accepted} messages did not reach READ`);
    console.log(
      `  ${result.read}/${result.accepted} READ; accept→READ p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, max ${result.maxMs} ms; sandbox webhooks ${JSON.stringify(sandboxWebhooks ?? {})}`,
    );
    return result;
  } finally {
    await stack.restartSandbox('sandbox-2', {});
  }
}
