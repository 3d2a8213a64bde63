/**
 * `pnpm bench [--quick] [--profile|--no-profile] [--profile-info] [--info-log|--no-info-log] [--keep-data]`:
 * Flowgate's benchmark with same-run baselines (ADR 0008). Starts the sandbox provider, a
 * public-api and a dispatcher as separate processes on PostgreSQL and RabbitMQ, a bare Express +
 * helmet baseline, and a fixed-rate load generator in its own process; finds the highest rate each sustains with
 * p99 ≤ 50 ms and < 0.1 % errors; measures auth costs in-process, accept→SENT end to end, Meta's
 * webhook intake (signed status webhooks; the highest rate with p99 ≤ 50 ms and every status
 * applied), accept→READ with the sandbox posting the statuses, partner webhooks out (outbox events
 * at fixed rates delivered to a local receiver that verifies each; the highest rate with all
 * delivered and p99 ≤ 1 s), peak RSS,
 * and (full run) CPU profiles of the API and the dispatcher during one send step. The quick run
 * leaves out the profile and the LOG_LEVEL=info search (`--profile`, `--info-log` add them back).
 * Writes bench/results/latest.json.
 */
import os from 'node:os';
import path from 'node:path';
import { rmSync } from 'node:fs';
import { Cleanup, gitInfo } from './bench';
import { BENCH_AMQP_URL, BENCH_DATABASE_URL, vacuum } from './environment';
import { measureIntake, measureRead } from './intake';
import { measureBroadcasts, type BroadcastBenchResult } from './broadcasts';
import { measureLifecycle, type LifecycleResult } from './lifecycle';
import { measureWebhooks } from './webhooks';
import { parseArgs, plan, type Options, type Plan } from './plan';
import { RESULTS_DIR, compileServices, killAllSync } from './processes';
import {
  measureAuth,
  measureBaseline,
  measureInfoLog,
  measureProfiles,
  measureSend,
  startStack,
  writeResults,
} from './steps';
import { round } from './stats';

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const p = plan(opts.quick, opts.profile);
  const startedAt = new Date();
  const cleanup = new Cleanup();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: stopping the benchmark's processes…`);
    void cleanup.run().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', killAllSync);

  try {
    await run(opts, p, startedAt, cleanup);
  } finally {
    await cleanup.run();
  }
}

async function run(opts: Options, p: Plan, startedAt: Date, cleanup: Cleanup): Promise<void> {
  console.log(
    `Flowgate benchmark (${opts.quick ? 'quick' : 'full'}): database ${BENCH_DATABASE_URL}, broker ${new URL(BENCH_AMQP_URL).host}`,
  );
  const known = { startedAt, ...gitInfo(), loadAvgAtStart: os.loadavg() };
  rmSync(path.join(RESULTS_DIR, 'logs'), { recursive: true, force: true });
  rmSync(path.join(RESULTS_DIR, 'profiles'), { recursive: true, force: true });

  // Flowgate's processes run compiled, as the runtime image runs them (ADR 0046).
  await compileServices();
  const stack = await startStack(opts, p, cleanup);
  const auth = await measureAuth(stack, opts.quick);
  const baseline = await measureBaseline(stack, p);
  const baselineRps = baseline.baselineSearch.maxRps;
  const ratio = (rps: number): number => (baselineRps > 0 ? round(rps / baselineRps, 4) : 0);
  const { api, ...send } = await measureSend(stack, p);
  const settle = async (next: string): Promise<void> => {
    const s = await vacuum(stack.db);
    console.log(`\nVACUUM (ANALYZE) before ${next}: ${s.toFixed(1)} s`);
  };
  await settle('the intake');
  const intake = await measureIntake(stack, p, api, send.sendSearch);
  await settle('accept → READ');
  const read = await measureRead(stack, p, api, send.sendSearch);
  let webhooks: Awaited<ReturnType<typeof measureWebhooks>> | undefined;
  try {
    await settle('partner webhooks');
    webhooks = await measureWebhooks(stack, p, api, send.sendSearch);
  } catch (err) {
    // A setup problem (registration refused, receiver down) is reported; the other results stand.
    const why = err instanceof Error ? err.message : String(err);
    console.error(`webhooks step failed: ${why}`);
    stack.bench.notes.push(`webhooks: the step could not run: ${why.split('\n')[0]}`);
  }
  let broadcast: BroadcastBenchResult | undefined;
  try {
    await settle('broadcasts');
    broadcast = await measureBroadcasts(stack, api, p.drainTimeoutMs);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    console.error(`broadcasts step failed: ${why}`);
    stack.bench.notes.push(`broadcast: the step could not run: ${why.split('\n')[0]}`);
  }
  let lifecycle: LifecycleResult | undefined;
  try {
    await settle('the lifecycle');
    lifecycle = await measureLifecycle(
      stack,
      p,
      api,
      opts.quick ? [100, 200, 400, 600] : [100, 200, 400, 600, 800],
    );
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    console.error(`lifecycle step failed: ${why}`);
    stack.bench.notes.push(`lifecycle: the step could not run: ${why.split('\n')[0]}`);
  }
  await api.proc.stop();
  await settle('the LOG_LEVEL=info search');
  const infoLog = await measureInfoLog(stack, opts, p, send.sendSearch, ratio);
  const profiles = await measureProfiles(stack, opts, p, send.sendSearch, infoLog.sendInfoLog);
  await writeResults(stack, opts, p, {
    ...known,
    auth,
    ratio,
    ...baseline,
    ...send,
    e2e: { ...send.e2e, readP50Ms: read.p50Ms, readP99Ms: read.p99Ms, read },
    intake,
    webhooks,
    broadcast,
    lifecycle,
    ...infoLog,
    ...profiles,
  });
  await stack.load.stop();
}

main().catch((err: unknown) => {
  console.error(`\nbenchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
});
