import { randomUUID } from 'node:crypto';
import { createLogger } from '@flowgate/logger';
import { ProviderError, type SendMessageResult } from '@flowgate/whatsapp-cloud';
import type { DispatchEnvelopeV1 } from '@flowgate/contracts';
import type { MessageDeliveryStore, SendingNumberStore } from '@flowgate/core';

type DeliveryRepository = MessageDeliveryStore & SendingNumberStore;
import { backoffMs, dispatchMessageUseCase } from '../../src/modules/dispatch-message';
import { NumberLanes } from '../../src/modules/lanes';
import { NumberPacer, NumberPauses, PairLimiter } from '../../src/modules/pacer';

interface Row {
  status: string;
  recipient: string;
  claimedAt: number | null;
  attempts: number;
  wamid?: string;
  error?: { code: number | null; title: string; details: string | null };
  events: Array<{ status: string; detail: string | null }>;
}

/** The async methods of T, written synchronously (the fake wraps them back into promises). */
type Syncified<T> = {
  [K in keyof T as T[K] extends (...a: never[]) => Promise<unknown> ? K : never]: T[K] extends (
    ...a: infer A
  ) => Promise<infer R>
    ? (...a: A) => R
    : never;
};

function asAsync<T extends object>(impl: T): Record<string, (...a: unknown[]) => Promise<unknown>> {
  return Object.fromEntries(
    Object.entries(impl).map(([k, f]) => [
      k,
      (...a: unknown[]) => Promise.resolve().then(() => (f as (...x: unknown[]) => unknown)(...a)),
    ]),
  );
}

/** The repository's contract, in memory, with switches to make writes fail. */
function fakeRepo(claimTimeoutMs = 60_000) {
  const rows = new Map<string, Row>();
  const failures = { markSent: 0, claim: 0 };
  const calls = { peek: 0, claim: 0, claimBatches: [] as number[] };
  const paused: Array<{ id: string; ms: number; reason: string }> = [];
  const impl: Syncified<DeliveryRepository> = {
    peek(ids) {
      calls.peek += 1;
      return ids.map((id) => {
        const r = rows.get(id);
        return r
          ? {
              status: r.status,
              recipient: r.recipient,
              heldMs: r.claimedAt === null ? null : Date.now() - r.claimedAt,
            }
          : undefined;
      });
    },
    claim(ids, blockedPairs = []) {
      calls.claim += 1;
      calls.claimBatches.push(ids.length);
      if (failures.claim > 0) {
        failures.claim -= 1;
        throw new Error('claim failed');
      }
      return ids.map((id) => {
        const r = rows.get(id);
        if (!r) return undefined;
        const stale = r.claimedAt !== null && Date.now() - r.claimedAt >= claimTimeoutMs;
        const claimable =
          r.status === 'ACCEPTED' ||
          r.status === 'QUEUED' ||
          (r.status === 'SENDING' && (r.claimedAt === null || stale));
        if (!claimable || blockedPairs.some((b) => b.recipient === r.recipient)) return undefined;
        const tookOver = r.status === 'SENDING' && r.claimedAt !== null;
        r.status = 'SENDING';
        r.claimedAt = Date.now();
        r.attempts += 1;
        r.events.push({ status: 'SENDING', detail: `attempt ${r.attempts}` });
        return {
          id,
          payload: `{"to":"${r.recipient}"}`,
          recipient: r.recipient,
          attempts: r.attempts,
          tookOver,
        };
      });
    },
    markSent(records) {
      if (failures.markSent > 0) {
        failures.markSent -= 1;
        throw new Error('connection terminated unexpectedly');
      }
      return records.map((rec) => {
        const r = rows.get(rec.id);
        if (!r || r.status !== 'SENDING') return false;
        r.status = 'SENT';
        r.claimedAt = null;
        r.wamid = rec.wamid;
        r.events.push({ status: 'SENT', detail: rec.detail });
        return true;
      });
    },
    markFailed(records) {
      for (const rec of records) {
        const r = rows.get(rec.id);
        if (!r || r.status !== 'SENDING') continue;
        r.status = 'FAILED';
        r.claimedAt = null;
        r.error = rec.error;
        r.events.push({ status: 'FAILED', detail: rec.detail });
      }
      return records.map(() => undefined);
    },
    release(records) {
      for (const rec of records) {
        const r = rows.get(rec.id);
        if (!r || r.status !== 'SENDING') continue;
        r.claimedAt = null;
        r.events.push({ status: 'RETRY_SCHEDULED', detail: rec.reason });
      }
      return records.map(() => undefined);
    },
    note(id, status, detail) {
      rows.get(id)?.events.push({ status, detail });
    },
    abandon(id, title, details) {
      const r = rows.get(id);
      if (!r || !['ACCEPTED', 'QUEUED', 'SENDING'].includes(r.status) || r.claimedAt !== null) return false;
      r.status = 'FAILED';
      r.error = { code: null, title, details };
      return true;
    },
    sendingNumber() {
      return undefined;
    },
    numberStates() {
      return new Map<string, { messagesPerSecond: number | null; pausedForMs: number }>();
    },
    pauseNumber(id, ms, reason) {
      paused.push({ id, ms, reason });
    },
    outboxBacklog() {
      const waiting = [...rows.values()].filter((r) => r.status === 'ACCEPTED');
      return { depth: waiting.length, oldestAgeSeconds: 0 };
    },
  };
  const repo = {
    ...asAsync(impl),
    staleInMs: (heldMs: number) => (heldMs >= claimTimeoutMs ? 0 : claimTimeoutMs - heldMs + 100),
  } as DeliveryRepository;
  const add = (recipient = '919876543210', status = 'QUEUED'): string => {
    const id = randomUUID();
    rows.set(id, { status, recipient, claimedAt: null, attempts: 0, events: [] });
    return id;
  };
  return { repo, rows, failures, calls, paused, add };
}

