/**
 * The benchmark's data and infrastructure: its own database (created and migrated if missing,
 * emptied at the start of a run), a workspace seeded through @flowgate/core, and a RabbitMQ
 * topology under a prefix of its own that is deleted at the end.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import type amqplibModule from 'amqplib';
import { createDatabase, ensureDatabase, migrateLatest, TokenCipher, type Database } from '@flowgate/db';
import {
  apiKeyService,
  createArgon2Hasher,
  createLocalRevocationBus,
  phoneNumberService,
  templateService,
  workspaceService,
  type Hasher,
  createStores,
} from '@flowgate/core';
import { deleteRabbitTopology, rabbitTopology } from '@flowgate/messaging';

// amqplib is a dependency of @flowgate/messaging, not of the repository root: load that copy.
const fromMessaging = createRequire(path.resolve(__dirname, '../../packages/messaging/package.json'));
const amqplib = fromMessaging('amqplib') as typeof amqplibModule;

export const BENCH_DATABASE_URL =
  process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/flowgate_bench';
export const BENCH_AMQP_URL = process.env['BENCH_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
export const RETRY_DELAYS_MS = [1000, 5000, 30000];

/** OWASP's minimum argon2id parameters (the production floor; config refuses anything lower). */
export const ARGON2_PARAMS = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

/** Creates the bench database if needed, migrates it, and empties it (it belongs to the benchmark). */
export async function prepareDatabase(opts: { keepData: boolean }): Promise<Database> {
  await ensureDatabase(BENCH_DATABASE_URL);
  const db = createDatabase({ kind: 'postgres', url: BENCH_DATABASE_URL }, { poolMax: 4 });
  await migrateLatest(db);
  // Every run starts from empty tables so that runs compare (index sizes, table bloat).
  if (!opts.keepData) await db.raw('TRUNCATE workspaces, users CASCADE');
  return db;
}

export interface Seeded {
  workspaceId: string;
  phoneNumberId: string;
  /** The number's id at the provider (Meta's `phone_number_id`, the sandbox's path segment). */
  providerPhoneNumberId: string;
  apiKeyId: string;
  apiKey: string;
  apiSecret: string;
  headers: Record<string, string>;
}

const TEMPLATES = [
  {
    name: 'order_confirmation',
    language: 'en_US',
    category: 'UTILITY',
    status: 'APPROVED',
    components: [{ type: 'BODY', text: 'Hi {{1}}, your order {{2}} arrives {{3}}.' }],
  },
  {
    name: 'payment_thank_you',
    language: 'en_US',
    category: 'UTILITY',
    status: 'APPROVED',
    components: [
      { type: 'BODY', text: 'Dear {{1}}, we received {{2}} for invoice {{3}}. Thank you, {{4}}.' },
    ],
  },
];

/** A workspace with one sandbox sending number, two approved templates and an API key. */
export async function seedWorkspace(
  db: Database,
  secretKey: Buffer,
  label: string,
  hasher: Hasher,
): Promise<Seeded> {
  const { workspaceId } = await workspaceService(createStores(db), hasher).createWorkspace({
    name: `bench-${label}`,
    ownerEmail: `bench-${randomUUID()}@example.test`,
    ownerPassword: randomBytes(18).toString('base64url'),
  });
  const providerPhoneNumberId = String(100000000000000 + Math.floor(Math.random() * 1e14));
  const { phoneNumberId } = await phoneNumberService(createStores(db), new TokenCipher(secretKey)).add({
    workspaceId,
    providerPhoneNumberId,
    displayPhoneNumber: '+15550001234',
    accessToken: `bench-token-${randomUUID()}`,
    isDefault: true,
  });
  for (const t of TEMPLATES) await templateService(createStores(db)).add(workspaceId, t);
  const key = await apiKeyService(createStores(db), hasher, createLocalRevocationBus()).create({
    workspaceId,
    label,
  });
  return {
    workspaceId,
    phoneNumberId,
    providerPhoneNumberId,
    apiKeyId: key.id,
    apiKey: key.apiKey,
    apiSecret: key.apiSecret,
    headers: { 'content-type': 'application/json', apiKey: key.apiKey, apiSecret: key.apiSecret },
  };
}

export function benchHasher(): Hasher {
  return createArgon2Hasher(ARGON2_PARAMS);
}

/** A unique AMQP prefix for this run (AMQP_PREFIX's pattern: lowercase, digits, `._-`). */
export function uniquePrefix(): string {
  return `bench.${randomUUID().slice(0, 8)}`;
}

/** Messages of a workspace not yet final (still on their way to the provider). */
export async function pendingCount(db: Database, workspaceId: string): Promise<number> {
  const row = await db('messages')
    .where({ workspace_id: workspaceId })
    .whereIn('status', ['ACCEPTED', 'QUEUED', 'SENDING'])
    .count<{ count: number }>({ count: '*' })
    .first();
  return Number(row?.count ?? 0);
}

/** Fails fast, with a plain message, when RabbitMQ is not reachable. */
export async function checkBroker(): Promise<void> {
  try {
    const conn = await amqplib.connect(BENCH_AMQP_URL);
    await conn.close();
  } catch (err) {
    throw new Error(
      `RabbitMQ is not reachable at ${new URL(BENCH_AMQP_URL).host} (${err instanceof Error ? err.message : String(err)}); set BENCH_AMQP_URL`,
    );
  }
}

/** Deletes every queue and exchange of a prefix's topology (idempotent; missing ones are fine). */
export function deleteTopology(prefix: string): Promise<void> {
  return deleteRabbitTopology(BENCH_AMQP_URL, rabbitTopology(prefix, RETRY_DELAYS_MS));
}

/**
 * `VACUUM (ANALYZE)` of the database before a step, as pgbench does before its runs: a bench
 * compresses hours of traffic into minutes, faster than autovacuum's one-minute cadence, so
 * without it each step would also measure the dead rows the steps before it left (every message,
 * status and partner event is updated at least once). Returns the seconds it took.
 */
export async function vacuum(db: Database): Promise<number> {
  const started = performance.now();
  await db.raw('VACUUM (ANALYZE)');
  return (performance.now() - started) / 1000;
}
