/**
 * The property test of Meta's status webhooks (docs/contracts.md §9): 2,500 messages through the
 * stack with two workers, then 10,000 statuses (random kinds and Meta times, ~10% exact
 * duplicates, some arriving before our own SENT write) posted shuffled, one per signed body, to
 * two API processes at once, retried like Meta retries. Whatever the order, every message ends in
 * the status its events dictate, no status is applied twice, and every applied event carries one
 * of the Meta times posted for it.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { signMetaBody } from '@flowgate/core';
import {
  addTemplate,
  freePort,
  ORDER_CONFIRMATION,
  pool,
  startProcess,
  startStack,
  waitForHttp,
  type ServiceProcess,
  type Stack,
} from '@flowgate/testing';

jest.setTimeout(600_000);

const APP_SECRET = 'meta-app-secret-property-0123456789abcdef';
const VERIFY_TOKEN = 'verify-token-property';
const INTAKE = '/api/v1/webhooks/meta';
const RUN = `prop-${randomUUID()}`;
const MESSAGES = 2500;
const EARLY = 200;
const FRESH_STATUSES = 9000;
const DUPLICATES = 1000;

type Kind = 'sent' | 'delivered' | 'read' | 'failed';
const TARGET: Record<Kind, string> = { sent: 'SENT', delivered: 'DELIVERED', read: 'READ', failed: 'FAILED' };
const RANK: Record<string, number> = { SENT: 1, DELIVERED: 2, READ: 3, FAILED: 3 };

interface Posted {
  messageId: string;
  kind: Kind;
  ts: number;
  body: string;
}

const log = (msg: string): void => {
  console.log(msg);
};

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)] as T;
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

describe("Meta's statuses, in any order, twice, early, to two APIs (docs/contracts.md §9)", () => {
  let s: Stack;
  let api2: ServiceProcess;
  let server: http.Server;
  const urls: string[] = [];
  let providerId = '';

  beforeAll(async () => {
    const t0 = Date.now();
    s = await startStack(
      { META_APP_SECRET: APP_SECRET, META_WEBHOOK_VERIFY_TOKEN: VERIFY_TOKEN, DISPATCH_PAIR_BURST: '1000' },
      2,
    );
    server = http.createServer(s.api.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}${INTAKE}`);
    const port = await freePort();
    api2 = startProcess('services/public-api/src/main.ts', {
      ...s.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    });
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, api2, 60_000);
    urls.push(`http://127.0.0.1:${port}${INTAKE}`);
    log(`stack with 2 dispatchers and 2 APIs up in ${Date.now() - t0} ms`);
  });
  afterAll(async () => {
    await api2?.stop();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await s?.close();
  });

  it('every message ends where its statuses say; nothing applied twice; Meta’s times kept', async () => {
    const p = await s.partner();
    const numberId = p.phoneNumberIds[0] as string;
    const row = await s
      .db('phone_numbers')
      .where({ id: numberId })
      .first<{ provider_phone_number_id: string }>();
    if (!row) throw new Error('no number');
    providerId = row.provider_phone_number_id;
    await addTemplate(s.db, p.workspaceId, ORDER_CONFIRMATION);
    await s.setRate(numberId, 1000);

    const baseTs = Math.floor(Date.now() / 1000) - 7200;
    const statusBody = (messageId: string, wamid: string, kind: Kind, ts: number, withOpaque: boolean) =>
      JSON.stringify({
        object: 'whatsapp_business_account',
        run: RUN,
        entry: [
          {
            id: '102290129340398',
            changes: [
              {
                field: 'messages',
                value: {
                  messaging_product: 'whatsapp',
                  metadata: { display_phone_number: '15550001234', phone_number_id: providerId },
                  statuses: [
                    {
                      id: wamid,
                      status: kind,
                      timestamp: String(ts),
                      recipient_id: '917000000000',
                      ...(withOpaque ? { biz_opaque_callback_data: messageId } : {}),
                      ...(kind === 'failed'
                        ? { errors: [{ code: 131026, title: 'Message undeliverable' }] }
                        : {}),
                      ...(kind !== 'failed'
                        ? {
                            pricing: {
                              billable: true,
                              pricing_model: 'PMP',
                              category: 'utility',
                              type: 'regular',
                            },
                          }
                        : {}),
                    },
                  ],
                },
              },
            ],
          },
        ],
      });

    let posts = 0;
    let retries = 0;
    const postStatus = async (body: string, i: number): Promise<void> => {
      const headers = {
        'content-type': 'application/json',
        'x-hub-signature-256': signMetaBody(body, APP_SECRET),
      };
      for (let attempt = 0; ; attempt += 1) {
        const url = urls[(i + attempt) % urls.length] as string;
        let status = 0;
        try {
          const res = await fetch(url, { method: 'POST', headers, body });
          status = res.status;
          await res.text();
        } catch {
          status = 0;
        }
        posts += 1;
        if (status === 200) return;
        if (status >= 400 && status < 500) throw new Error(`intake refused a signed status: ${status}`);
        retries += 1;
        if (attempt > 30) throw new Error(`gave up after ${attempt} attempts (${status})`);
        await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** attempt)));
      }
    };

    // Statuses per message: at least one each, the rest at random; then ~10% exact duplicates.
    const kindsOf = (): Kind => {
      const r = Math.random();
      return r < 0.2 ? 'sent' : r < 0.55 ? 'delivered' : r < 0.88 ? 'read' : 'failed';
    };
    const countOf = new Array<number>(MESSAGES).fill(1);
    for (let k = MESSAGES; k < FRESH_STATUSES; k += 1) {
      const j = Math.floor(Math.random() * MESSAGES);
      countOf[j] = (countOf[j] ?? 0) + 1;
    }

    // 1. The 2,300 ordinary messages: sent and waited SENT.
    const t1 = Date.now();
    const recipient = (i: number) =>
      `9170${String(Math.floor(Math.random() * 1e4)).padStart(4, '0')}${String(i).padStart(4, '0')}`;
    const send = (i: number) =>
      s.send(p.headers, {
        type: 'template',
        phone: recipient(i),
        templateName: 'order_confirmation',
        templateVariables: { '1': 'a', '2': 'b', '3': 'c' },
      });
    const ordinary = await pool(
      Array.from({ length: MESSAGES - EARLY }, (_, i) => i),
      16,
      (i) => send(i),
    );
    log(`${ordinary.length} messages accepted in ${Date.now() - t1} ms`);

    // 2. The 200 early ones: each sent, and its statuses posted at once, by our id and a made-up wamid.
    const posted: Posted[] = [];
    let earlyDuplicates = 0;
    const t2 = Date.now();
    const early = await pool(
      Array.from({ length: EARLY }, (_, i) => MESSAGES - EARLY + i),
      8,
      async (i) => {
        const id = await send(i);
        const fakeWamid = `wamid.early.${randomUUID()}`;
        const mine: Posted[] = Array.from({ length: countOf[i] as number }, () => {
          const kind = kindsOf();
          const ts = baseTs + Math.floor(Math.random() * 3600);
          return { messageId: id, kind, ts, body: statusBody(id, fakeWamid, kind, ts, true) };
        });
        if (Math.random() < 0.1 && mine[0]) {
          mine.push({ ...mine[0] });
          earlyDuplicates += 1;
        }
        posted.push(...mine);
        await pool(mine, 4, (m, k) => postStatus(m.body, i + k));
        return id;
      },
    );
    log(`${EARLY} early messages sent with ${posted.length} statuses posted in ${Date.now() - t2} ms`);

    const t3 = Date.now();
    const final = await s.waitForFinal(ordinary, 180_000);
    const notSent = ordinary.filter((id) => final.get(id)?.status !== 'SENT');
    log(`${ordinary.length} messages SENT in ${Date.now() - t3} ms`);
    expect(notSent).toEqual([]);

    // 3. 10,000 statuses in all: the rest generated for the ordinary messages, 10% duplicates, shuffled.
    const fresh: Posted[] = [];
    ordinary.forEach((id, i) => {
      const wamid = final.get(id)?.provider_message_id as string;
      for (let k = 0; k < (countOf[i] as number); k += 1) {
        const kind = kindsOf();
        const ts = baseTs + Math.floor(Math.random() * 3600);
        fresh.push({ messageId: id, kind, ts, body: statusBody(id, wamid, kind, ts, Math.random() < 0.7) });
      }
    });
    const dups = Array.from({ length: DUPLICATES - earlyDuplicates }, () => ({ ...pick(fresh) }));
    const batch = shuffle([...fresh, ...dups]);
    posted.push(...batch);
    log(`posting ${batch.length} statuses (${posted.length} in all) to 2 APIs, 32 at a time`);
    const t4 = Date.now();
    await pool(batch, 32, (m, i) => postStatus(m.body, i));
    log(`${batch.length} statuses posted in ${Date.now() - t4} ms (${posts} posts, ${retries} retried)`);
    expect(posted.length).toBeGreaterThanOrEqual(9900);

    // 4. Wait for the workers: nothing of this run unprocessed, nothing pending for these messages.
    const all = [...ordinary, ...early];
    const t5 = Date.now();
    let left = { unprocessed: -1, pending: -1 };
    for (;;) {
      const u = await s.db.raw<{ rows: Array<{ n: string }> }>(
        `SELECT count(*) AS n FROM meta_webhooks WHERE processed_at IS NULL AND position(convert_to(?, 'UTF8') in body) > 0`,
        [RUN],
      );
      const pnd = await s.db.raw<{ rows: Array<{ n: string }> }>(
        'SELECT count(*) AS n FROM meta_pending_statuses WHERE message_id = ANY(?::uuid[])',
        [all],
      );
      left = { unprocessed: Number(u.rows[0]?.n), pending: Number(pnd.rows[0]?.n) };
      if ((left.unprocessed === 0 && left.pending === 0) || Date.now() - t5 > 300_000) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    log(`workers done in ${Date.now() - t5} ms`);
    expect(left).toEqual({ unprocessed: 0, pending: 0 });
    const outcomes = await s.db.raw<{ rows: Array<{ outcome: string; n: string }> }>(
      `SELECT outcome, count(*) AS n FROM meta_webhooks WHERE position(convert_to(?, 'UTF8') in body) > 0 GROUP BY outcome`,
      [RUN],
    );
    log(`outcomes: ${JSON.stringify(outcomes.rows)}`);
    for (const o of outcomes.rows) expect(o.outcome).toBe('processed');

    // 5. The invariants, message by message.
    const messages = new Map<string, { status: string }>();
    const events = new Map<string, Array<{ id: string; status: string; occurred_at: Date }>>();
    for (let k = 0; k < all.length; k += 500) {
      const chunk = all.slice(k, k + 500);
      const rows = await s
        .db('messages')
        .select<Array<{ id: string; status: string }>>('id', 'status')
        .whereIn('id', chunk);
      for (const m of rows) messages.set(m.id, m);
      const evRows = await s
        .db('message_events')
        .select<Array<{ id: string; message_id: string; status: string; occurred_at: Date }>>(
          'id',
          'message_id',
          'status',
          'occurred_at',
        )
        .whereIn('message_id', chunk)
        .orderBy('id');
      for (const e of evRows) {
        const list = events.get(e.message_id) ?? [];
        list.push(e);
        events.set(e.message_id, list);
      }
    }
    const byMessage = new Map<string, Posted[]>();
    for (const x of posted) byMessage.set(x.messageId, [...(byMessage.get(x.messageId) ?? []), x]);

    const problems: string[] = [];
    for (const id of all) {
      const mine = byMessage.get(id) ?? [];
      const kinds = new Set(mine.map((x) => x.kind));
      const got = messages.get(id)?.status;
      const allowed = !kinds.has('failed')
        ? [kinds.has('read') ? 'READ' : kinds.has('delivered') ? 'DELIVERED' : 'SENT']
        : kinds.has('read')
          ? ['READ', 'FAILED']
          : ['FAILED'];
      const evs = (events.get(id) ?? []).filter((e) => e.status in RANK);
      const why = (msg: string) =>
        problems.push(
          `${id} (${EARLY > 0 && early.includes(id) ? 'early' : 'ordinary'}): ${msg}; posted ${mine
            .map((x) => `${x.kind}@${x.ts}`)
            .join(',')}; events ${evs.map((e) => `${e.status}@${e.occurred_at.toISOString()}`).join(',')}`,
        );
      if (!got || !allowed.includes(got)) why(`final ${got} not in ${allowed.join('|')}`);
      for (const st of ['SENT', 'DELIVERED', 'READ', 'FAILED'])
        if (evs.filter((e) => e.status === st).length > 1) why(`${st} applied twice`);
      if (evs.filter((e) => e.status === 'SENT').length !== 1) why('not exactly one SENT event');
      if (evs.some((e) => e.status === 'READ') && evs.some((e) => e.status === 'FAILED'))
        why('both READ and FAILED applied');
      for (let k = 1; k < evs.length; k += 1)
        if ((RANK[evs[k]?.status as string] as number) <= (RANK[evs[k - 1]?.status as string] as number))
          why('history goes backwards');
      if (evs.length > 0 && evs[evs.length - 1]?.status !== got) why('last event is not the status');
      for (const e of evs) {
        if (e.status === 'SENT') continue;
        const times = mine.filter((x) => TARGET[x.kind] === e.status).map((x) => x.ts * 1000);
        if (!times.includes(new Date(e.occurred_at).getTime())) why(`${e.status} at a time never posted`);
      }
    }
    log(`${all.length} messages checked; ${problems.length} problems`);
    expect(problems.slice(0, 20)).toEqual([]);

    // Nothing crashed.
    expect(api2.child.exitCode).toBeNull();
    for (const d of s.dispatchers) expect(d.child.exitCode).toBeNull();
  });
});
