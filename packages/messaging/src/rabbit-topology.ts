/**
 * The RabbitMQ topology of a broker: its names, declaring it, and deleting it
 * (docs/adr/0004-broker-topology.md).
 */
import { connect } from 'amqplib';
import type { Channel } from 'amqplib';
import { DEFAULT_DELAY_TIERS_MS, normaliseDelayTiers } from './policy';

export interface RabbitTopology {
  /** Direct exchange the work is published to. */
  workExchange: string;
  workRoutingKey: string;
  /** Quorum queue the consumers read. */
  workQueue: string;
  /** Fanout exchange in front of the parking queue (also the work queue's dead-letter exchange). */
  parkingExchange: string;
  parkingQueue: string;
  /** One TTL'd quorum queue per delay tier, dead-lettering back to the work exchange. */
  retryQueues: readonly { delayMs: number; queue: string }[];
}

export function rabbitTopology(
  prefix = 'flowgate',
  delayTiersMs: readonly number[] = DEFAULT_DELAY_TIERS_MS,
): RabbitTopology {
  return {
    workExchange: `${prefix}.messages`,
    workRoutingKey: 'dispatch',
    workQueue: `${prefix}.dispatch`,
    parkingExchange: `${prefix}.parking`,
    parkingQueue: `${prefix}.parked`,
    retryQueues: normaliseDelayTiers(delayTiersMs).map((delayMs) => ({
      delayMs,
      queue: `${prefix}.retry.${delayMs}`,
    })),
  };
}

/**
 * RabbitMQ 3.10 starts a dead-letter worker for each quorum queue with at-least-once
 * dead-lettering; deleting the queue while that worker is still starting crashes it in a restart
 * loop until `rabbit_fifo_dlx_sup` gives up, after which no such queue can be declared on the
 * node until its app restarts (seen on the shared test broker). So a topology is never deleted
 * within moments of being declared.
 */
const SETTLE_BEFORE_DELETE_MS = 500;

/**
 * Deletes every queue and exchange of a topology, messages included (tests, benchmarks, retiring
 * an environment's prefix). Missing ones are fine. Never for a topology in use.
 */
export async function deleteRabbitTopology(url: string, t: RabbitTopology): Promise<void> {
  await deleteRabbitTopologies(url, [t]);
}

/** {@link deleteRabbitTopology} for many topologies over one connection (a test run's leftovers). */
export async function deleteRabbitTopologies(
  url: string,
  topologies: readonly RabbitTopology[],
): Promise<void> {
  if (topologies.length === 0) return;
  await new Promise((resolve) => setTimeout(resolve, SETTLE_BEFORE_DELETE_MS));
  const conn = await connect(url);
  try {
    const ch = await conn.createChannel();
    for (const t of topologies) {
      for (const q of [t.workQueue, t.parkingQueue, ...t.retryQueues.map((r) => r.queue)])
        await ch.deleteQueue(q);
      for (const x of [t.workExchange, t.parkingExchange]) await ch.deleteExchange(x);
    }
    await ch.close();
  } finally {
    await conn.close();
  }
}

/** Declares a topology (idempotent): exchanges, the work, parking and retry queues, and their bindings. */
export async function assertRabbitTopology(
  ch: Channel,
  t: RabbitTopology,
  deliveryLimit: number,
): Promise<void> {
  // Quorum queues: replicated, always durable. At-least-once dead-lettering (RabbitMQ 3.10+)
  // makes the retry → work and work → parking hops confirmed inside the broker; it requires
  // `reject-publish` overflow.
  const quorum = { 'x-queue-type': 'quorum' };
  const safeDeadLetter = { 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' };
  await ch.assertExchange(t.workExchange, 'direct', { durable: true });
  await ch.assertExchange(t.parkingExchange, 'fanout', { durable: true });
  await ch.assertQueue(t.parkingQueue, { durable: true, arguments: { ...quorum } });
  await ch.bindQueue(t.parkingQueue, t.parkingExchange, '');
  await ch.assertQueue(t.workQueue, {
    durable: true,
    arguments: {
      ...quorum,
      ...safeDeadLetter,
      'x-dead-letter-exchange': t.parkingExchange,
      'x-delivery-limit': deliveryLimit,
    },
  });
  await ch.bindQueue(t.workQueue, t.workExchange, t.workRoutingKey);
  for (const q of t.retryQueues) {
    await ch.assertQueue(q.queue, {
      durable: true,
      arguments: {
        ...quorum,
        ...safeDeadLetter,
        'x-message-ttl': q.delayMs,
        'x-dead-letter-exchange': t.workExchange,
        'x-dead-letter-routing-key': t.workRoutingKey,
      },
    });
  }
}
