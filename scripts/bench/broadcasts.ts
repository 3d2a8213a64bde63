/**
 * Broadcasts (docs/contracts.md §11, ADR 0041): `broadcast.acceptMs`, the time `POST /broadcasts`
 * takes to check and store 10,000 recipients (median of three), and `broadcast.drainPerSec`, the
 * rate one of them reaches the provider with its number's rate at 1,000/s (broadcast started →
 * completed, every recipient SENT).
 */
import type { Api } from './bench';
import { benchHasher, seedWorkspace } from './environment';
import { sleep } from './processes';
import { percentile, round } from './stats';
import type { Stack } from './steps';

export interface BroadcastBenchResult {
  recipients: number;
  /** Median of the creates (each checks and stores every recipient before its 201). */
  acceptMs: number;
  acceptRunsMs: number[];
  /** The sending number's rate during the drain. */
  numberRate: number;
  /** Recipients SENT per second, broadcast started → completed. */
  drainPerSec: number;
  drainS: number;
  sent: number;
  failed: number;
}

const RECIPIENTS = 10_000;
const NUMBER_RATE = 1000;

async function create(
  api: Api,
  headers: Record<string, string>,
  body: object,
): Promise<{ id: string; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(`http://127.0.0.1:${api.port}/api/v1/public/broadcasts`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  });
  const ms = performance.now() - t0;
  const text = await res.text();
  if (res.status !== 201) throw new Error(`POST /broadcasts answered ${res.status}: ${text.slice(0, 300)}`);
  return { id: (JSON.parse(text) as { data: { id: string } }).data.id, ms };
}

export async function measureBroadcasts(
  stack: Stack,
  api: Api,
  drainTimeoutMs: number,
): Promise<BroadcastBenchResult> {
  const { bench } = stack;
  console.log(`\nbroadcasts: ${RECIPIENTS} recipients, the number at ${NUMBER_RATE}/s`);
  const secret = stack.env['FLOWGATE_SECRET_KEY'] ?? '';
  const ws = await seedWorkspace(bench.db, Buffer.from(secret, 'base64'), 'broadcast', benchHasher());
  await bench
    .db('phone_numbers')
    .where({ id: ws.phoneNumberId })
    .update({ messages_per_second: NUMBER_RATE });
  const recipients = (offset: number) =>
    Array.from({ length: RECIPIENTS }, (_, i) => ({
      phone: `49${String(offset + i).padStart(10, '0')}`,
      templateVariables: { '1': `Customer ${i}`, '2': `#${i}`, '3': 'tomorrow' },
    }));
  const base = { templateName: 'order_confirmation', templateLanguage: 'en_US' };
  // Two scheduled (then cancelled) for the accept time alone, one that sends.
  const runs: number[] = [];
  for (const k of [1, 2]) {
    const b = await create(api, ws.headers, {
      ...base,
      name: `bench accept ${k}`,
      scheduledAt: new Date(Date.now() + 3600_000).toISOString(),
      recipients: recipients(k * 1_000_000),
    });
    runs.push(b.ms);
    await fetch(`http://127.0.0.1:${api.port}/api/v1/public/broadcasts/${b.id}/cancel`, {
      method: 'POST',
      headers: ws.headers,
    });
  }
  await sleep(1500); // the dispatcher reads the number's new rate once a second
  const sending = await create(api, ws.headers, { ...base, name: 'bench drain', recipients: recipients(0) });
  runs.push(sending.ms);
  const timeoutMs = Math.max(60_000, drainTimeoutMs);
  const deadline = Date.now() + timeoutMs;
  let row: { started_at: Date | null; completed_at: Date | null } | undefined;
  for (;;) {
    row = await bench
      .db('broadcasts')
      .select<{ started_at: Date | null; completed_at: Date | null }>('started_at', 'completed_at')
      .where({ id: sending.id })
      .first();
    if (row?.completed_at || Date.now() > deadline) break;
    await sleep(250);
  }
  const counts = await bench
    .db('messages')
    .select<Array<{ status: string; n: number }>>('status', bench.db.raw('count(*)::int AS n'))
    .where({ broadcast_id: sending.id })
    .groupBy('status');
  const n = (s: string): number => counts.find((c) => c.status === s)?.n ?? 0;
  const drainS =
    row?.started_at && row.completed_at
      ? (new Date(row.completed_at).getTime() - new Date(row.started_at).getTime()) / 1000
      : NaN;
  if (!row?.completed_at)
    bench.notes.push(`broadcast: not completed within ${Math.round(timeoutMs / 1000)} s`);
  const result: BroadcastBenchResult = {
    recipients: RECIPIENTS,
    acceptMs: round(
      percentile(
        [...runs].sort((a, b) => a - b),
        0.5,
      ),
      0,
    ),
    acceptRunsMs: runs.map((r) => round(r, 0)),
    numberRate: NUMBER_RATE,
    drainPerSec: Number.isFinite(drainS) ? round(n('SENT') / drainS, 0) : 0,
    drainS: round(drainS, 1),
    sent: n('SENT'),
    failed: n('FAILED'),
  };
  console.log(
    `  accept ${result.acceptMs} ms (runs ${result.acceptRunsMs.join(', ')}); drain ${result.drainPerSec}/s over ${result.drainS} s, ${result.sent} sent, ${result.failed} failed`,
  );
  return result;
}
