import amqp from 'amqplib';
import { randomUUID } from 'node:crypto';
import { deleteRabbitTopology, rabbitTopology } from '@flowgate/messaging';
import { webhookDelayTiers } from '@flowgate/runtime';
import { TEST_AMQP_URL, TEST_WEBHOOK_RETRY_SCHEDULE_MS } from './test-env';

/** A unique exchange/queue prefix, so concurrent test files never share queues. */
export const uniquePrefix = (label = 't'): string => `test.${label}.${randomUUID().slice(0, 8)}`;

/**
 * Deletes every queue and exchange of a prefix's topology, and of its Meta, broadcast and webhook
 * hops (`<prefix>.meta`, `<prefix>.broadcasts`, `<prefix>.webhooks`, the latter with the tests' schedule or `webhookSchedule`).
 */
export async function deleteTopology(
  prefix: string,
  webhookSchedule = TEST_WEBHOOK_RETRY_SCHEDULE_MS,
): Promise<void> {
  await deleteRabbitTopology(TEST_AMQP_URL, rabbitTopology(prefix));
  await deleteRabbitTopology(TEST_AMQP_URL, rabbitTopology(`${prefix}.meta`));
  await deleteRabbitTopology(TEST_AMQP_URL, rabbitTopology(`${prefix}.broadcasts`));
  await deleteRabbitTopology(
    TEST_AMQP_URL,
    rabbitTopology(`${prefix}.webhooks`, webhookDelayTiers(webhookSchedule.split(',').map(Number))),
  );
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
