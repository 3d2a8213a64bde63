/**
 * Jest global setup: make sure the test database exists and is migrated, once per run.
 * Services must be reachable: a missing PostgreSQL or RabbitMQ fails the run loudly instead of
 * skipping tests (`.ci/run` starts them first).
 */
import { prepareTestDatabase } from '@flowgate/testing';

export default async function globalSetup(): Promise<void> {
  await prepareTestDatabase();
}