type Answer = SendMessageResult | ProviderError | (() => Promise<SendMessageResult>);

/** A provider whose answers the test scripts per recipient (default: success). */
function fakeProvider() {
  const calls: Array<{ body: string; at: number }> = [];
  const script = new Map<string, Answer[]>();
  let seq = 0;
  const client = {
    async sendMessage(args: { body: Record<string, unknown> | string }): Promise<SendMessageResult> {
      const body = typeof args.body === 'string' ? args.body : JSON.stringify(args.body);
      calls.push({ body, at: Date.now() });
      const to = (JSON.parse(body) as { to: string }).to;
      const next = script.get(to)?.shift();
      if (next instanceof ProviderError) throw next;
      if (typeof next === 'function') return next();
      if (next) return next;
      seq += 1;
      return { wamid: `wamid.${seq}` };
    },
  };
  const callsTo = (to: string) => calls.filter((c) => c.body.includes(`"${to}"`));
  return { client, calls, script, callsTo };
}

const metaError = (code: number, httpStatus = 400, title = `error ${code}`, details?: string) =>
  new ProviderError({ code, httpStatus, title, details });

const NUMBER = '5b1c7d6e-0000-4000-8000-000000000001';

function setup(opts: { rate?: number; inFlightCap?: number; maxAttempts?: number; pairBurst?: number } = {}) {
  const db = fakeRepo();
  const provider = fakeProvider();
  const pacer = new NumberPacer();
  pacer.configure(NUMBER, opts.rate ?? 10_000);
  const pairs = new PairLimiter(opts.pairBurst ?? 45, 10);
  const pauses = new NumberPauses();
  const lanes = new NumberLanes({ pacer, inFlightCap: opts.inFlightCap ?? 64, maxWaitMs: 1000 });
  const pausedCalls: string[] = [];
  const numbers = {
    get: () => Promise.resolve({ providerPhoneNumberId: '1055', accessToken: 'token' }),
    async pause(id: string, ms: number, reason: string) {
      pauses.pause(id, ms);
      pausedCalls.push(reason);
      await db.repo.pauseNumber(id, ms, reason);
    },
  };
  const dispatcher = dispatchMessageUseCase({
    repo: db.repo,
    client: provider.client,
    numbers,
    lanes,
    pacer,
    pairs,
    pauses,
    logger: createLogger({ service: 'test', silent: true }),
    maxAttempts: opts.maxAttempts ?? 8,
    accountPauseMs: 60_000,
  });
  const envelope = (messageId: string): DispatchEnvelopeV1 => ({
    schemaVersion: 1,
    messageId,
    workspaceId: '5b1c7d6e-0000-4000-8000-0000000000ff',
    phoneNumberId: NUMBER,
    createdAt: new Date().toISOString(),
  });
  return { db, provider, pacer, pairs, pauses, lanes, dispatcher, envelope, pausedCalls };
}

