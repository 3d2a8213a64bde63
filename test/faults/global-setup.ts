/**
 * Fault-suite global setup: a private PostgreSQL cluster and RabbitMQ node for this run (the
 * scenarios stop and restart them; the machine's shared instances are never touched), the
 * suite's database migrated once. Scenarios find them through the state file named by
 * FLOWGATE_FAULTS_STATE. The global teardown stops them; a watchdog does it if the run dies.
 */
import path from 'node:path';
import { createDatabase, migrateLatest } from '@flowgate/db';
import { startInstances, stopInstances, STATE_ENV } from './support/instances';

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const state = await startInstances();
  try {
    const db = createDatabase({ kind: 'postgres', url: state.postgres.url }, { poolMax: 1 });
    try {
      await migrateLatest(db);
    } finally {
      await db.destroy();
    }
  } catch (err) {
    await stopInstances(state);
    throw err;
  }
  process.env[STATE_ENV] = path.join(state.dir, 'state.json');
  process.stdout.write(
    `\nfault suite: private PostgreSQL on 127.0.0.1:${state.postgres.port}, RabbitMQ node ${state.rabbit.node} on 127.0.0.1:${state.rabbit.port} (up in ${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
  );
}
