import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { connect } from 'amqplib';
import {
  createRabbitBroker,
  deleteRabbitTopology,
  rabbitTopology,
  type Broker,
  type Delivery,
  type RabbitBroker,
  type RabbitBrokerOptions,
} from '../src';
import { TEST_AMQP_URL } from '@flowgate/testing';
import { describeBrokerContract } from './broker-contract';
import { closeConnectionsNamed, listQueues } from './support/rabbit';
import { TcpProxy } from '@flowgate/testing';
import { createTestLogger } from './support/test-logger';
import { deferred, sleep, waitFor } from '@flowgate/testing';

const uniquePrefix = (): string => `test.msg.${randomUUID().slice(0, 8)}`;

describeBrokerContract('RabbitBroker', async ({ delayTiersMs, maxAttempts }) => {
  const broker = await createRabbitBroker({
    url: TEST_AMQP_URL,
    prefix: uniquePrefix(),
    logger: createTestLogger(),
    delayTiersMs,
    maxAttempts,
    publishTimeoutMs: 5_000,
  });
  return {
    broker,
    dispose: async () => {
      await broker.close();
      await deleteRabbitTopology(TEST_AMQP_URL, broker.topology);
    },
  };
});

function urlThrough(proxy: TcpProxy, query = ''): string {
  const u = new URL(TEST_AMQP_URL);
  u.hostname = '127.0.0.1';
  u.port = String(proxy.port);
  u.search = query;
  return u.toString();
}

