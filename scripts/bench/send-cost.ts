/**
 * `pnpm exec tsx scripts/bench/send-cost.ts [--rate R] [--seconds S] [--profile] [--log-level L]`:
 * the CPU one accepted send costs, per process, on its own (ADR 0011). Starts one public-api (no
 * dispatcher: the work queue just fills) on a database of its own (`flowgate_sendcost`, emptied
 * first; override with SEND_COST_DATABASE_URL), offers R sends/s for S seconds from the
 * benchmark's load generator, and prints CPU microseconds per accepted send for the API process,
 * PostgreSQL (its shared processes and this database's backends) and RabbitMQ, read from /proc.
 * CPU time rather than rate, so a number from a busy shared machine still compares. With
 * `--profile`, the API runs with --cpu-prof and the step's self time per function is printed.
 *
 * It never touches `flowgate_bench`, so it needs no lock; `pnpm bench` remains the number of record.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createDatabase, ensureDatabase, migrateLatest } from '@flowgate/db';
import {
  BENCH_AMQP_URL,
  RETRY_DELAYS_MS,
  benchHasher,
  deleteTopology,
  seedWorkspace,
  uniquePrefix,
} from './environment';
import { LoadGenerator } from './load-client';
import {
  RESULTS_DIR,
  compileServices,
  cpuDelta,
  cpuSnapshot,
  freePort,
  killAllSync,
  peakRssMb,
  startNode,
  waitForHttp,
  type BenchProcess,
} from './processes';
import { profileTable } from './report';
import { summariseProfile } from './profile';

const DATABASE_URL =
  process.env['SEND_COST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/flowgate_sendcost';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

async function prepare(): Promise<ReturnType<typeof createDatabase>> {
  const dbName = new URL(DATABASE_URL).pathname.slice(1);
  if (!/^[A-Za-z0-9_]+$/.test(dbName) || dbName === 'flowgate_bench' || dbName === 'flowgate_test')
    throw new Error(`send-cost needs a database of its own, not "${dbName}"`);
  await ensureDatabase(DATABASE_URL);
  const db = createDatabase({ kind: 'postgres', url: DATABASE_URL }, { poolMax: 2 });
  await migrateLatest(db);
  await db.raw('TRUNCATE workspaces, users CASCADE');
  return db;
}

async function main(): Promise<void> {
  const rate = Number(option('rate', '400'));
  const seconds = Number(option('seconds', '5'));
  const logLevel = option('log-level', 'warn');
  const profile = process.argv.includes('--profile');
  const dbName = new URL(DATABASE_URL).pathname.slice(1);

  if (!profile) await compileServices();
  const db = await prepare();
  const secretKey = randomBytes(32);
  const ws = await seedWorkspace(db, secretKey, 'send-cost', benchHasher());
  const prefix = uniquePrefix();
  const port = await freePort();
  const profileDir = path.join(RESULTS_DIR, 'profiles', 'send-cost');
  rmSync(profileDir, { recursive: true, force: true });
  mkdirSync(profileDir, { recursive: true });

  let api: BenchProcess | undefined;
  let load: LoadGenerator | undefined;
  try {
    api = startNode('send-cost-api', 'services/public-api/src/main.ts', {
      env: {
        DATABASE_URL,
        AMQP_URL: BENCH_AMQP_URL,
        AMQP_PREFIX: prefix,
        FLOWGATE_SECRET_KEY: secretKey.toString('base64'),
        JWT_SECRET: randomBytes(32).toString('hex'),
        LOG_LEVEL: logLevel,
        PORT: String(port),
        HOST: '127.0.0.1',
        AUTH_CACHE_TTL_SECONDS: '3600',
        // Rate limiting stays on (its cost is part of a send) with a limit the load never reaches.
        PARTNER_RATE_LIMIT_PER_SECOND: '1000000',
        PARTNER_RATE_LIMIT_BURST: '1000000',
        // The tiers deleteTopology removes at the end (the default ones would be left behind).
        DISPATCH_RETRY_DELAYS_MS: RETRY_DELAYS_MS.join(','),
      },
      nodeArgs: profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    });
    await waitForHttp(`http://127.0.0.1:${port}/readyz`, api);
    load = await LoadGenerator.start();
    const spec = (r: number, ms: number, seqStart: number) => ({
      url: `http://127.0.0.1:${port}/api/v1/public/messages/send`,
      method: 'POST' as const,
      headers: ws.headers,
      bodyTemplate: '{"type":"text","phone":"91__SEQ__","content":"Flowgate benchmark message __SEQ__"}',
      seqStart,
      rate: r,
      durationMs: ms,
      expectStatus: 201,
      timeoutMs: 5_000,
      maxSockets: 128,
    });
    // Warm-up: JIT, pools, the key's verification (argon2, once).
    await load.run(spec(Math.min(rate, 200), 3_000, 1_000_000_000));
    const named = { api: api.pid };
    const stats = async (): Promise<Record<string, number>> => {
      // PostgreSQL publishes a backend's counters about once a second.
      await new Promise((r) => setTimeout(r, 1500));
      const { rows } = await db.raw<{ rows: Array<Record<string, string>> }>(
        'SELECT xact_commit, tup_inserted, tup_updated, tup_fetched FROM pg_stat_database WHERE datname = ?',
        [dbName],
      );
      return Object.fromEntries(Object.entries(rows[0] ?? {}).map(([k, v]) => [k, Number(v)]));
    };
    const statsBefore = await stats();
    const before = cpuSnapshot(named, dbName);
    const fromUs = Number(process.hrtime.bigint() / 1000n);
    const result = await load.run(spec(rate, seconds * 1000, 2_000_000_000));
    const toUs = Number(process.hrtime.bigint() / 1000n);
    const after = cpuSnapshot(named, dbName);
    const per = (group: string): number =>
      Math.round(((cpuDelta(before, after)[group] ?? 0) * 1000) / Math.max(1, result.ok));
    console.log(
      `offered ${rate}/s for ${seconds} s: ${result.ok} accepted (${result.errors} errors), ` +
        `p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms`,
    );
    console.log(
      `CPU per accepted send: api ${per('api')} µs, postgres ${per('postgres')} µs, rabbitmq ${per('rabbitmq')} µs`,
    );
    console.log(
      `API peak RSS ${Math.round(peakRssMb(api.pid) ?? 0)} MB (${profile ? 'tsx, profiled' : 'compiled'})`,
    );
    const statsAfter = await stats();
    console.log(
      `PostgreSQL per accepted send: ${Object.keys(statsAfter)
        .map((k) => `${k} ${((statsAfter[k] ?? 0) - (statsBefore[k] ?? 0)) / Math.max(1, result.ok)}`)
        .join(', ')} (includes the 1.5 s after the step)`,
    );
    await load.stop();
    load = undefined;
    await api.stop();
    api = undefined;
    if (profile) {
      const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
      if (file)
        console.log(profileTable(summariseProfile(path.join(profileDir, file), { fromUs, toUs }, 25)));
    }
  } finally {
    await load?.stop();
    await api?.stop();
    await deleteTopology(prefix).catch(() => undefined);
    await db.destroy();
  }
}

main().catch((err: unknown) => {
  killAllSync();
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
