import { pool, startStack, type Stack } from './helpers/stack';

/** Distinct recipients, so Meta's per-recipient pair limit stays out of these tests. */
const recipient = (i: number): string => `4477009${String(i).padStart(5, '0')}`;

async function sendMany(
  s: Stack,
  headers: Record<string, string>,
  n: number,
  extra: Record<string, unknown> = {},
): Promise<string[]> {
  return pool(
    Array.from({ length: n }, (_, i) => i),
    16,
    (i) => s.send(headers, { type: 'text', phone: recipient(i), content: `message ${i}`, ...extra }),
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

  it('when a dispatcher is killed -9 mid-run and a new one starts, then all 2,000 end SENT and duplicates are counted', async () => {
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
      const duplicates = [...counts.values()].reduce((sum, c) => sum + (c - 1), 0);
      // At most the messages in flight at the moment of the kill can have been called twice, and
      // each such message says so in its history.
      expect(duplicates).toBeLessThanOrEqual(256);
      process.stdout.write(
        `kill -9 scenario: ${sentBeforeKill} provider calls before the kill, duplicates: ${duplicates}\n`,
      );
    } finally {
      await s.close();
    }
  }, 180_000);

  it('when one number is limited to 50/s, then its 500 messages take at least 10 s while another number is not held up', async () => {
    const s = await startStack({ DISPATCH_RATE_PER_NUMBER: '50' }, 1);
    try {
      const slow = await s.partner();
      const fast = await s.partner();
      const slowIds = await sendMany(s, slow.headers, 500);
      const fastIds = await sendMany(s, fast.headers, 40);
      const slowFinal = await s.waitForFinal(slowIds, 120_000);
      expect([...slowFinal.values()].every((r) => r.status === 'SENT')).toBe(true);
      const fastFinal = await s.waitForFinal(fastIds, 60_000);
      expect([...fastFinal.values()].every((r) => r.status === 'SENT')).toBe(true);

      const callAt = new Map<string, number>();
      for (const c of s.sandbox.calls())
        callAt.set((c.body as { biz_opaque_callback_data: string }).biz_opaque_callback_data, c.at);
      const acceptedAt = new Map(
        (
          await s
            .db('messages')
            .select<Array<{ id: string; created_at: Date }>>('id', 'created_at')
            .whereIn('id', [...slowIds, ...fastIds])
        ).map((r) => [r.id, new Date(r.created_at).getTime()]),
      );
      const slowTimes = slowIds.map((id) => callAt.get(id) ?? Number.NaN);
      const span = Math.max(...slowTimes) - Math.min(...slowTimes);
      expect(span).toBeGreaterThanOrEqual(9_900);
      // Accept → provider call: the other number's messages never queue behind the slow one.
      const latency = (id: string): number =>
        (callAt.get(id) ?? Number.NaN) - (acceptedAt.get(id) ?? Number.NaN);
      const fastWorst = Math.max(...fastIds.map(latency));
      const slowWorst = Math.max(...slowIds.map(latency));
      process.stdout.write(
        `pacing: slow number span ${span} ms, worst accept→call slow ${slowWorst} ms, fast ${fastWorst} ms\n`,
      );
      expect(fastWorst).toBeLessThan(3_000);
      expect(slowWorst).toBeGreaterThan(fastWorst * 2);
    } finally {
      await s.close();
    }
  }, 180_000);
});