describe('RabbitBroker (RabbitMQ only)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function makeBroker(overrides: Partial<RabbitBrokerOptions> = {}): Promise<RabbitBroker> {
    const broker = await createRabbitBroker({
      url: TEST_AMQP_URL,
      prefix: uniquePrefix(),
      logger: createTestLogger(),
      delayTiersMs: [200, 500],
      publishTimeoutMs: 5_000,
      reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
      ...overrides,
    });
    cleanups.push(async () => {
      await broker.close();
      await deleteRabbitTopology(TEST_AMQP_URL, broker.topology);
    });
    return broker;
  }

  async function makeProxy(): Promise<TcpProxy> {
    const u = new URL(TEST_AMQP_URL);
    const proxy = await TcpProxy.start(u.hostname, Number(u.port || 5672));
    cleanups.push(() => proxy.close());
    return proxy;
  }

  function collect(broker: Broker, prefetch = 10): Promise<{ ids: string[] }> {
    const ids: string[] = [];
    return broker
      .consume(
        (d) => {
          ids.push(d.messageId ?? '?');
          return Promise.resolve('ack');
        },
        { prefetch },
      )
      .then(() => ({ ids }));
  }

  const batch = (tag: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({ body: Buffer.from(`${tag}-${i}`), messageId: `${tag}-${i}` }));

  test('When it connects, then it declares durable quorum queues with TTL tiers and dead-lettering', async () => {
    const broker = await makeBroker({ delayTiersMs: [500, 200], deliveryLimit: 7 });
    const t = broker.topology;

    const queues = new Map(
      (await listQueues(t.workQueue.replace(/\.dispatch$/, ''))).map((q) => [q.name, q]),
    );

    expect([...queues.keys()].sort()).toEqual(
      [
        t.workQueue,
        t.parkingQueue,
        `${t.workQueue.replace(/dispatch$/, '')}retry.200`,
        `${t.workQueue.replace(/dispatch$/, '')}retry.500`,
      ].sort(),
    );
    for (const q of queues.values()) {
      expect(q).toMatchObject({ type: 'quorum', durable: true });
    }
    expect(queues.get(t.workQueue)?.arguments).toMatchObject({
      'x-dead-letter-exchange': t.parkingExchange,
      'x-dead-letter-strategy': 'at-least-once',
      'x-delivery-limit': 7,
    });
    expect(queues.get(t.retryQueues[0]?.queue ?? '')?.arguments).toMatchObject({
      'x-message-ttl': 200,
      'x-dead-letter-exchange': t.workExchange,
      'x-dead-letter-routing-key': t.workRoutingKey,
    });
  });

  test('When a message is published, then it is stored persistent with its id and attempt header', async () => {
    const broker = await makeBroker();
    await broker.publish({
      body: Buffer.from('{}'),
      messageId: 'persist-1',
      contentType: 'application/json',
    });

    const conn = await connect(TEST_AMQP_URL);
    try {
      const ch = await conn.createChannel();
      const got = await ch.get(broker.topology.workQueue, { noAck: true });
      expect(got).not.toBe(false);
      if (got === false) return;
      expect(got.properties).toMatchObject({
        deliveryMode: 2,
        messageId: 'persist-1',
        contentType: 'application/json',
      });
      expect(got.properties.headers).toMatchObject({ 'x-attempt': 1 });
      await ch.close();
    } finally {
      await conn.close();
    }
  });

  test('When the work queue has disappeared, then publish rejects as unroutable instead of confirming', async () => {
    const broker = await makeBroker();
    // Not at once after declaring it: RabbitMQ 3.10's dead-letter worker must have started
    // (support/rabbit.ts, SETTLE_BEFORE_DELETE_MS).
    await new Promise((r) => setTimeout(r, 500));
    const conn = await connect(TEST_AMQP_URL);
    try {
      const ch = await conn.createChannel();
      await ch.deleteQueue(broker.topology.workQueue);
      await ch.close();
    } finally {
      await conn.close();
    }

    await expect(broker.publish({ body: Buffer.from('x'), messageId: 'nowhere' })).rejects.toMatchObject({
      code: 'PUBLISH_UNROUTABLE',
    });
  });

  test('When RabbitMQ force-closes the connection, then the broker reconnects and the consumer resumes', async () => {
    const logger = createTestLogger();
    const connectionName = `test-${randomUUID()}`;
    const broker = await makeBroker({ logger, connectionName });
    const seen = await collect(broker);
    await broker.publishBatch(batch('before', 5));
    await waitFor('first batch consumed', () => seen.ids.length === 5);

    expect(await closeConnectionsNamed(connectionName)).toBe(1);

    await waitFor('disconnect noticed', () => logger.has('warn', 'disconnected from RabbitMQ'));
    await waitFor('healthy again', () => broker.isHealthy());
    const results = await broker.publishBatch(batch('after', 5));
    expect(results.every((r) => r.ok)).toBe(true);
    await waitFor('second batch consumed by the re-established consumer', () =>
      batch('after', 5).every((m) => seen.ids.includes(m.messageId)),
    );
    expect(logger.has('info', 'reconnecting to RabbitMQ')).toBe(true);
  });

  test('When the network to RabbitMQ is lost, then publish rejects fast, and everything flows again once it is back', async () => {
    const proxy = await makeProxy();
    const prefix = uniquePrefix();
    const broker = await makeBroker({ url: urlThrough(proxy), prefix });
    // A second instance on a direct connection keeps publishing during the outage.
    const other = await createRabbitBroker({
      url: TEST_AMQP_URL,
      prefix,
      logger: createTestLogger(),
      delayTiersMs: [200, 500],
    });
    cleanups.push(() => other.close());
    const seen = await collect(broker);
    await broker.publishBatch(batch('before', 5));
    await waitFor('first batch consumed', () => seen.ids.length === 5);

    proxy.refuse();

    await waitFor('unhealthy', () => !broker.isHealthy());
    const started = performance.now();
    await expect(broker.publish({ body: Buffer.from('x'), messageId: 'during' })).rejects.toMatchObject({
      code: 'BROKER_UNAVAILABLE',
    });
    // Fast means not waiting for a confirm (the publish timeout is 10 s): 1 s leaves room for a
    // stall of this test's event loop on the two shared cores.
    expect(performance.now() - started).toBeLessThan(1_000);
    await expect(broker.stats()).rejects.toMatchObject({ code: 'BROKER_UNAVAILABLE' });
    await other.publishBatch(batch('outage', 5));
    await sleep(300);
    expect(seen.ids).toHaveLength(5);

    proxy.accept();

    await waitFor('healthy again', () => broker.isHealthy(), 10_000);
    await broker.publishBatch(batch('after', 5));
    const expected = [...batch('before', 5), ...batch('outage', 5), ...batch('after', 5)].map(
      (m) => m.messageId,
    );
    await waitFor('every message consumed', () => expected.every((id) => seen.ids.includes(id)));
    expect(seen.ids).not.toContain('during');
  });

  test('When the connection stalls, then publish rejects with a timeout rather than hanging, and the broker recovers', async () => {
    const proxy = await makeProxy();
    const logger = createTestLogger();
    const broker = await makeBroker({
      url: urlThrough(proxy, '?heartbeat=1'),
      logger,
      publishTimeoutMs: 400,
    });
    await broker.publish({ body: Buffer.from('x'), messageId: 'ok-1' });

    proxy.stall();
    const started = performance.now();
    await expect(broker.publish({ body: Buffer.from('x'), messageId: 'stalled' })).rejects.toMatchObject({
      code: 'PUBLISH_TIMEOUT',
    });
    expect(performance.now() - started).toBeLessThan(1_500);

    // Missed heartbeats end the half-dead connection; recovery opens a new one.
    proxy.unstall();
    proxy.dropConnections();
    await waitFor('disconnect noticed', () => !broker.isHealthy());
    await waitFor('healthy again', () => broker.isHealthy(), 10_000);
    await broker.publish({ body: Buffer.from('x'), messageId: 'ok-2' });
  });

  test('When the connection dies mid-handler, then the message is redelivered (flagged) after reconnecting, not lost', async () => {
    const proxy = await makeProxy();
    const logger = createTestLogger();
    const broker = await makeBroker({ url: urlThrough(proxy), logger });
    const release = deferred();
    const deliveries: Delivery[] = [];
    await broker.consume(
      async (d) => {
        deliveries.push(d);
        if (deliveries.length === 1) await release.promise;
        return 'ack';
      },
      { prefetch: 1 },
    );
    await broker.publish({ body: Buffer.from('x'), messageId: 'mid-flight' });
    await waitFor('first delivery', () => deliveries.length === 1);

    proxy.dropConnections();
    await waitFor('disconnect noticed', () => !broker.isHealthy());
    release.resolve();

    await waitFor('redelivered', () => deliveries.length === 2, 10_000);
    expect(deliveries[1]).toMatchObject({ messageId: 'mid-flight', attempt: 1, redelivered: true });
    expect(logger.has('warn', 'the broker will redeliver')).toBe(true);
    await waitFor('settled', async () => broker.isHealthy() && (await broker.stats()).ready === 0);
  });

  test('When a message keeps killing its consumer, then RabbitMQ parks it after the delivery limit', async () => {
    const proxy = await makeProxy();
    const broker = await makeBroker({ url: urlThrough(proxy), deliveryLimit: 1 });
    let deliveries = 0;
    await broker.consume(
      async () => {
        deliveries += 1;
        proxy.dropConnections(); // the "crash": the connection dies before the ack
        await sleep(50);
        return 'ack';
      },
      { prefetch: 1 },
    );

    await broker.publish({ body: Buffer.from('x'), messageId: 'killer' });

    const parked = async (): Promise<boolean> => {
      try {
        return (await broker.stats()).parked === 1;
      } catch {
        return false; // the stats channel died with the connection
      }
    };
    await waitFor('parked by the broker', parked, 15_000);
    expect(deliveries).toBeGreaterThanOrEqual(2);
  });

  test('When RabbitMQ cannot be reached at start, then createRabbitBroker fails after its retry budget', async () => {
    const proxy = await makeProxy();
    proxy.refuse();
    const started = performance.now();

    await expect(
      createRabbitBroker({
        url: urlThrough(proxy),
        prefix: uniquePrefix(),
        logger: createTestLogger(),
        reconnect: { initialDelayMs: 20, maxDelayMs: 50, initialMaxRetries: 2 },
      }),
    ).rejects.toMatchObject({ code: 'BROKER_UNAVAILABLE' });
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  test('When started without waiting and RabbitMQ is unreachable, then it is unhealthy and connects once RabbitMQ is back', async () => {
    const proxy = await makeProxy();
    proxy.refuse();
    const broker = await makeBroker({ url: urlThrough(proxy), waitForConnection: false });
    expect(broker.isHealthy()).toBe(false);
    await expect(broker.publish({ body: Buffer.from('x'), messageId: 'early' })).rejects.toMatchObject({
      code: 'BROKER_UNAVAILABLE',
    });
    const seen = await collect(broker);

    proxy.accept();

    await waitFor('connected', () => broker.isHealthy(), 10_000);
    await broker.publish({ body: Buffer.from('x'), messageId: 'late' });
    await waitFor('consumer registered while offline receives it', () => seen.ids.includes('late'));
  });

  test('rabbitTopology names every exchange and queue from the prefix', () => {
    expect(rabbitTopology('fg', [5_000, 1_000])).toEqual({
      workExchange: 'fg.messages',
      workRoutingKey: 'dispatch',
      workQueue: 'fg.dispatch',
      parkingExchange: 'fg.parking',
      parkingQueue: 'fg.parked',
      retryQueues: [
        { delayMs: 1_000, queue: 'fg.retry.1000' },
        { delayMs: 5_000, queue: 'fg.retry.5000' },
      ],
    });
  });
});
