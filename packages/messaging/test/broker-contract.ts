/**
 * The behaviour every Broker adapter must have. Run against RabbitMQ and the in-memory broker
 * (rabbit-broker.test.ts, in-memory-broker.test.ts) so embedded mode cannot drift from
 * production.
 */
import { performance } from 'node:perf_hooks';
import type { Broker, Delivery, DeliveryHandler, HandlerOutcome } from '../src';
import { deferred, isSettledWithin, sleep, waitFor } from '@flowgate/testing';

export interface ContractBrokerOptions {
  delayTiersMs: readonly number[];
  maxAttempts?: number;
}

export interface BrokerUnderTest {
  broker: Broker;
  /** Closes the broker and removes whatever it created. */
  dispose(): Promise<void>;
}

export type BrokerFactory = (opts: ContractBrokerOptions) => Promise<BrokerUnderTest>;

/** Small tiers keep the suite fast; the semantics are the same as production's. */
const TIERS = [200, 500] as const;

function msg(id: string, text = id, headers?: Record<string, string | number>) {
  return {
    body: Buffer.from(text),
    messageId: id,
    contentType: 'text/plain',
    correlationId: `req-${id}`,
    headers,
  };
}

const ackAll: DeliveryHandler = () => Promise.resolve('ack');

/** Records deliveries; `outcome` decides what each one gets (default ack). */
function recorder(outcome: (d: Delivery) => HandlerOutcome | Promise<HandlerOutcome> = () => 'ack') {
  const deliveries: Array<Delivery & { at: number }> = [];
  const handler: DeliveryHandler = async (d) => {
    deliveries.push({ ...d, at: performance.now() });
    return outcome(d);
  };
  const ids = (): string[] => deliveries.map((d) => d.messageId ?? '?');
  return { deliveries, handler, ids };
}

