import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Client } from 'pg';
import { loadConfig, type Config } from '@flowgate/config';
import { createDatabase, ensureDatabase, migrateLatest, type Database } from '@flowgate/db';
import { createLogger, type Logger } from '@flowgate/logger';

/** Connection strings the tests use; override with TEST_DATABASE_URL / TEST_AMQP_URL. */
export const TEST_DATABASE_URL =
  process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/flowgate_test';
export const TEST_AMQP_URL = process.env['TEST_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

/** The partner webhooks' retry schedule of the tests (testEnv): three attempts, short delays. */
export const TEST_WEBHOOK_RETRY_SCHEDULE_MS = '0,500,1000';

/** Creates the test database if needed and migrates it (once per Jest run, from globalSetup). */
export async function prepareTestDatabase(): Promise<void> {
  await ensureDatabase(TEST_DATABASE_URL);
  const db = createDatabase({ kind: 'postgres', url: TEST_DATABASE_URL }, { poolMax: 1 });
  try {
    await migrateLatest(db);
  } finally {
    await db.destroy();
  }
}

/** Environment for a test process against the shared test database (each test makes its own data). */
export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: TEST_DATABASE_URL,
    AMQP_URL: TEST_AMQP_URL,
    FLOWGATE_SECRET_KEY: randomBytes(32).toString('base64'),
    JWT_SECRET: randomBytes(32).toString('hex'),
    LOG_LEVEL: 'debug',
    // Partner webhooks: local receivers, and a schedule of seconds (deleteTopology knows it).
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    WEBHOOK_RETRY_SCHEDULE_MS: TEST_WEBHOOK_RETRY_SCHEDULE_MS,
    // Rate limits high enough for load tests; the rate-limit tests set their own.
    PARTNER_RATE_LIMIT_PER_SECOND: '1000000',
    PARTNER_RATE_LIMIT_BURST: '1000000',
    ...extra,
  };
}

export function testConfig(extra: Record<string, string> = {}): Config {
  return loadConfig(testEnv(extra));
}

export function testDatabase(): Database {
  return createDatabase({ kind: 'postgres', url: TEST_DATABASE_URL }, { poolMax: 5 });
}

/** A logger whose every line is kept, so tests can search the logs for leaked secrets. */
export function capturingLogger(
  service: string,
  secrets: readonly string[] = [],
): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { logger: createLogger({ service, level: 'debug', stream, secrets }), lines };
}

/**
 * A fresh, migrated database of its own on the shared server (dropped by `drop`), for tests whose
 * processes run an outbox relay (on the shared test database it would republish other tests'
 * messages to their queues) or that cut the database's connections.
 */
export async function isolatedDatabase(
  label: string,
): Promise<{ name: string; url: string; db: Database; drop(): Promise<void> }> {
  const name = `flowgate_${label}_${randomBytes(6).toString('hex')}`;
  const admin = new URL(TEST_DATABASE_URL);
  admin.pathname = '/postgres';
  const run = async (sql: string): Promise<void> => {
    const client = new Client({ connectionString: admin.toString() });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await run(`CREATE DATABASE "${name}"`);
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  const db = createDatabase({ kind: 'postgres', url: url.toString() }, { poolMax: 4 });
  await migrateLatest(db);
  return {
    name,
    url: url.toString(),
    db,
    drop: async () => {
      await db.destroy();
      await run(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}
