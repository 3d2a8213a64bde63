import type { Knex } from 'knex';
import pg from 'pg';
import * as m0001 from './migrations/20261122000100_foundation';
import * as m0002 from './migrations/20261122000200_messages';
import * as m0003 from './migrations/20261201000100_dispatch_pacing';
import * as idempotencyExpiry from './migrations/20261201000200_idempotency_expiry';
import * as changeNotifications from './migrations/20261201000300_change_notifications';
import * as partnerEvents from './migrations/20261203000100_partner_events';
import * as metaEvents from './migrations/20261204000100_meta_events';
import * as partnerWebhooks from './migrations/20261204000200_partner_webhooks';
import * as partnerResources from './migrations/20261204000300_partner_resources';
import * as keyScopes from './migrations/20261204000400_key_scopes';
import * as broadcasts from './migrations/20261204000500_broadcasts';
import * as messageLog from './migrations/20261204000600_message_log';

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
  ['20261203000100_partner_events', partnerEvents],
  ['20261204000100_meta_events', metaEvents],
  ['20261204000200_partner_webhooks', partnerWebhooks],
  ['20261204000300_partner_resources', partnerResources],
  ['20261204000400_key_scopes', keyScopes],
  ['20261204000500_broadcasts', broadcasts],
  ['20261204000600_message_log', messageLog],
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

/**
 * Creates the database a PostgreSQL URL names, unless it exists, through the server's `postgres`
 * maintenance database (the test and benchmark set-ups; a deployment creates its database
 * itself). The name is refused unless it is letters, digits and underscores.
 */
export async function ensureDatabase(url: string): Promise<void> {
  const admin = new URL(url);
  const name = admin.pathname.slice(1);
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`unexpected database name "${name}"`);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
}
