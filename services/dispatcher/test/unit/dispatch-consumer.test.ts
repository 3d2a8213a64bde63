import { randomUUID } from 'node:crypto';
import { createLogger } from '@flowgate/logger';
import { dispatchHandler } from '../../src/consumer/dispatch-consumer';
import { delivery } from './delivery';
import type { DispatchOutcome, Dispatcher } from '../../src/modules/dispatch-message';

const logger = createLogger({ service: 'test', silent: true });

function envelopeBody(id = randomUUID()): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 1,
      messageId: id,
      workspaceId: randomUUID(),
      phoneNumberId: randomUUID(),
      createdAt: new Date().toISOString(),
    }),
  );
}

function fakeDispatcher(outcome: DispatchOutcome | Error, abandon: boolean | Error = true) {
  const abandoned: string[] = [];
  const d = {
    dispatch: () => (outcome instanceof Error ? Promise.reject(outcome) : Promise.resolve(outcome)),
    abandon: (_e: unknown, reason: string) => {
      abandoned.push(reason);
      return abandon instanceof Error ? Promise.reject(abandon) : Promise.resolve(abandon);
    },
    shutdown: () => undefined,
    abandonWrites: () => undefined,
  } as unknown as Dispatcher;
  return { d, abandoned };
}

describe('dispatchHandler (queue entry point)', () => {
  it('maps done to ack, defer to a deferral and retry to a retry', async () => {
    const counted: string[] = [];
    const run = (o: DispatchOutcome) =>
      dispatchHandler(fakeDispatcher(o).d, logger, 100, (c) => counted.push(c))(delivery(envelopeBody()));
    await expect(run({ kind: 'done', result: 'sent' })).resolves.toBe('ack');
    await expect(run({ kind: 'defer', inMs: 700, reason: 'pair rate' })).resolves.toEqual({ deferInMs: 700 });
    await expect(run({ kind: 'retry', inMs: 4000, reason: 'provider retryable' })).resolves.toEqual({
      retryInMs: 4000,
    });
    expect(counted).toEqual(['sent', 'defer: pair rate', 'retry: provider retryable']);
  });

  it('parks what is not an envelope, without touching any message', async () => {
    const { d, abandoned } = fakeDispatcher({ kind: 'done', result: 'sent' });
    const h = dispatchHandler(d, logger, 100);
    await expect(h(delivery(Buffer.from('not json')))).resolves.toBe('park');
    await expect(h(delivery(Buffer.from('{"schemaVersion":1}')))).resolves.toBe('park');
    expect(abandoned).toEqual([]);
  });

  it('when a retry is asked for on the last broker attempt, then the message is recorded FAILED first, then parked', async () => {
    const { d, abandoned } = fakeDispatcher({ kind: 'retry', inMs: 1000, reason: 'provider retryable' });
    await expect(dispatchHandler(d, logger, 5)(delivery(envelopeBody(), 5))).resolves.toBe('park');
    expect(abandoned).toEqual(['retries used up (provider retryable) (5 deliveries)']);
  });

  it('when every delivery throws, the last one is recorded FAILED and parked; earlier ones retry', async () => {
    const { d, abandoned } = fakeDispatcher(new Error('decrypt failed'));
    await expect(dispatchHandler(d, logger, 5)(delivery(envelopeBody(), 4))).resolves.toEqual({
      retryInMs: 0,
    });
    await expect(dispatchHandler(d, logger, 5)(delivery(envelopeBody(), 5))).resolves.toBe('park');
    expect(abandoned).toHaveLength(1);
  });

  it('when the database is unreachable, then the delivery is deferred, not retried, even on the last attempt', async () => {
    const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const counted: string[] = [];
    const { d, abandoned } = fakeDispatcher(down);
    for (const attempt of [1, 5])
      await expect(
        dispatchHandler(d, logger, 5, (c) => counted.push(c))(delivery(envelopeBody(), attempt)),
      ).resolves.toEqual({ deferInMs: 1000 });
    expect(abandoned).toEqual([]);
    expect(counted).toEqual(['defer: database unavailable', 'defer: database unavailable']);
  });

  it('when FAILED cannot be recorded (database down), then it is not parked but deferred, to try again later', async () => {
    const { d } = fakeDispatcher({ kind: 'retry', inMs: 1000, reason: 'x' }, new Error('database down'));
    await expect(dispatchHandler(d, logger, 5)(delivery(envelopeBody(), 5))).resolves.toEqual({
      deferInMs: 0,
    });
  });

  it('a deferral on the last attempt is still a deferral (deferrals are not attempts)', async () => {
    const { d, abandoned } = fakeDispatcher({ kind: 'defer', inMs: 1000, reason: 'number busy' });
    await expect(dispatchHandler(d, logger, 5)(delivery(envelopeBody(), 5))).resolves.toEqual({
      deferInMs: 1000,
    });
    expect(abandoned).toEqual([]);
  });
});
