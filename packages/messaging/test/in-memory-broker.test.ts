import { createInMemoryBroker, pickDelayTier } from '../src';
import { describeBrokerContract } from './broker-contract';
import { createTestLogger } from './support/test-logger';
import { waitFor } from '@flowgate/testing';

describeBrokerContract('InMemoryBroker', ({ delayTiersMs, maxAttempts }) => {
  const broker = createInMemoryBroker({ logger: createTestLogger(), delayTiersMs, maxAttempts });
  return Promise.resolve({ broker, dispose: () => broker.close() });
});

describe('InMemoryBroker (in-process only)', () => {
  test('When a message is parked, then parkedMessages() shows it with its reason', async () => {
    const broker = createInMemoryBroker({ logger: createTestLogger(), delayTiersMs: [100] });
    await broker.consume(() => Promise.resolve('park'), { prefetch: 1 });
    await broker.publish({ body: Buffer.from('x'), messageId: 'p-1' });
    await waitFor('parked', () => broker.parkedMessages().length === 1);
    expect(broker.parkedMessages()[0]).toMatchObject({ messageId: 'p-1', reason: 'handler', attempt: 1 });
    await broker.close();
  });

  test('When the caller reuses its buffer after publish, then the queued message is unchanged', async () => {
    const broker = createInMemoryBroker({ logger: createTestLogger() });
    const body = Buffer.from('abc');
    await broker.publish({ body, messageId: 'copy' });
    body.write('zzz');
    const seen: string[] = [];
    await broker.consume(
      (d) => {
        seen.push(d.body.toString());
        return Promise.resolve('ack');
      },
      { prefetch: 1 },
    );
    await waitFor('delivered', () => seen.length === 1);
    expect(seen).toEqual(['abc']);
    await broker.close();
  });

  test('When closed with retries pending, then their timers are cleared and close resolves', async () => {
    const logger = createTestLogger();
    const broker = createInMemoryBroker({ logger, delayTiersMs: [60_000] });
    await broker.consume(() => Promise.resolve({ retryInMs: 1 }), { prefetch: 1 });
    await broker.publish({ body: Buffer.from('x'), messageId: 'pending' });
    await waitFor('retrying', async () => (await broker.stats()).retrying === 1);
    await broker.close();
    expect(await broker.stats()).toMatchObject({ retrying: 0 });
    expect(logger.has('warn', 'dropped')).toBe(true);
  });
});

describe('pickDelayTier', () => {
  const tiers = [1_000, 5_000, 30_000, 120_000, 600_000];
  test.each([
    [0, 1_000],
    [1, 1_000],
    [1_000, 1_000],
    [1_001, 5_000],
    [29_999, 30_000],
    [120_000, 120_000],
    [600_001, 600_000],
  ])('When %i ms is requested, then the %i ms tier is used', (requested, tier) => {
    expect(pickDelayTier(tiers, requested)).toBe(tier);
  });
});
