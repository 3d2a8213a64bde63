/**
 * Dispatcher capacity on its own: N messages stored and queued up front, one dispatcher process
 * (optionally under `--cpu-prof`), the sandbox provider in this process. Reports how long the
 * dispatcher takes to move them all to SENT and its own CPU per message (from /proc), which is
 * what the rest of the machine's load does not change much.
 *
 *   node --import tsx services/dispatcher/test/bench/drain-bench.ts [--messages 20000] [--numbers 1]
 *     [--rate R (envelopes/s, default: all at once)] [--profile DIR] [--env '{"DISPATCH_…":"…"}']
 *
 * Uses its own database (flowgate_dispatch_bench, created and migrated if missing) and a RabbitMQ
 * prefix of its own, deleted at the end.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createDatabase, ensureDatabase, migrateLatest } from '@flowgate/db';
import { createRabbitBroker } from '@flowgate/messaging';
import { startSandbox } from '@flowgate/sandbox';
import { addPhoneNumber, createWorkspace } from '@flowgate/testing';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '@flowgate/testing';
import { deleteRabbitTopology, rabbitTopology } from '@flowgate/messaging';
import { TEST_AMQP_URL } from '@flowgate/testing';

const DB_URL =
  process.env['DISPATCH_BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/flowgate_dispatch_bench';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

function deleteTopology(prefix: string): Promise<void> {
  return deleteRabbitTopology(TEST_AMQP_URL, rabbitTopology(prefix, [1000, 5000, 30000]));
}

const CLK_TCK = 100;
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

async function main(): Promise<void> {
  const n = Number(arg('messages', '20000'));
  const numbers = Number(arg('numbers', '1'));
  const profileDir = arg('profile', '');
  const extraEnv = JSON.parse(arg('env', '{}')) as Record<string, string>;
  await ensureDatabase(DB_URL);
  const db = createDatabase({ kind: 'postgres', url: DB_URL }, { poolMax: 4 });
  await migrateLatest(db);
  const secretKey = randomBytes(32);
  const ws = await createWorkspace(db);
  const numberIds: string[] = [];
  for (let i = 0; i < numbers; i += 1)
    numberIds.push(
      (await addPhoneNumber(db, secretKey, ws.workspaceId, { isDefault: i === 0 })).phoneNumberId,
    );
  const sandbox = await startSandbox({ port: 0, maxCalls: n + 10 });
  const prefix = `test.dbench.${randomUUID().slice(0, 8)}`;

  // N messages, stored as the API stores them (payload = the Cloud API body), then queued.
  const ids = Array.from({ length: n }, () => randomUUID());
  for (let off = 0; off < n; off += 5000) {
    const chunk = ids.slice(off, off + 5000);
    await db.raw(
      `WITH v AS (SELECT id, ord FROM unnest(?::uuid[]) WITH ORDINALITY AS t(id, ord)),
            m AS (INSERT INTO messages (id, workspace_id, phone_number_id, recipient, type, payload, status)
                  SELECT v.id, ?, (?::uuid[])[1 + (v.ord % ?)], '91' || lpad((v.ord + ?)::text, 10, '0'), 'text',
                         jsonb_build_object('messaging_product', 'whatsapp', 'recipient_type', 'individual',
                           'to', '91' || lpad((v.ord + ?)::text, 10, '0'), 'type', 'text',
                           'text', jsonb_build_object('body', 'Flowgate benchmark message ' || v.ord, 'preview_url', false),
                           'biz_opaque_callback_data', v.id::text),
                         'QUEUED'
                    FROM v RETURNING id)
       INSERT INTO message_events (message_id, status) SELECT id, 'ACCEPTED' FROM m`,
      [chunk, ws.workspaceId, numberIds, numbers, off, off],
    );
  }
  const env = {
    DATABASE_URL: DB_URL,
    AMQP_URL: TEST_AMQP_URL,
    AMQP_PREFIX: prefix,
    FLOWGATE_SECRET_KEY: secretKey.toString('base64'),
    JWT_SECRET: randomBytes(32).toString('hex'),
    GRAPH_API_BASE_URL: sandbox.url,
    LOG_LEVEL: 'warn',
    DISPATCH_RATE_PER_NUMBER: '5000',
    DISPATCH_RETRY_DELAYS_MS: '1000,5000,30000',
    ...extraEnv,
  };
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--import', 'tsx', path.join(REPO_ROOT, 'services/dispatcher/src/main.ts')],
    {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: process.env['HOME'] ?? '/tmp',
        ...env,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  child.stdout.on('data', (d: Buffer) => output.push(d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => output.push(d.toString('utf8')));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  while (!output.join('').includes('dispatcher consuming')) {
    if (child.exitCode !== null) throw new Error(output.join(''));
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 500));
  const pid = child.pid ?? 0;
  const xacts = async (): Promise<number> =>
    Number(
      (
        await db.raw<{ rows: Array<{ n: string }> }>(
          'SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()',
        )
      ).rows[0]?.n ?? 0,
    );
  const x0 = await xacts();
  const cpu0 = cpuMs(pid);
  const t0 = Date.now();

  const silent = { info() {}, warn() {}, error() {}, debug() {} };
  const broker = await createRabbitBroker({
    url: TEST_AMQP_URL,
    prefix,
    logger: silent,
    delayTiersMs: [1000, 5000, 30000],
  });
  const createdAt = new Date().toISOString();
  const rows = await db('messages')
    .select<Array<{ id: string; phone_number_id: string }>>('id', 'phone_number_id')
    .whereIn('id', ids);
  // --rate R: publish R envelopes a second (an open load, as the API would), else all at once.
  const rate = Number(arg('rate', '0'));
  const chunk = rate > 0 ? Math.max(1, Math.round(rate / 50)) : 2000;
  const tStart = Date.now();
  for (let off = 0; off < rows.length; off += chunk) {
    if (rate > 0) {
      const due = tStart + (off / rate) * 1000;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    }
    const res = await broker.publishBatch(
      rows.slice(off, off + chunk).map((r) => ({
        messageId: r.id,
        contentType: 'application/json',
        body: Buffer.from(
          JSON.stringify({
            schemaVersion: 1,
            messageId: r.id,
            workspaceId: ws.workspaceId,
            phoneNumberId: r.phone_number_id,
            createdAt,
          }),
        ),
      })),
    );
    if (res.some((r) => !r.ok)) throw new Error('publish failed');
  }
  await broker.close();
  let done = 0;
  for (;;) {
    const r = await db('messages')
      .whereIn('id', ids)
      .whereIn('status', ['SENT', 'FAILED'])
      .count<{ count: number }[]>({ count: '*' });
    done = Number(r[0]?.count ?? 0);
    if (done >= n || Date.now() - t0 > 300_000 || child.exitCode !== null) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  const wall = Date.now() - t0;
  const transactions = (await xacts()) - x0;
  const cpu = cpuMs(pid) - cpu0;
  const { rows: span } = await db.raw<{ rows: Array<{ first: Date; last: Date }> }>(
    `SELECT min(created_at) AS first, max(created_at) AS last FROM message_events WHERE status = 'SENT' AND message_id = ANY(?::uuid[])`,
    [ids],
  );
  const spanMs = span[0] ? new Date(span[0].last).getTime() - new Date(span[0].first).getTime() : 0;
  child.kill('SIGTERM');
  await exited;
  const calls = sandbox.calls().length;
  console.log(
    JSON.stringify({
      messages: n,
      numbers,
      done,
      providerCalls: calls,
      wallMs: wall,
      sentSpanMs: spanMs,
      msgsPerSec: Math.round((done / spanMs) * 1000),
      dispatcherCpuMs: Math.round(cpu),
      dispatcherUsPerMsg: Math.round((cpu * 1000) / Math.max(1, done)),
      dbTransactionsPerMsg: Math.round((transactions / Math.max(1, done)) * 100) / 100,
    }),
  );
  if (done < n) console.log(output.join('').slice(-3000));
  const counts = new Map<string, number>();
  for (const line of output.join('').split('\n')) {
    const m = /"message":"([^"]*)"/.exec(line);
    if (m?.[1]) counts.set(m[1], (counts.get(m[1]) ?? 0) + 1);
  }
  console.log('log lines:', JSON.stringify(Object.fromEntries(counts)));
  console.log(
    output
      .join('')
      .split('\n')
      .filter((l) => l.includes('dispatch outcomes'))
      .join('\n'),
  );
  await sandbox.close();
  await deleteTopology(prefix).catch(() => undefined);
  await db.destroy();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
