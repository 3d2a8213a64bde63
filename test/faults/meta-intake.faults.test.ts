/**
 * Meta's webhooks in under faults (docs/contracts.md §9): 2,000 template messages are sent and
 * SENT, then Meta (simulated: anything but a 200 is posted again) posts 5,000 statuses for them
 * (delivered and read, in any order, with duplicates) while PostgreSQL restarts once and RabbitMQ
 * stops and starts once. Every status must be applied once, at Meta's time, forward only.
 */
import { addTemplate, ORDER_CONFIRMATION, sleep } from '@flowgate/testing';
import { rabbitStartApp, rabbitStopApp, startPostgres, stopPostgres } from './support/instances';
import { percentile, startLoad } from './support/load';
import { formatAnswers, META_ENV, messagesChange, retrying, startMetaSender } from './support/meta';
import { recordResult } from './support/report';
import { startFaultStack } from './support/stack';

const MESSAGES = 2000;
const POSTS = 5000;
const POST_RATE = 100;
const SEND_RATE = 200;

type Kind = 'both' | 'read' | 'delivered';
interface Planned {
  messageIndex: number;
  status: 'delivered' | 'read';
  /** Meta's time, Unix seconds. */
  ts: number;
}

function kindOf(i: number): Kind {
  const k = i % 10;
  return k < 6 ? 'both' : k < 8 ? 'read' : 'delivered';
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

describe("fault: Meta's webhooks in while PostgreSQL restarts and RabbitMQ stops", () => {
  it('when Meta posts 5,000 statuses (duplicates included, retrying anything but 200) through a PostgreSQL restart and a broker stop, then every status is applied once, at Meta’s time, forward only', async () => {
    const stack = await startFaultStack({
      ...META_ENV,
      PARTNER_RATE_LIMIT_PER_SECOND: '1000',
      PARTNER_RATE_LIMIT_BURST: '2000',
    });
    try {
      const partner = await stack.partner();
      await addTemplate(stack.db, partner.workspaceId, ORDER_CONFIRMATION);
      for (const api of stack.apis) {
        const res = await fetch(`${api.url}/api/v1/public/templates`, { headers: partner.headers });
        if (res.status !== 200) throw new Error(`warm-up failed on ${api.name}: ${res.status}`);
      }

      // 1. 2,000 template messages, all SENT (with their wamids) before Meta says anything.
      const phoneOf = (i: number): string => `447701${String(i).padStart(6, '0')}`;
      const sends = await startLoad({
        targets: () => stack.apis.map((a) => a.url),
        total: MESSAGES,
        ratePerSec: SEND_RATE,
        headers: partner.headers,
        keyPrefix: `meta-intake-${Date.now().toString(36)}`,
        body: (i) => ({
          type: 'template',
          phone: `+${phoneOf(i)}`,
          templateName: 'order_confirmation',
          templateVariables: { '1': 'A', '2': `order ${i}`, '3': 'today' },
        }),
      }).done;
      const ids = sends.outcomes.map((o) => o.id);
      expect(ids.filter((id) => id === undefined)).toHaveLength(0);
      const deadlineSent = Date.now() + 90_000;
      let rows: Array<{ id: string; status: string; provider_message_id: string | null }> = [];
      for (;;) {
        rows = await stack
          .db('messages')
          .where('workspace_id', partner.workspaceId)
          .select('id', 'status', 'provider_message_id');
        if (rows.filter((r) => r.status === 'SENT').length === MESSAGES || Date.now() > deadlineSent) break;
        await sleep(250);
      }
      expect(rows.filter((r) => r.status === 'SENT')).toHaveLength(MESSAGES);
      const byId = new Map(rows.map((r) => [r.id, r]));
      const messages = ids.map((id, i) => {
        const row = byId.get(id ?? '');
        if (row?.provider_message_id == null) throw new Error(`message ${i} has no wamid`);
        return { id: row.id, wamid: row.provider_message_id, phone: phoneOf(i) };
      });

      // 2. The statuses Meta will post: delivered and read (60 %), read only (20 %), delivered
      // only (20 %); 1,800 of them twice or more; in random order (a read often before its delivered).
      const base = Math.floor(Date.now() / 1000) + 60;
      const distinct: Planned[] = [];
      for (let i = 0; i < MESSAGES; i += 1) {
        const delivered = base + (i % 97);
        const kind = kindOf(i);
        if (kind !== 'read') distinct.push({ messageIndex: i, status: 'delivered', ts: delivered });
        if (kind !== 'delivered') distinct.push({ messageIndex: i, status: 'read', ts: delivered + 3 });
      }
      const planned = [...distinct];
      while (planned.length < POSTS) {
        const pick = distinct[Math.floor(Math.random() * distinct.length)];
        if (pick !== undefined) planned.push(pick);
      }
      shuffle(planned);
      const duplicatePosts = POSTS - distinct.length;

      // 3. Meta posts them, one status per body; a third of the messages are matched by wamid alone.
      const t0 = new Date(Date.now() - 1000);
      const sender = startMetaSender({
        targets: () => stack.apis.map((a) => a.url),
        total: POSTS,
        ratePerSec: POST_RATE,
        body: (n) => {
          const p = planned[n] as Planned;
          const m = messages[p.messageIndex] as (typeof messages)[number];
          return messagesChange(partner.providerPhoneNumberId, {
            statuses: [
              {
                id: m.wamid,
                status: p.status,
                timestamp: String(p.ts),
                recipient_id: m.phone,
                ...(p.messageIndex % 3 === 0 ? {} : { biz_opaque_callback_data: m.id }),
              },
            ],
          });
        },
      });
      const elapsed = (): string => `${((Date.now() - sender.startedAt) / 1000).toFixed(1)} s`;
      const at = async (ms: number): Promise<void> => {
        const wait = sender.startedAt + ms - Date.now();
        if (wait > 0) await sleep(wait);
      };
      const faults: string[] = [];
      await at(10_000);
      {
        const issuedAt = elapsed();
        await stopPostgres(stack.state.postgres);
        const stoppedAt = elapsed();
        await sleep(5000);
        const startingAt = elapsed();
        await startPostgres(stack.state.postgres);
        faults.push(
          `pg_ctl stop -m fast at ${issuedAt} (down ${stoppedAt}), start ${startingAt}, up ${elapsed()}`,
        );
      }
      await at(27_000);
      {
        const issuedAt = elapsed();
        await rabbitStopApp(stack.state.rabbit);
        const stoppedAt = elapsed();
        await sleep(8000);
        const startingAt = elapsed();
        await rabbitStartApp(stack.state.rabbit);
        faults.push(
          `rabbit stop_app at ${issuedAt} (down ${stoppedAt}), start_app ${startingAt}, up ${elapsed()}`,
        );
      }
      const sent = await sender.done;
      const postedSeconds = (sent.lastOkAt - sent.startedAt) / 1000;
      const retries = sent.outcomes.reduce((n, o) => n + o.attempts - 1, 0);
      const notOk = sent.outcomes.filter((o) => !o.ok).length;

      // 4. Drain: every message in the status its statuses dictate, nothing left to process.
      const expected = messages.map((_, i) => (kindOf(i) === 'delivered' ? 'DELIVERED' : 'READ'));
      const messageIds = messages.map((m) => m.id);
      const wamids = messages.map((m) => m.wamid);
      const drainDeadline = Date.now() + 120_000;
      let wrong: string[] = [];
      let unprocessed = 0;
      let pending = 0;
      let finalAt = Date.now();
      for (;;) {
        const now = await retrying(() =>
          stack
            .db('messages')
            .where('workspace_id', partner.workspaceId)
            .select<Array<{ id: string; status: string }>>('id', 'status'),
        );
        const statusOf = new Map(now.map((r) => [r.id, r.status]));
        wrong = messages
          .map((m, i) =>
            statusOf.get(m.id) === expected[i]
              ? ''
              : `${m.id} ${statusOf.get(m.id) ?? '?'}≠${expected[i] ?? ''}`,
          )
          .filter((s) => s !== '');
        unprocessed = Number(
          (
            await retrying(() =>
              stack
                .db('meta_webhooks')
                .where('received_at', '>=', t0)
                .whereNull('processed_at')
                .count<Array<{ count: string }>>({ count: '*' }),
            )
          )[0]?.count ?? 0,
        );
        pending = Number(
          (
            await retrying(() =>
              stack
                .db('meta_pending_statuses')
                .where((q) => {
                  void q.whereIn('message_id', messageIds).orWhereIn('wamid', wamids);
                })
                .count<Array<{ count: string }>>({ count: '*' }),
            )
          )[0]?.count ?? 0,
        );
        finalAt = Date.now();
        if ((wrong.length === 0 && unprocessed === 0 && pending === 0) || finalAt > drainDeadline) break;
        await sleep(500);
      }
      // Late duplicates (redeliveries, republished bodies) get their chance to do harm.
      await sleep(3000);

      // 5. The history: each DELIVERED / READ at most once per message, at Meta's time.
      const events = await retrying(() =>
        stack
          .db('message_events as e')
          .join('messages as m', 'm.id', 'e.message_id')
          .where('m.workspace_id', partner.workspaceId)
          .whereIn('e.status', ['DELIVERED', 'READ'])
          .select<Array<{ message_id: string; status: string; occurred_at: Date | null }>>(
            'e.message_id',
            'e.status',
            'e.occurred_at',
          ),
      );
      const perPair = new Map<string, Array<Date | null>>();
      for (const e of events) {
        const key = `${e.message_id} ${e.status}`;
        perPair.set(key, [...(perPair.get(key) ?? []), e.occurred_at]);
      }
      const appliedTwice = [...perPair.entries()]
        .filter(([, v]) => v.length > 1)
        .map(([k, v]) => `${k} ×${v.length}`);
      const missing: string[] = [];
      // Messages with both statuses whose delivered was applied before their read (the rest: read first).
      const bothDelivered = messages.filter(
        (m, i) => kindOf(i) === 'both' && perPair.has(`${m.id} DELIVERED`),
      ).length;
      const wrongTime: string[] = [];
      const tsOf = new Map(distinct.map((p) => [`${p.messageIndex} ${p.status}`, p.ts]));
      messages.forEach((m, i) => {
        const kind = kindOf(i);
        const check = (status: 'DELIVERED' | 'READ', required: boolean): void => {
          const at = perPair.get(`${m.id} ${status}`);
          if (at === undefined) {
            if (required) missing.push(`${m.id} ${status}`);
            return;
          }
          const ts = tsOf.get(`${i} ${status.toLowerCase()}`);
          if (ts === undefined) wrongTime.push(`${m.id} ${status}: never posted`);
          else if (at[0]?.getTime() !== ts * 1000)
            wrongTime.push(
              `${m.id} ${status}: ${at[0]?.toISOString() ?? 'null'} ≠ ${new Date(ts * 1000).toISOString()}`,
            );
        };
        // A read applied first makes a later delivered change nothing: only its read is required.
        check('DELIVERED', kind === 'delivered');
        check('READ', kind !== 'delivered');
      });

      const unprocessedNow = await retrying(() =>
        stack
          .db('meta_webhooks')
          .where('received_at', '>=', t0)
          .whereNull('processed_at')
          .select<Array<{ id: string; received_at: Date }>>('id', 'received_at'),
      );
      const stored = Number(
        (
          await retrying(() =>
            stack
              .db('meta_webhooks')
              .where('received_at', '>=', t0)
              .count<Array<{ count: string }>>({ count: '*' }),
          )
        )[0]?.count ?? 0,
      );
      const latencies = sent.outcomes.filter((o) => o.ok).map((o) => o.doneAt - o.dueAt);
      const line = `meta-intake: posted ${POSTS} statuses (${distinct.length} distinct, ${duplicatePosts} duplicates) for ${MESSAGES} messages in ${postedSeconds.toFixed(1)} s at ${POST_RATE}/s; sender retries ${retries} (${formatAnswers(sent.answers)}); given up ${notOk}; bodies stored ${stored}; drained ${((finalAt - sent.lastOkAt) / 1000).toFixed(1)} s after the last 200; wrong status ${wrong.length}, missing ${missing.length}, applied twice ${appliedTwice.length}, wrong time ${wrongTime.length}, delivered+read messages whose read came first ${messages.filter((_, i) => kindOf(i) === 'both').length - bothDelivered}, unprocessed ${unprocessedNow.length}, pending ${pending}; faults: ${faults.join('; ')}`;
      process.stdout.write(`\n${line}\n`);
      recordResult(stack.state.dir, {
        scenario: 'meta-intake',
        fault: faults.join('; '),
        sent: POSTS,
        accepted: POSTS - notOk,
        rejected: 0,
        gaveUp: notOk,
        retries,
        offeredPerSec: POST_RATE,
        loadSeconds: postedSeconds,
        acceptP50Ms: percentile(latencies, 50),
        acceptP99Ms: percentile(latencies, 99),
        acceptMaxMs: percentile(latencies, 100),
        lost: wrong.length + missing.length,
        clientDuplicates: appliedTwice.length,
        providerDuplicates: 0,
        providerDuplicateBound: 0,
        statusSent: messages.length - wrong.length,
        statusFailed: 0,
        drainMs: Math.max(0, finalAt - sent.lastOkAt),
        notes: [
          'columns for this row: sent = status posts, accepted = posts answered 200, lost = messages not in their expected status + statuses never applied, client dup = (message, status) applied twice, SENT = messages in their expected status',
          line,
        ],
      });

      expect(notOk).toBe(0);
      expect(wrong.slice(0, 20)).toEqual([]);
      expect(missing.slice(0, 20)).toEqual([]);
      expect(appliedTwice.slice(0, 20)).toEqual([]);
      expect(wrongTime.slice(0, 20)).toEqual([]);
      expect(unprocessedNow.slice(0, 20)).toEqual([]);
      expect(pending).toBe(0);
    } finally {
      await stack.close('meta-intake');
    }
  }, 420_000);
});
