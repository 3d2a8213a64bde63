/**
 * Jest global setup: make sure the test database exists and is migrated, once per run, and open
 * the run's RabbitMQ prefix log (the global teardown deletes every queue the run declared).
 * Services must be reachable: a missing PostgreSQL or RabbitMQ fails the run loudly instead of
 * skipping tests (`.ci/run` starts them first).
 */
import { openTopologyLog, prepareTestDatabase } from '@flowgate/testing';

export default async function globalSetup(): Promise<void> {
  await prepareTestDatabase();
  const swept = await openTopologyLog();
  if (swept > 0)
    process.stdout.write(`\nglobal setup: deleted the queues of ${swept} prefixes left by runs that died\n`);
}
