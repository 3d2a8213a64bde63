/**
 * Jest global teardown: deletes the RabbitMQ topology of every prefix this run handed out, so the
 * shared broker does not collect quorum queues run after run (see `openTopologyLog`).
 */
import { closeTopologyLog } from '@flowgate/testing';

export default async function globalTeardown(): Promise<void> {
  await closeTopologyLog();
}
