import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect } from 'amqplib';
import { createRabbitBroker, rabbitTopology } from '@flowgate/messaging';
import { createLogger } from '@flowgate/logger';
import { closeTopologyLog, openTopologyLog, TEST_AMQP_URL, TOPOLOGY_LOG_ENV, uniquePrefix } from '../src';

/** Declares a prefix's main topology the way the services do (quorum queues, retry tiers). */
async function declare(prefix: string): Promise<void> {
  const broker = await createRabbitBroker({
    url: TEST_AMQP_URL,
    prefix,
    logger: createLogger({ service: 'test', silent: true }),
    delayTiersMs: [1000],
    maxAttempts: 3,
  });
  await broker.close();
}

/** Whether the broker has the prefix's work queue (a passive declare: 404 closes the channel). */
async function exists(prefix: string): Promise<boolean> {
  const conn = await connect(TEST_AMQP_URL);
  try {
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    await ch.checkQueue(rabbitTopology(prefix).workQueue);
    await ch.close();
    return true;
  } catch {
    return false;
  } finally {
    await conn.close().catch(() => undefined);
  }
}

describe('the test run’s RabbitMQ prefix log', () => {
  // This file runs inside a test run whose log is in the environment: keep it aside and restore it.
  const runLog = process.env[TOPOLOGY_LOG_ENV];
  afterEach(() => {
    if (runLog === undefined) delete process.env[TOPOLOGY_LOG_ENV];
    else process.env[TOPOLOGY_LOG_ENV] = runLog;
  });

  it('records every prefix handed out, and closing it deletes their queues and the log', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'topology-log-'));
    await openTopologyLog(dir);
    const log = process.env[TOPOLOGY_LOG_ENV] ?? '';
    const prefix = uniquePrefix('tlog');
    expect(readFileSync(log, 'utf8')).toBe(`${prefix}\n`);
    await declare(prefix);
    expect(await exists(prefix)).toBe(true);

    expect(await closeTopologyLog()).toBe(1);
    expect(await exists(prefix)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
    expect(process.env[TOPOLOGY_LOG_ENV]).toBeUndefined();
  }, 30_000);

  it("deletes the queues of a run whose process is gone when the next run opens its log, and leaves a live run's", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'topology-log-'));
    const dead = uniquePrefix('tlog-dead');
    const live = uniquePrefix('tlog-live');
    await declare(dead);
    await declare(live);
    // pid 2^22 + 1 is above Linux's pid_max: no process has it.
    writeFileSync(path.join(dir, `${2 ** 22 + 1}-aaaa`), `${dead}\n`);
    writeFileSync(path.join(dir, `${process.pid}-bbbb`), `${live}\n`);

    expect(await openTopologyLog(dir)).toBe(1);
    expect(await exists(dead)).toBe(false);
    expect(await exists(live)).toBe(true);
    expect(readdirSync(dir).filter((n) => n.endsWith('-aaaa'))).toEqual([]);

    writeFileSync(process.env[TOPOLOGY_LOG_ENV] ?? '', `${live}\n`);
    expect(await closeTopologyLog()).toBe(1);
    expect(await exists(live)).toBe(false);
  }, 30_000);
});
