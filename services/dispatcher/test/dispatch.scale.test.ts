import amqp from 'amqplib';
import { rabbitTopology } from '@flowgate/messaging';
import { SANDBOX_NUMBERS, type SandboxCall } from '@flowgate/sandbox';
import { TEST_AMQP_URL } from '@flowgate/testing';
import { pool, startStack, type Stack } from '@flowgate/testing';

/** Distinct recipients, so Meta's per-recipient pair limit stays out of these tests. */
const recipient = (i: number): string => `4477009${String(i).padStart(5, '0')}`;

async function sendMany(
  s: Stack,
  headers: Record<string, string>,
  n: number,
  extra: Record<string, unknown> = {},
  to: (i: number) => string = recipient,
): Promise<string[]> {
  return pool(
    Array.from({ length: n }, (_, i) => i),
    16,
    (i) => s.send(headers, { type: 'text', phone: to(i), content: `message ${i}`, ...extra }),
  );
}

function providerCallsPerMessage(s: Stack, ids: readonly string[]): Map<string, number> {
  const wanted = new Set(ids);
  const counts = new Map<string, number>();
  for (const call of s.sandbox.calls()) {
    const body = call.body as { biz_opaque_callback_data?: string };
    const id = body.biz_opaque_callback_data;
    if (id && wanted.has(id) && call.status === 200) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

const bizOf = (c: SandboxCall): string =>
  (c.body as { biz_opaque_callback_data: string }).biz_opaque_callback_data;

/** When each message's (last) provider call was received. */
function callTimes(s: Stack, ids: readonly string[]): number[] {
  const at = new Map<string, number>();
  for (const c of s.sandbox.calls()) at.set(bizOf(c), c.at);
  return ids.map((id) => at.get(id) ?? Number.NaN);
}

/** The most calls that fall in any window of `ms`. */
function maxInWindow(times: readonly number[], ms: number): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < t.length; hi += 1) {
    while ((t[hi] as number) - (t[lo] as number) >= ms) lo += 1;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

async function acceptedAt(s: Stack, ids: readonly string[]): Promise<Map<string, number>> {
  const rows = await s
    .db('messages')
    .select<Array<{ id: string; created_at: Date }>>('id', 'created_at')
    .whereIn('id', ids);
  return new Map(rows.map((r) => [r.id, new Date(r.created_at).getTime()]));
}

describe('dispatcher at scale (separate processes, real RabbitMQ and PostgreSQL)', () => {
  it('when two dispatchers share the queue with 2,000 messages, then each message is sent exactly once', async () => {
    const s = await startStack({ DISPATCH_RATE_PER_NUMBER: '2000' }, 2);
    try {
      const p = await s.partner();
      const ids = await sendMany(s, p.headers, 2000);
      const final = await s.waitForFinal(ids, 120_000);
      expect([...final.values()].filter((r) => r.status === 'SENT')).toHaveLength(2000);
      const counts = providerCallsPerMessage(s, ids);
      expect(counts.size).toBe(2000);
      expect([...counts.values()].every((c) => c === 1)).toBe(true);
    } finally {
      await s.close();
    }
  }, 180_000);

  it('when copies of each envelope arrive together (outbox relay, redelivery), then each message is claimed and sent once', async () => {
    const s = await startStack({}, 0);
    try {
      const p = await s.partner();
      // A fast number, so that turns do not space the claims out: they share statements.
      await s.setRate(p.phoneNumberIds[0] as string, 1000);
      const ids = await sendMany(s, p.headers, 200);
      // Before any dispatcher runs, each envelope is replaced by three copies back to back: one
      // dispatcher then holds all copies of a message at once, in the same claim statements.
      const topology = rabbitTopology(s.env['AMQP_PREFIX']);
      const conn = await amqp.connect(TEST_AMQP_URL);
      try {
        const ch = await conn.createConfirmChannel();
        await ch.purgeQueue(topology.workQueue);
        for (const id of ids) {
          const envelope = Buffer.from(
            JSON.stringify({
              schemaVersion: 1,
              messageId: id,
              workspaceId: p.workspaceId,
              phoneNumberId: p.phoneNumberIds[0],
              createdAt: new Date().toISOString(),
            }),
          );
          for (let copy = 0; copy < 3; copy += 1)
            ch.publish(topology.workExchange, topology.workRoutingKey, envelope, {
              persistent: true,
              messageId: id,
              contentType: 'application/json',
            });
        }
        await ch.waitForConfirms();
        await ch.close();
      } finally {
        await conn.close();
      }
      await s.startDispatcher();
      const final = await s.waitForFinal(ids, 60_000);
      expect([...final.values()].filter((r) => r.status === 'SENT')).toHaveLength(ids.length);
      const counts = providerCallsPerMessage(s, ids);
      expect([...counts.entries()].filter(([, c]) => c !== 1)).toEqual([]);
      expect(counts.size).toBe(ids.length);
      const claims = await s
        .db('message_events')
        .whereIn('message_id', ids)
        .andWhere({ status: 'SENDING' })
        .count<Array<{ n: number }>>('* as n');
      expect(Number(claims[0]?.n)).toBe(ids.length);
    } finally {
      await s.close();
    }
  }, 120_000);

  it('when a dispatcher is killed -9 mid-run and a new one starts, then all 2,000 end SENT and every duplicate call is flagged in its history', async () => {
    const s = await startStack({ DISPATCH_RATE_PER_NUMBER: '400', DISPATCH_CLAIM_TIMEOUT_MS: '3000' }, 0);
    try {
      const p = await s.partner();
      const ids = await sendMany(s, p.headers, 2000);
      await s.startDispatcher();
      // Let it get going, then kill it without warning.
      const deadline = Date.now() + 30_000;
      while (s.sandbox.calls().length < 400 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      const victim = s.dispatchers[0];
      victim?.child.kill('SIGKILL');
      await victim?.stop();
      const sentBeforeKill = s.sandbox.calls().length;
      expect(sentBeforeKill).toBeLessThan(2000);
      await s.startDispatcher();
      const final = await s.waitForFinal(ids, 120_000);
      expect([...final.values()].filter((r) => r.status === 'SENT')).toHaveLength(2000);
      const counts = providerCallsPerMessage(s, ids);
      expect(counts.size).toBe(2000);
      const duplicated = [...counts].filter(([, c]) => c > 1).map(([id]) => id);
      const duplicates = [...counts.values()].reduce((sum, c) => sum + (c - 1), 0);
      // Only the calls in flight at the kill (or answered and not yet recorded) can be repeated:
      // a few per cent of the in-flight cap, never the backlog.
      expect(duplicates).toBeLessThanOrEqual(64);
      // docs/contracts.md §6: each duplicate is detectable: the message's history shows the takeover.
      const flagged = new Set(
        await s
          .db('message_events')
          .whereIn(
            'message_id',
            duplicated.length > 0 ? duplicated : ['00000000-0000-4000-8000-000000000000'],
          )
          .andWhere('detail', 'like', '%the provider may have been called before%')
          .pluck('message_id'),
      );
      expect(duplicated.filter((id) => !flagged.has(id))).toEqual([]);
      process.stdout.write(
        `kill -9 scenario: ${sentBeforeKill} provider calls before the kill, duplicates: ${duplicates} (${duplicated.length} messages, each flagged)\n`,
      );
    } finally {
      await s.close();
    }
  }, 180_000);

  it('when one number is limited to 50/s and two dispatchers run, then its 500 messages take at least 10 s in all while another number at the default 80/s is not held up', async () => {
    const s = await startStack({}, 2);
    try {
      await s.sharing(2);
      const slow = await s.partner();
      const fast = await s.partner();
      await s.setRate(slow.phoneNumberIds[0] as string, 50);
      const [slowIds, fastIds] = await Promise.all([
        sendMany(s, slow.headers, 500),
        sendMany(s, fast.headers, 500, {}, (i) => `4477019${String(i).padStart(5, '0')}`),
      ]);
      const all = await s.waitForFinal([...slowIds, ...fastIds], 120_000);
      expect([...all.values()].filter((r) => r.status === 'SENT')).toHaveLength(1000);
      const counts = providerCallsPerMessage(s, [...slowIds, ...fastIds]);
      expect([...counts.values()].every((c) => c === 1)).toBe(true);

      const slowTimes = callTimes(s, slowIds);
      const fastTimes = callTimes(s, fastIds);
      const t0 = Math.min(...slowTimes, ...fastTimes);
      const perSecond = (t: number[]): string => {
        const h: number[] = [];
        for (const x of t) h[Math.floor((x - t0) / 1000)] = (h[Math.floor((x - t0) / 1000)] ?? 0) + 1;
        return Array.from(h, (v) => v ?? 0).join(' ');
      };
      process.stdout.write(
        `pacing, calls per second: slow ${perSecond(slowTimes)}; fast ${perSecond(fastTimes)}\n`,
      );
      const span = (t: number[]): number => Math.max(...t) - Math.min(...t);
      const accepted = await acceptedAt(s, [...slowIds, ...fastIds]);
      // The number's rate holds across both dispatchers: from the first accept to the last call,
      // its 500 messages take at least 9.96 s (each dispatcher sends its half at 25/s, the last
      // (250 − 1) × 40 ms after its first slot, which cannot come before the first accept; each
      // dispatcher alone at 50/s would take 5 s). Measured from the first accept, not
      // the first call: the pacer keeps its schedule after a stall (a late first call, on time
      // later ones), so the calls' own span can be a stall shorter. And no five seconds hold more
      // than 250, with 20 % slack: the sandbox notes a call when its event loop, shared with this
      // test, gets to it, so a stall bunches calls into the next second (a 2 s window once held
      // 126 on a quiet machine). Without sharing the rate, five seconds would hold 500.
      const slowFirstAccept = Math.min(...slowIds.map((id) => accepted.get(id) as number));
      expect(Math.max(...slowTimes) - slowFirstAccept).toBeGreaterThanOrEqual(9_950);
      expect(maxInWindow(slowTimes, 5000)).toBeLessThanOrEqual(300);
      expect(maxInWindow(fastTimes, 5000)).toBeLessThanOrEqual(480);
      // The other number goes out as its messages arrive, at its own rate, never waiting behind
      // the slow one's backlog (≈ 10 s). Its 500 arrive faster than 80/s (about 130/s), so the
      // k-th call (in time order) cannot come before max(the k-th accept, first accept + k ×
      // 12.5 ms); the wait beyond that is what a hold-up would show. Calls and accepts are each
      // sorted: the two dispatchers each keep their own order, so the k-th accepted message is
      // not always the k-th sent, and a raw accept→call bound mixed a message's own turn at 80/s
      // with a hold-up (one CI run's last message waited 5.16 s for its turn, with none).
      // Under 2.5 s (0.2–0.5 s on a quiet machine; the rest is slack for other work on the two
      // cores and for the dispatchers' halves being uneven); a hold-up behind the slow backlog
      // would be 3.7 s or more.
      const lag = (ids: string[], times: number[]): number =>
        Math.max(...ids.map((id, i) => (times[i] as number) - (accepted.get(id) as number)));
      const fastAccepts = fastIds.map((id) => accepted.get(id) as number).sort((a, b) => a - b);
      const fastCalls = [...fastTimes].sort((a, b) => a - b);
      const fastFirstAccept = fastAccepts[0] as number;
      const beyondOwnRate = Math.max(
        ...fastCalls.map(
          (call, k) => call - Math.max(fastAccepts[k] as number, fastFirstAccept + (k * 1000) / 80),
        ),
      );
      expect(beyondOwnRate).toBeLessThan(2_500);
      expect(span(fastTimes)).toBeGreaterThanOrEqual(6_100);
      process.stdout.write(
        `pacing: slow number first accept → last call ${Math.max(...slowTimes) - slowFirstAccept} ms, calls span ${span(slowTimes)} ms (at most ${maxInWindow(slowTimes, 5000)} in 5 s, worst accept→call ${lag(slowIds, slowTimes)} ms), fast number span ${span(fastTimes)} ms (at most ${maxInWindow(fastTimes, 5000)} in 5 s, worst accept→call ${lag(fastIds, fastTimes)} ms, worst wait beyond its own 80/s ${Math.round(beyondOwnRate)} ms)\n`,
      );
    } finally {
      await s.close();
    }
  }, 180_000);

  it("when one number's provider calls take 3 s, then its calls in flight stay within the cap and another number's messages go out promptly", async () => {
    // Every slow message goes to the one SLOW recipient: the pair limit is lifted for it.
    const s = await startStack(
      {
        DISPATCH_RATE_PER_NUMBER: '1000',
        DISPATCH_IN_FLIGHT_PER_NUMBER: '32',
        DISPATCH_PAIR_BURST: '1000',
        DISPATCH_PAIR_PER_MINUTE: '100000',
      },
      1,
    );
    try {
      const slow = await s.partner();
      const fast = await s.partner();
      const slowIds = await sendMany(s, slow.headers, 200, {}, () => SANDBOX_NUMBERS.SLOW);
      // Let the slow number fill what it may of the prefetch window first.
      while (s.sandbox.calls().length < 32) await new Promise((r) => setTimeout(r, 20));
      const fastIds = await sendMany(s, fast.headers, 100);
      const fastFinal = await s.waitForFinal(fastIds, 30_000);
      expect([...fastFinal.values()].every((r) => r.status === 'SENT')).toBe(true);
      const accepted = await acceptedAt(s, fastIds);
      const fastTimes = callTimes(s, fastIds);
      const worstFast = Math.max(
        ...fastIds.map((id, i) => (fastTimes[i] as number) - (accepted.get(id) as number)),
      );
      expect(worstFast).toBeLessThan(2_000);
      // Meanwhile the slow number is still working through its backlog, 32 calls at a time.
      expect(s.sandbox.calls().filter((c) => slowIds.includes(bizOf(c))).length).toBeLessThan(200);
      const slowFinal = await s.waitForFinal(slowIds, 120_000);
      expect([...slowFinal.values()].every((r) => r.status === 'SENT')).toBe(true);
      const starts = callTimes(s, slowIds);
      // A call runs 3 s: the most that started within any 3 s is the most in flight at once.
      expect(maxInWindow(starts, 3000)).toBeLessThanOrEqual(32);
      process.stdout.write(
        `slow provider: worst accept→call of the other number ${worstFast} ms; slow number at most ${maxInWindow(starts, 3000)} in flight\n`,
      );
    } finally {
      await s.close();
    }
  }, 180_000);

  it.each([
    ['ACCOUNT_LOCKED', SANDBOX_NUMBERS.ACCOUNT_LOCKED, 131031],
    ['TOKEN_EXPIRED', SANDBOX_NUMBERS.TOKEN_EXPIRED, 190],
  ] as const)(
    'when a number gets an account-level error (%s), then every dispatcher pauses it while other numbers carry on, and the message fails after its attempts',
    async (_name, magic, code) => {
      const pauseMs = 4000;
      const s = await startStack(
        { DISPATCH_ACCOUNT_PAUSE_MS: String(pauseMs), DISPATCH_MAX_ATTEMPTS: '2' },
        2,
      );
      try {
        await s.sharing(2);
        const blocked = await s.partner();
        const other = await s.partner();
        // Both dispatchers know the number before the pause (so the pause must reach a warm cache).
        const warm = await sendMany(s, blocked.headers, 20);
        await s.waitForFinal(warm, 20_000);
        const failing = await s.send(blocked.headers, { type: 'text', phone: magic, content: 'x' });
        while (s.sandbox.callsFor(failing).length === 0) await new Promise((r) => setTimeout(r, 20));
        const failedAt = s.sandbox.callsFor(failing)[0]?.at as number;
        // Other dispatchers re-read pauses once a second.
        await new Promise((r) => setTimeout(r, 1200));
        const [waiting, unaffected] = await Promise.all([
          sendMany(s, blocked.headers, 20, {}, (i) => `4477029${String(i).padStart(5, '0')}`),
          sendMany(s, other.headers, 20, {}, (i) => `4477039${String(i).padStart(5, '0')}`),
        ]);
        const otherFinal = await s.waitForFinal(unaffected, 20_000);
        expect([...otherFinal.values()].every((r) => r.status === 'SENT')).toBe(true);
        const otherTimes = callTimes(s, unaffected);
        expect(Math.max(...otherTimes)).toBeLessThan(failedAt + pauseMs);

        const row = await s
          .db('phone_numbers')
          .where({ id: blocked.phoneNumberIds[0] })
          .first<{ paused_until: Date | null; pause_reason: string | null }>('paused_until', 'pause_reason');
        expect(row?.pause_reason).toMatch(new RegExp(`^${code} `));

        const waitingFinal = await s.waitForFinal(waiting, 30_000);
        expect([...waitingFinal.values()].every((r) => r.status === 'SENT')).toBe(true);
        // No call for the paused number before the pause ended, in either dispatcher.
        expect(Math.min(...callTimes(s, waiting))).toBeGreaterThanOrEqual(failedAt + pauseMs - 50);
        // The message itself: tried again after the pause, then FAILED with Meta's code.
        const final = (await s.waitForFinal([failing], 30_000)).get(failing);
        expect(final).toMatchObject({ status: 'FAILED', error_code: code });
        const calls = s.sandbox.callsFor(failing);
        expect(calls).toHaveLength(2);
        expect((calls[1]?.at as number) - (calls[0]?.at as number)).toBeGreaterThanOrEqual(pauseMs - 50);
      } finally {
        await s.close();
      }
    },
    120_000,
  );
});