describe('dispatchMessageUseCase', () => {
  it('when a queued message is dispatched, then it is claimed, sent once with its stored body, and SENT with the wamid', async () => {
    const s = setup();
    const id = s.db.add('919876543210');
    await expect(s.dispatcher.dispatch(s.envelope(id))).resolves.toEqual({ kind: 'done', result: 'sent' });
    expect(s.provider.calls.map((c) => c.body)).toEqual(['{"to":"919876543210"}']);
    expect(s.db.rows.get(id)).toMatchObject({ status: 'SENT', wamid: 'wamid.1', claimedAt: null });
  });

  it('when many messages arrive together, then their claims share statements', async () => {
    const s = setup();
    const ids = Array.from({ length: 50 }, (_, i) => s.db.add(`9198765${String(i).padStart(5, '0')}`));
    const out = await Promise.all(ids.map((id) => s.dispatcher.dispatch(s.envelope(id))));
    expect(out.every((o) => o.kind === 'done' && o.result === 'sent')).toBe(true);
    expect(s.db.calls.claim).toBeLessThan(10);
    expect(s.provider.calls).toHaveLength(50);
  });

  it('when the message is already final (a duplicate envelope), then the claim leaves it alone and nothing is called', async () => {
    const s = setup();
    const id = s.db.add('919876543210', 'SENT');
    await expect(s.dispatcher.dispatch(s.envelope(id))).resolves.toEqual({
      kind: 'done',
      result: 'duplicate',
    });
    expect(s.db.rows.get(id)).toMatchObject({ status: 'SENT', attempts: 0 });
    expect(s.provider.calls).toHaveLength(0);
  });

  it('when another dispatcher holds a live claim, then the delivery is deferred until the claim would be stale', async () => {
    const s = setup();
    const id = s.db.add();
    const row = s.db.rows.get(id);
    if (row) Object.assign(row, { status: 'SENDING', claimedAt: Date.now() - 10_000 });
    const out = await s.dispatcher.dispatch(s.envelope(id));
    expect(out).toMatchObject({ kind: 'defer', reason: 'claimed elsewhere' });
    expect(out.kind === 'defer' && out.inMs).toBeGreaterThan(49_000);
    expect(s.provider.calls).toHaveLength(0);
  });

  it('when the pair limit is reached, then the claim leaves the message alone and it is deferred (no attempt used)', async () => {
    const s = setup({ pairBurst: 2 });
    const ids = [s.db.add('447700900001'), s.db.add('447700900001'), s.db.add('447700900001')];
    const out = [];
    for (const id of ids) out.push(await s.dispatcher.dispatch(s.envelope(id)));
    expect(out[2]).toMatchObject({ kind: 'defer', reason: 'pair rate' });
    expect(s.db.rows.get(ids[2] as string)).toMatchObject({ status: 'QUEUED', attempts: 0 });
    expect(s.provider.calls).toHaveLength(2);
    // Another recipient of the same number goes out at once.
    const other = s.db.add('447700900002');
    await expect(s.dispatcher.dispatch(s.envelope(other))).resolves.toEqual({ kind: 'done', result: 'sent' });
  });

  it('when Meta answers 131026, then FAILED with its code and text after one call', async () => {
    const s = setup();
    const id = s.db.add('15550001001');
    s.provider.script.set('15550001001', [
      metaError(131026, 400, 'Message undeliverable', 'Message Undeliverable.'),
    ]);
    await expect(s.dispatcher.dispatch(s.envelope(id))).resolves.toEqual({ kind: 'done', result: 'failed' });
    expect(s.db.rows.get(id)).toMatchObject({
      status: 'FAILED',
      error: { code: 131026, title: 'Message undeliverable', details: 'Message Undeliverable.' },
    });
    expect(s.provider.calls).toHaveLength(1);
  });

  it('when Meta answers 130429, then the message retries with backoff and the number slows down', async () => {
    const s = setup({ rate: 80 });
    const id = s.db.add('15550001002');
    s.provider.script.set('15550001002', [metaError(130429)]);
    const out = await s.dispatcher.dispatch(s.envelope(id));
    expect(out).toEqual({ kind: 'retry', inMs: backoffMs(1), reason: 'provider retryable' });
    expect(s.pacer.rate(NUMBER)).toBeCloseTo(40, 0);
    expect(s.pacer.waitMs(NUMBER)).toBeGreaterThan(900);
    expect(s.db.rows.get(id)).toMatchObject({ status: 'SENDING', claimedAt: null, attempts: 1 });
    expect(s.db.rows.get(id)?.events.at(-1)).toMatchObject({ status: 'RETRY_SCHEDULED' });
  });

  it('when Meta answers 131056, then that pair waits but other recipients of the number do not', async () => {
    const s = setup();
    const first = s.db.add('447700900010');
    s.provider.script.set('447700900010', [metaError(131056)]);
    expect(await s.dispatcher.dispatch(s.envelope(first))).toMatchObject({ kind: 'retry' });
    const samePair = s.db.add('447700900010');
    expect(await s.dispatcher.dispatch(s.envelope(samePair))).toMatchObject({
      kind: 'defer',
      reason: 'pair rate',
    });
    const other = s.db.add('447700900011');
    expect(await s.dispatcher.dispatch(s.envelope(other))).toEqual({ kind: 'done', result: 'sent' });
  });

  it('when Meta answers an account-level error, then the number is paused (stored for every dispatcher) and its other messages wait without a claim', async () => {
    const s = setup();
    const locked = s.db.add('15550001012');
    s.provider.script.set('15550001012', [metaError(131031, 403, 'Business Account locked')]);
    const out = await s.dispatcher.dispatch(s.envelope(locked));
    expect(out).toEqual({ kind: 'retry', inMs: 60_000, reason: 'account error' });
    expect(s.db.paused).toEqual([{ id: NUMBER, ms: 60_000, reason: '131031 Business Account locked' }]);
    const next = s.db.add('919876543210');
    const waiting = await s.dispatcher.dispatch(s.envelope(next));
    expect(waiting).toMatchObject({ kind: 'defer', reason: 'sending number paused' });
    expect(s.db.rows.get(next)).toMatchObject({ status: 'QUEUED', attempts: 0 });
    expect(s.provider.calls).toHaveLength(1);
  });

  it('when an account-level error comes on the last attempt, then the message is FAILED with it', async () => {
    const s = setup({ maxAttempts: 1 });
    const id = s.db.add('15550001007');
    s.provider.script.set('15550001007', [metaError(190, 401, 'Access token expired')]);
    await expect(s.dispatcher.dispatch(s.envelope(id))).resolves.toEqual({ kind: 'done', result: 'failed' });
    expect(s.db.rows.get(id)).toMatchObject({ status: 'FAILED', error: { code: 190 } });
  });

  it('when the SENT write fails right after Meta accepted, then it is retried (no second call) and the history says so', async () => {
    const s = setup();
    const id = s.db.add();
    s.db.failures.markSent = 2;
    await expect(s.dispatcher.dispatch(s.envelope(id))).resolves.toEqual({ kind: 'done', result: 'sent' });
    expect(s.provider.calls).toHaveLength(1);
    expect(s.db.rows.get(id)?.status).toBe('SENT');
    expect(s.db.rows.get(id)?.events.at(-1)?.detail).toBe('wamid.1; recorded after 2 failed status writes');
  });

  it('when Meta returns a message_status, then it is kept in the SENT event', async () => {
    const s = setup();
    const id = s.db.add('15550001013');
    s.provider.script.set('15550001013', [
      { wamid: 'wamid.H', messageStatus: 'held_for_quality_assessment' },
    ]);
    await s.dispatcher.dispatch(s.envelope(id));
    expect(s.db.rows.get(id)?.events.at(-1)).toEqual({
      status: 'SENT',
      detail: 'wamid.H (message_status: held_for_quality_assessment)',
    });
  });

  it('when the claim cannot be written (database error), then the dispatch throws before any call', async () => {
    const s = setup();
    const id = s.db.add();
    s.db.failures.claim = 1;
    await expect(s.dispatcher.dispatch(s.envelope(id))).rejects.toThrow('claim failed');
    expect(s.provider.calls).toHaveLength(0);
  });

  it('when the dispatcher shuts down, then waiting deliveries are handed back unclaimed and the running call finishes', async () => {
    const s = setup({ inFlightCap: 1 });
    let answer: (r: SendMessageResult) => void = () => undefined;
    s.provider.script.set('919800000001', [() => new Promise<SendMessageResult>((r) => (answer = r))]);
    const running = s.db.add('919800000001');
    const waiting = s.db.add('919800000002');
    const p1 = s.dispatcher.dispatch(s.envelope(running));
    const p2 = s.dispatcher.dispatch(s.envelope(waiting));
    while (s.provider.calls.length === 0) await new Promise((r) => setTimeout(r, 5));
    s.dispatcher.shutdown();
    await expect(p2).resolves.toMatchObject({ kind: 'defer', reason: 'dispatcher shutting down' });
    answer({ wamid: 'wamid.last' });
    await expect(p1).resolves.toEqual({ kind: 'done', result: 'sent' });
    expect(s.db.rows.get(waiting)).toMatchObject({ status: 'QUEUED', attempts: 0 });
    await expect(s.dispatcher.dispatch(s.envelope(s.db.add()))).resolves.toMatchObject({ kind: 'defer' });
  });

  it('abandon() records FAILED with our own text and no code', async () => {
    const s = setup();
    const id = s.db.add();
    await expect(s.dispatcher.abandon(s.envelope(id), 'retries used up')).resolves.toBe(true);
    expect(s.db.rows.get(id)).toMatchObject({
      status: 'FAILED',
      error: { code: null, title: 'Flowgate stopped dispatching this message', details: 'retries used up' },
    });
  });
});
