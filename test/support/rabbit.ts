import amqp from 'amqplib';
import { randomUUID } from 'node:crypto';
import { rabbitTopology } from '@flowgate/messaging';
import { TEST_AMQP_URL } from './test-env';

/** A unique exchange/queue prefix, so concurrent test files never share queues. */
export const uniquePrefix = (label = 't'): string => `test.${label}.${randomUUID().slice(0, 8)}`;

/**
 * RabbitMQ 3.10 starts a dead-letter worker for each quorum queue with at-least-once
 * dead-lettering; deleting the queue while that worker is still starting crashes it in a restart
 * loop until `rabbit_fifo_dlx_sup` gives up, after which no such queue can be declared on the node
 * until the app restarts. So a topology is never deleted within moments of being declared.
 */
const SETTLE_BEFORE_DELETE_MS = 500;

/** Deletes every queue and exchange of a prefix's topology. */
export async function deleteTopology(prefix: string): Promise<void> {
  const t = rabbitTopology(prefix);
  await new Promise((resolve) => setTimeout(resolve, SETTLE_BEFORE_DELETE_MS));
  const conn = await amqp.connect(TEST_AMQP_URL);
  try {
    const ch = await conn.createChannel();
    for (const q of [t.workQueue, t.parkingQueue, ...t.retryQueues.map((r) => r.queue)])
      await ch.deleteQueue(q);
    for (const x of [t.workExchange, t.parkingExchange]) await ch.deleteExchange(x);
    await ch.close();
  } finally {
    await conn.close();
  }
}

/** Reads (and removes) every message waiting on the prefix's work queue. */
export async function drainWorkQueue(
  prefix: string,
): Promise<Array<{ body: unknown; messageId: string | undefined }>> {
  const t = rabbitTopology(prefix);
  const conn = await amqp.connect(TEST_AMQP_URL);
  const out: Array<{ body: unknown; messageId: string | undefined }> = [];
  try {
    const ch = await conn.createChannel();
    for (;;) {
      const msg = await ch.get(t.workQueue, { noAck: true });
      if (msg === false) break;
      out.push({
        body: JSON.parse(msg.content.toString('utf8')) as unknown,
        messageId: msg.properties.messageId as string | undefined,
      });
    }
    await ch.close();
  } finally {
    await conn.close();
  }
  return out;
}
