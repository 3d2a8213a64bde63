import amqp from 'amqplib';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deleteRabbitTopologies, rabbitTopology, type RabbitTopology } from '@flowgate/messaging';
import { webhookDelayTiers } from '@flowgate/runtime';
import { TEST_AMQP_URL, TEST_WEBHOOK_RETRY_SCHEDULE_MS } from './test-env';

/**
 * The file where this test run records every prefix it hands out (set by the Jest global setup,
 * read by its teardown). Quorum queues are costly to the broker: a shared RabbitMQ holding a few
 * hundred left behind by interrupted or careless runs stopped answering handshakes on this machine.
 */
export const TOPOLOGY_LOG_ENV = 'FLOWGATE_TEST_TOPOLOGY_LOG';
const TOPOLOGY_LOG_DIR = path.join(tmpdir(), 'flowgate-test-topologies');

/** A unique exchange/queue prefix, so concurrent test files never share queues. */
export const uniquePrefix = (label = 't'): string => {
  const prefix = `test.${label}.${randomUUID().slice(0, 8)}`;
  const log = process.env[TOPOLOGY_LOG_ENV];
  if (log !== undefined) appendFileSync(log, `${prefix}\n`);
  return prefix;
};

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const topologiesOf = (prefix: string, webhookSchedule: string): RabbitTopology[] => [
  rabbitTopology(prefix),
  rabbitTopology(`${prefix}.meta`),
  rabbitTopology(`${prefix}.broadcasts`),
  rabbitTopology(`${prefix}.webhooks`, webhookDelayTiers(webhookSchedule.split(',').map(Number))),
];

/**
 * Opens this run's prefix log (in the environment, so test workers inherit it), after deleting the
 * topologies of earlier runs whose process is gone (a run killed before its teardown). Returns the
 * number of such prefixes deleted. `dir` is for the test of this mechanism.
 */
export async function openTopologyLog(dir = TOPOLOGY_LOG_DIR): Promise<number> {
  mkdirSync(dir, { recursive: true });
  let swept = 0;
  for (const name of readdirSync(dir)) {
    const pid = Number(name.split('-')[0]);
    if (Number.isInteger(pid) && isAlive(pid)) continue;
    swept += await deleteLoggedTopologies(path.join(dir, name));
  }
  const log = path.join(dir, `${process.pid}-${randomUUID().slice(0, 8)}`);
  appendFileSync(log, '');
  process.env[TOPOLOGY_LOG_ENV] = log;
  return swept;
}

/** Deletes every topology of this run's prefixes (those closed already are no-ops), then the log. */
export async function closeTopologyLog(): Promise<number> {
  const log = process.env[TOPOLOGY_LOG_ENV];
  if (log === undefined) return 0;
  delete process.env[TOPOLOGY_LOG_ENV];
  return deleteLoggedTopologies(log);
}

async function deleteLoggedTopologies(log: string): Promise<number> {
  let prefixes: string[] = [];
  try {
    prefixes = [
      ...new Set(
        readFileSync(log, 'utf8')
          .split('\n')
          .filter((p) => p.startsWith('test.')),
      ),
    ];
  } catch {
    return 0;
  }
  await deleteRabbitTopologies(
    TEST_AMQP_URL,
    prefixes.flatMap((p) => topologiesOf(p, TEST_WEBHOOK_RETRY_SCHEDULE_MS)),
  );
  rmSync(log, { force: true });
  return prefixes.length;
}

/**
 * Deletes every queue and exchange of a prefix's topology, and of its Meta, broadcast and webhook
 * hops (`<prefix>.meta`, `<prefix>.broadcasts`, `<prefix>.webhooks`, the latter with the tests' schedule or `webhookSchedule`).
 */
export async function deleteTopology(
  prefix: string,
  webhookSchedule = TEST_WEBHOOK_RETRY_SCHEDULE_MS,
): Promise<void> {
  await deleteRabbitTopologies(TEST_AMQP_URL, topologiesOf(prefix, webhookSchedule));
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
