import { SANDBOX_NUMBERS } from '@flowgate/sandbox';
import { TcpProxy } from '@flowgate/testing';
import { TEST_DATABASE_URL } from '@flowgate/testing';
import { pool, startStack, type Stack } from '@flowgate/testing';

/** Every message here goes to the one SLOW recipient: the pair limit is lifted for it. */
const PAIRS = { DISPATCH_PAIR_BURST: '1000', DISPATCH_PAIR_PER_MINUTE: '100000' };

async function sendSlow(s: Stack, headers: Record<string, string>, n: number): Promise<string[]> {
  return pool(
    Array.from({ length: n }, (_, i) => i),
    8,
    (i) => s.send(headers, { type: 'text', phone: SANDBOX_NUMBERS.SLOW, content: `slow ${i}` }),
  );
}

const called = (s: Stack, ids: readonly string[]): string[] =>
  ids.filter((id) => s.sandbox.callsFor(id).length > 0);

async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function statuses(s: Stack, ids: readonly string[]): Promise<Map<string, string>> {
  const rows = await s
    .db('messages')
    .select<Array<{ id: string; status: string }>>('id', 'status')
    .whereIn('id', ids);
  return new Map(rows.map((r) => [r.id, r.status]));
}

describe('dispatcher lifecycle (separate processes)', () => {
  it('when SIGTERM arrives with calls in flight, then they finish and are recorded, the rest is handed back unclaimed, and the process exits 0', async () => {
    const s = await startStack({ ...PAIRS, DISPATCH_IN_FLIGHT_PER_NUMBER: '4' }, 1);
    try {
      const p = await s.partner();
      const ids = await sendSlow(s, p.headers, 12);
      await until('4 calls in flight', () => called(s, ids).length === 4);
      const first = called(s, ids);

      const code = await s.dispatchers[0]?.stop('SIGTERM');

      expect(code).toBe(0);
      // What was in flight was answered (3 s later) and recorded before the process went.
      const after = await statuses(s, ids);
      expect(first.map((id) => after.get(id))).toEqual(['SENT', 'SENT', 'SENT', 'SENT']);
      expect(called(s, ids)).toHaveLength(4);
      const rest = ids.filter((id) => !first.includes(id));
      const claimed = await s
        .db('messages')
        .whereIn('id', rest)
        .whereNotNull('claimed_at')
        .count<Array<{ n: number }>>({ n: '*' });
      expect(Number(claimed[0]?.n)).toBe(0);
      expect(s.dispatchers[0]?.output.join('')).toContain('"message":"stopped"'); // runProcess's clean-stop line

      // Another dispatcher picks up what was handed back: every message sent exactly once.
      await s.startDispatcher();
      const final = await s.waitForFinal(ids, 60_000);
      expect([...final.values()].every((r) => r.status === 'SENT')).toBe(true);
      expect(ids.map((id) => s.sandbox.callsFor(id).length)).toEqual(ids.map(() => 1));
    } finally {
      await s.close();
    }
  }, 120_000);

  it('when in-flight calls outlast DISPATCH_SHUTDOWN_TIMEOUT_MS, then the process exits (1) at the deadline, and the calls are later taken over, flagged', async () => {
    const s = await startStack(
      { ...PAIRS, DISPATCH_SHUTDOWN_TIMEOUT_MS: '1000', DISPATCH_CLAIM_TIMEOUT_MS: '3000' },
      1,
      { slowMs: 8000 },
    );
    try {
      const p = await s.partner();
      const ids = await sendSlow(s, p.headers, 3);
      await until('3 calls in flight', () => called(s, ids).length === 3);
      const started = Date.now();

      const code = await s.dispatchers[0]?.stop('SIGTERM');

      expect(code).toBe(1);
      // The deadline, not the provider's 8 s answers, ended it.
      expect(Date.now() - started).toBeLessThan(6_000);
      expect(s.dispatchers[0]?.output.join('')).toContain('shutdown deadline passed');

      await s.startDispatcher();
      const final = await s.waitForFinal(ids, 60_000);
      expect([...final.values()].every((r) => r.status === 'SENT')).toBe(true);
      // Each was called again after its claim went stale: a duplicate, and its history says so.
      expect(ids.map((id) => s.sandbox.callsFor(id).length)).toEqual([2, 2, 2]);
      const flagged = await s
        .db('message_events')
        .whereIn('message_id', ids)
        .andWhere('detail', 'like', '%the provider may have been called before%')
        .pluck('message_id');
      expect(new Set(flagged)).toEqual(new Set(ids));
    } finally {
      await s.close();
    }
  }, 120_000);

  it('when the database goes away right after Meta accepted, then the SENT write is retried until it lands: one provider call each, and the history says so', async () => {
    const proxy = await TcpProxy.start('127.0.0.1', Number(new URL(TEST_DATABASE_URL).port || 5432));
    const viaProxy = new URL(TEST_DATABASE_URL);
    viaProxy.port = String(proxy.port);
    const s = await startStack(PAIRS, 0);
    try {
      await s.startDispatcher({ DATABASE_URL: viaProxy.toString() });
      const p = await s.partner();
      const ids = await sendSlow(s, p.headers, 5);
      await until('5 calls in flight', () => called(s, ids).length === 5);

      // The answers come 3 s after each call; the dispatcher's database is gone until 5 s.
      proxy.refuse();
      await new Promise((r) => setTimeout(r, 5_000));
      proxy.accept();

      const final = await s.waitForFinal(ids, 60_000);
      expect([...final.values()].every((r) => r.status === 'SENT')).toBe(true);
      expect(ids.map((id) => s.sandbox.callsFor(id).length)).toEqual([1, 1, 1, 1, 1]);
      const sent = await s
        .db('message_events')
        .whereIn('message_id', ids)
        .andWhere({ status: 'SENT' })
        .pluck('detail');
      expect(sent).toHaveLength(5);
      for (const detail of sent)
        expect(detail).toMatch(/^wamid\.\S+; recorded after \d+ failed status writes$/);
      expect(s.dispatchers[0]?.output.join('')).toContain('could not record SENT; retrying');
    } finally {
      await s.close();
      await proxy.close();
    }
  }, 120_000);
});