export function describeBrokerContract(name: string, factory: BrokerFactory): void {
  describe(`${name} (Broker contract)`, () => {
    const open: BrokerUnderTest[] = [];

    async function makeBroker(opts: Partial<ContractBrokerOptions> = {}): Promise<Broker> {
      const created = await factory({ delayTiersMs: TIERS, ...opts });
      open.push(created);
      return created.broker;
    }

    afterEach(async () => {
      await Promise.all(open.splice(0).map((b) => b.dispose()));
    });

    test('When a message is published and consumed, then the handler gets it once and an ack removes it', async () => {
      const broker = await makeBroker();
      expect(broker.isHealthy()).toBe(true);
      const rec = recorder();
      await broker.consume(rec.handler, { prefetch: 5 });

      await broker.publish(msg('m-1', 'hello', { tenant: 'w1', n: 7 }));

      await waitFor('one delivery', () => rec.deliveries.length === 1);
      const d = rec.deliveries[0];
      expect(d?.body.toString()).toBe('hello');
      expect(d).toMatchObject({
        messageId: 'm-1',
        correlationId: 'req-m-1',
        contentType: 'text/plain',
        attempt: 1,
        redelivered: false,
        headers: { tenant: 'w1', n: 7 },
      });
      await waitFor('queues empty', async () => {
        const s = await broker.stats();
        return s.ready === 0 && s.parked === 0 && s.retrying === 0;
      });
      await sleep(150);
      expect(rec.deliveries).toHaveLength(1);
    });

    test('When 500 messages are published concurrently, then all are confirmed and each is consumed exactly once', async () => {
      const broker = await makeBroker();
      const rec = recorder();
      await broker.consume(rec.handler, { prefetch: 50 });
      const ids = Array.from({ length: 500 }, (_, i) => `bulk-${i}`);

      const results = await Promise.allSettled(ids.map((id) => broker.publish(msg(id))));

      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      await waitFor('500 deliveries', () => rec.deliveries.length >= 500, 20_000);
      await sleep(300); // room for a duplicate to show up
      const counts = new Map<string, number>();
      for (const id of rec.ids()) counts.set(id, (counts.get(id) ?? 0) + 1);
      expect(counts.size).toBe(500);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      expect(new Set(counts.keys())).toEqual(new Set(ids));
    });

    test('When publishBatch is used, then it reports one confirmed result per message, in order', async () => {
      const broker = await makeBroker();
      const results = await broker.publishBatch([
        msg('b-1'),
        msg('b-2'),
        { body: Buffer.from('x'), messageId: '' },
      ]);
      expect(results.map((r) => [r.messageId, r.ok])).toEqual([
        ['b-1', true],
        ['b-2', true],
        ['', false],
      ]);
      await waitFor('2 ready', async () => (await broker.stats()).ready === 2);
    });

    test('When handlers are slow, then no more than prefetch handlers run at once', async () => {
      const broker = await makeBroker();
      let inFlight = 0;
      let maxInFlight = 0;
      let done = 0;
      await broker.consume(
        async () => {
          inFlight += 1;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await sleep(30);
          inFlight -= 1;
          done += 1;
          return 'ack';
        },
        { prefetch: 3 },
      );

      await Promise.all(Array.from({ length: 20 }, (_, i) => broker.publish(msg(`pf-${i}`))));

      await waitFor('20 handled', () => done === 20);
      expect(maxInFlight).toBe(3);
    });

    test('When a handler asks for a retry, then the message comes back after at least the delay tier with attempt + 1', async () => {
      const broker = await makeBroker();
      let returnedAt = 0;
      const rec = recorder((d) => {
        if (d.attempt > 1) return 'ack';
        returnedAt = performance.now();
        return { retryInMs: 150 }; // rounds up to the 200 ms tier
      });
      await broker.consume(rec.handler, { prefetch: 5 });

      await broker.publish(msg('r-1', 'again', { tenant: 'w1' }));

      await waitFor('second delivery', () => rec.deliveries.length === 2);
      const second = rec.deliveries[1];
      // A few ms of slack: Node timers run on a loop clock that can lag performance.now().
      expect((second?.at ?? 0) - returnedAt).toBeGreaterThanOrEqual(TIERS[0] - 5);
      expect(second).toMatchObject({
        messageId: 'r-1',
        correlationId: 'req-r-1',
        attempt: 2,
        headers: { tenant: 'w1' },
      });
      expect(second?.body.toString()).toBe('again');
      await waitFor('retry queue drained', async () => (await broker.stats()).retrying === 0);
    });

    test('When a retry asks for longer than the largest tier, then the largest tier is used', async () => {
      const broker = await makeBroker();
      let returnedAt = 0;
      const rec = recorder((d) => {
        if (d.attempt > 1) return 'ack';
        returnedAt = performance.now();
        return { retryInMs: 60_000 };
      });
      await broker.consume(rec.handler, { prefetch: 1 });

      await broker.publish(msg('r-long'));

      await waitFor('second delivery', () => rec.deliveries.length === 2, 5_000);
      const waited = (rec.deliveries[1]?.at ?? 0) - returnedAt;
      expect(waited).toBeGreaterThanOrEqual(TIERS[1] - 5);
      expect(waited).toBeLessThan(5_000);
    });

    test('When a handler parks a message, then it lands on the parking queue and consuming continues', async () => {
      const broker = await makeBroker();
      const rec = recorder((d) => (d.messageId === 'poison' ? 'park' : 'ack'));
      await broker.consume(rec.handler, { prefetch: 2 });

      await broker.publish(msg('before'));
      await broker.publish(msg('poison'));
      await broker.publish(msg('after'));

      await waitFor('3 deliveries', () => rec.deliveries.length === 3);
      await waitFor('one parked, nothing else left', async () => {
        const s = await broker.stats();
        return s.parked === 1 && s.ready === 0 && s.retrying === 0;
      });
      await broker.publish(msg('later'));
      await waitFor('consuming continues', () => rec.ids().includes('later'));
      expect(rec.ids().filter((id) => id === 'poison')).toHaveLength(1);
    });

    test('When a handler throws, then the message is retried after the first tier, not lost or requeued at once', async () => {
      const broker = await makeBroker();
      let thrownAt = 0;
      const rec = recorder((d) => {
        if (d.attempt === 1) {
          thrownAt = performance.now();
          throw new Error('provider exploded');
        }
        return 'ack';
      });
      await broker.consume(rec.handler, { prefetch: 1 });

      await broker.publish(msg('boom'));

      await waitFor('retried', () => rec.deliveries.length === 2);
      expect(rec.deliveries[1]?.attempt).toBe(2);
      expect((rec.deliveries[1]?.at ?? 0) - thrownAt).toBeGreaterThanOrEqual(TIERS[0] - 5);
      await waitFor('settled', async () => {
        const s = await broker.stats();
        return s.ready === 0 && s.retrying === 0 && s.parked === 0;
      });
    });

    test('When a message keeps being retried, then it is parked once it reaches maxAttempts', async () => {
      const broker = await makeBroker({ maxAttempts: 3 });
      const rec = recorder((): HandlerOutcome => ({ retryInMs: 0 }));
      await broker.consume(rec.handler, { prefetch: 1 });

      await broker.publish(msg('forever'));

      await waitFor('parked', async () => (await broker.stats()).parked === 1, 5_000);
      expect(rec.deliveries.map((d) => d.attempt)).toEqual([1, 2, 3]);
    });

    test('When a handler defers a message, then it comes back after the delay tier with the same attempt and is never parked for it', async () => {
      const broker = await makeBroker({ maxAttempts: 2 });
      let deferredAt = 0;
      const rec = recorder((d): HandlerOutcome => {
        if (rec.deliveries.length > 4) return 'ack';
        deferredAt = performance.now();
        // 600 ms: the largest tier not above it (500), never rounded up as a retry would be.
        return d.attempt === 1 ? { deferInMs: 600 } : 'ack';
      });
      await broker.consume(rec.handler, { prefetch: 1 });

      await broker.publish(msg('d-1', 'later', { tenant: 'w1' }));

      await waitFor('five deliveries', () => rec.deliveries.length === 5, 10_000);
      // Four deferrals with maxAttempts 2: a retry would have parked it on the second.
      expect(rec.deliveries.map((d) => d.attempt)).toEqual([1, 1, 1, 1, 1]);
      const waited = (rec.deliveries[4]?.at ?? 0) - deferredAt;
      expect(waited).toBeGreaterThanOrEqual(TIERS[1] - 5);
      expect(waited).toBeLessThan(2_000);
      expect(rec.deliveries[4]).toMatchObject({ messageId: 'd-1', headers: { tenant: 'w1' } });
      await waitFor('settled, nothing parked', async () => {
        const s = await broker.stats();
        return s.ready === 0 && s.retrying === 0 && s.parked === 0;
      });
    });

    test('When consumers attach and stop, then stats() counts the live ones', async () => {
      const broker = await makeBroker();
      expect((await broker.stats()).consumers).toBe(0);
      const a = await broker.consume(ackAll, { prefetch: 1 });
      await broker.consume(ackAll, { prefetch: 1 });
      await waitFor('two consumers', async () => (await broker.stats()).consumers === 2);
      expect(await broker.consumerCount()).toBe(2);
      await a.stop();
      await waitFor('one consumer', async () => (await broker.stats()).consumers === 1);
    });

    test('When stop() is called, then it waits for in-flight handlers and nothing more is delivered', async () => {
      const broker = await makeBroker();
      const release = deferred();
      const started = deferred();
      const rec = recorder(async (): Promise<HandlerOutcome> => {
        started.resolve();
        await release.promise;
        return 'ack';
      });
      const consumer = await broker.consume(rec.handler, { prefetch: 5 });
      await broker.publish(msg('slow'));
      await started.promise;

      const stopping = consumer.stop();

      expect(await isSettledWithin(stopping, 150)).toBe(false);
      release.resolve();
      await stopping;
      await broker.publish(msg('after-stop'));
      await sleep(200);
      expect(rec.ids()).toEqual(['slow']);
      await waitFor('after-stop waits on the queue', async () => (await broker.stats()).ready === 1);
    });

    test('When a second consumer starts after the first stops, then it receives what is waiting', async () => {
      const broker = await makeBroker();
      const first = await broker.consume(ackAll, { prefetch: 1 });
      await first.stop();
      await broker.publish(msg('waiting'));
      const rec = recorder();

      await broker.consume(rec.handler, { prefetch: 1 });

      await waitFor('delivered to the second consumer', () => rec.deliveries.length === 1);
    });

    test('When the message is invalid, then publish rejects with INVALID_MESSAGE', async () => {
      const broker = await makeBroker();
      await expect(broker.publish({ body: Buffer.from('x'), messageId: '' })).rejects.toMatchObject({
        code: 'INVALID_MESSAGE',
      });
      await expect(
        broker.publish({ body: Buffer.from('x'), messageId: 'm', headers: { 'x-attempt': 9 } }),
      ).rejects.toMatchObject({ code: 'INVALID_MESSAGE' });
    });

    test('When the broker is closed, then it is unhealthy and publish and consume reject with BROKER_CLOSED', async () => {
      const broker = await makeBroker();
      await broker.close();
      expect(broker.isHealthy()).toBe(false);
      await expect(broker.publish(msg('late'))).rejects.toMatchObject({ code: 'BROKER_CLOSED' });
      await expect(broker.consume(ackAll, { prefetch: 1 })).rejects.toMatchObject({
        code: 'BROKER_CLOSED',
      });
    });
  });
}
