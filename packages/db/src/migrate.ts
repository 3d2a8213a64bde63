import type { Knex } from 'knex';
import * as m0001 from './migrations/20261122000100_foundation';
import * as m0002 from './migrations/20261122000200_messages';
import * as m0003 from './migrations/20261201000100_dispatch_pacing';
import * as idempotencyExpiry from './migrations/20261201000200_idempotency_expiry';
import * as changeNotifications from './migrations/20261201000300_change_notifications';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** Migrations are listed explicitly so they run the same under tsx, ts-jest and a bundle. */
const MIGRATIONS: ReadonlyArray<readonly [string, Migration]> = [
  ['20261122000100_foundation', m0001],
  ['20261122000200_messages', m0002],
  ['20261201000100_dispatch_pacing', m0003],
  ['20261201000200_idempotency_expiry', idempotencyExpiry],
  ['20261201000300_change_notifications', changeNotifications],
];

const source: Knex.MigrationSource<Migration> = {
  getMigrations: () => Promise.resolve(MIGRATIONS.map(([, m]) => m)),
  getMigrationName: (m) => MIGRATIONS.find(([, candidate]) => candidate === m)?.[0] ?? 'unknown',
  getMigration: (m) => Promise.resolve(m),
};

/** Runs every pending migration; returns the names applied. Safe to run concurrently (knex lock). */
export async function migrateLatest(db: Knex): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource: source })) as [number, string[]];
  return applied;
}
