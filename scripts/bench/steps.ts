/**
 * The steps of a benchmark run, in the order `run()` takes them: start the stack, then auth,
 * baseline, send path and end to end, Meta's intake and accept → READ (./intake), partner
 * webhooks out (./webhooks), send path at LOG_LEVEL=info, CPU profiles, and the results.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Database } from '@flowgate/db';
import { benchAuth } from './auth';
import {
  BENCH_AMQP_URL,
  BENCH_DATABASE_URL,
  RETRY_DELAYS_MS,
  benchHasher,
  checkBroker,
  deleteTopology,
  prepareDatabase,
  seedWorkspace,
  uniquePrefix,
  vacuum,
  type Seeded,
} from './environment';
import { LoadGenerator } from './load-client';
import {
  REPO_ROOT,
  RESULTS_DIR,
  freePort,
  liveProcesses,
  peakRssMb,
  servicesRuntime,
  startNode,
  waitForHttp,
  type BenchProcess,
} from './processes';
import { summariseProfile } from './profile';
import type { StepSpec } from './protocol';
import { profileTable, type ProfileResult, summaryTable, type BenchResults, type RateSearch } from './report';
import { round } from './stats';

import { Bench, type Api, type Cleanup } from './bench';
import {
  E2E_OVERLOAD,
  MAX_ERROR_RATE,
  MAX_SOCKETS,
  P99_MAX_MS,
  SEND_PATH,
  TIMEOUT_MS,
  findMaxRate,
  niceRate,
  toSearch,
  type Options,
  type Plan,
} from './plan';

/** The processes and data every step measures against. */
export interface Stack {
  db: Database;
  env: Record<string, string>;
  sendWs: Seeded;
  e2eWs: Seeded;
  /** Its messages get signed status webhooks from the load process (the intake search). */
  intakeWs: Seeded;
  /** Its messages get their statuses from the sandbox (accept → READ). */
  readWs: Seeded;
  /** Its outbox events go to the webhooks step's receiver (./webhooks). */
  webhooksWs: Seeded;
  /** META_APP_SECRET of the API and the dispatcher: the key of the webhooks' signatures. */
  metaAppSecret: string;
  /** The sandbox now running (`restartSandbox` replaces it on the same port). */
  sandbox: BenchProcess;
  sandboxUrl: string;
  /** Peak RSS of the sandboxes replaced so far, MiB. */
  replacedSandboxRssMb: number[];
  /** Stops the sandbox and starts another on the same port with `extraEnv` (its webhook, say). */
  restartSandbox: (name: string, extraEnv: Record<string, string>) => Promise<void>;
  dispatcher: BenchProcess;
  baseline: BenchProcess;
  baselinePort: number;
  dispatcherHealthPort: number;
  load: LoadGenerator;
  bench: Bench;
  /** Starts a public-api process, checks that one send succeeds, and warms it up. */
  startApi: (name: string, logLevel: string, nodeArgs?: string[]) => Promise<Api>;
}

/**
 * The database (five seeded workspaces), a fresh broker topology, and the sandbox, dispatcher,
 * baseline and load-generator processes, all ready. Everything is registered with `cleanup`.
 */
export async function startStack(opts: Options, p: Plan, cleanup: Cleanup): Promise<Stack> {
  await checkBroker();
  const db = await prepareDatabase({ keepData: opts.keepData });
  cleanup.add('database pool', () => db.destroy());
  const prefix = uniquePrefix();
  cleanup.add('RabbitMQ topology', () => deleteTopology(prefix));
  cleanup.add('child processes', () => Promise.all(liveProcesses().map((c) => c.stop())));

  const secretKey = randomBytes(32);
  const hasher = benchHasher();
  const sendWs = await seedWorkspace(db, secretKey, 'send', hasher);
  const e2eWs = await seedWorkspace(db, secretKey, 'e2e', hasher);
  const intakeWs = await seedWorkspace(db, secretKey, 'intake', hasher);
  const readWs = await seedWorkspace(db, secretKey, 'read', hasher);
  const webhooksWs = await seedWorkspace(db, secretKey, 'webhooks', hasher);
  const metaAppSecret = randomBytes(24).toString('hex');

  const [sandboxPort, dispatcherHealthPort, baselinePort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
  ]);
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  const env: Record<string, string> = {
    DATABASE_URL: BENCH_DATABASE_URL,
    AMQP_URL: BENCH_AMQP_URL,
    AMQP_PREFIX: prefix,
    FLOWGATE_SECRET_KEY: secretKey.toString('base64'),
    JWT_SECRET: randomBytes(32).toString('hex'),
    GRAPH_API_BASE_URL: sandboxUrl,
    LOG_LEVEL: 'warn',
    // The dispatcher must keep up with the send steps: one sending number, distinct recipients.
    DISPATCH_RATE_PER_NUMBER: '5000',
    DISPATCH_RETRY_DELAYS_MS: RETRY_DELAYS_MS.join(','),
    // The send path is measured with a warm key; the default 60 s TTL would expire mid-run.
    AUTH_CACHE_TTL_SECONDS: '3600',
    HOST: '127.0.0.1',
    // Meta's webhooks in (docs/contracts.md §9): the intake step signs with the same secret.
    META_APP_SECRET: metaAppSecret,
    META_WEBHOOK_VERIFY_TOKEN: randomBytes(12).toString('hex'),
    // Partner webhooks (docs/contracts.md §10): the webhooks step's receiver is plain http on 127.0.0.1.
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    // Rate limiting stays on (its cost is in the send figures) with a limit the load never reaches.
    PARTNER_RATE_LIMIT_PER_SECOND: '1000000',
    PARTNER_RATE_LIMIT_BURST: '1000000',
  };

  const sandboxEnv = { SANDBOX_PORT: String(sandboxPort), SANDBOX_HOST: '127.0.0.1' };
  const sandbox = startNode('sandbox', 'packages/sandbox/src/main.ts', { env: sandboxEnv });
  const dispatcher = startNode('dispatcher', 'services/dispatcher/src/main.ts', {
    env: { ...env, DISPATCHER_HEALTH_PORT: String(dispatcherHealthPort) },
  });
  const baseline = startNode('baseline', 'scripts/bench/baseline-server.ts', {
    env: { BASELINE_PORT: String(baselinePort) },
  });
  const [load] = await Promise.all([
    LoadGenerator.start(),
    waitForHttp(`${sandboxUrl}/healthz`, sandbox),
    waitForHttp(`http://127.0.0.1:${dispatcherHealthPort}/readyz`, dispatcher),
    waitForHttp(`http://127.0.0.1:${baselinePort}/hello`, baseline),
  ]);
  const bench = new Bench(opts, p, load, db);
  bench.named = { dispatcher: dispatcher.pid, sandbox: sandbox.pid };
  console.log(
    `processes up: sandbox ${sandbox.pid}, dispatcher ${dispatcher.pid}, baseline ${baseline.pid}, load ${load.proc.pid}`,
  );

  const startApi = async (name: string, logLevel: string, nodeArgs: string[] = []): Promise<Api> => {
    const port = await freePort();
    const proc = startNode(name, 'services/public-api/src/main.ts', {
      env: { ...env, LOG_LEVEL: logLevel, PORT: String(port) },
      nodeArgs,
    });
    await waitForHttp(`http://127.0.0.1:${port}/readyz`, proc);
    // One request first: a setup problem shows as its error body, not as a failed search.
    const res = await fetch(`http://127.0.0.1:${port}${SEND_PATH}`, {
      method: 'POST',
      headers: sendWs.headers,
      body: JSON.stringify({ type: 'text', phone: '919999999999', content: 'Flowgate benchmark check' }),
    });
    const body = await res.text();
    if (res.status !== 201) throw new Error(`the send check answered ${res.status}: ${body}`);
    // A fresh API is cold (tsx, V8's JIT): a warm-up at a modest rate before any step.
    await bench.step('warmup', proc, bench.sendSpec(port, sendWs.headers, p.apiWarmup.rps, p.apiWarmup.ms));
    return { proc, port };
  };
  const stack: Stack = {
    db,
    env,
    sendWs,
    e2eWs,
    intakeWs,
    readWs,
    webhooksWs,
    metaAppSecret,
    sandbox,
    sandboxUrl,
    replacedSandboxRssMb: [],
    restartSandbox: async (name, extraEnv) => {
      const rss = peakRssMb(stack.sandbox.pid);
      if (rss !== undefined) stack.replacedSandboxRssMb.push(rss);
      await stack.sandbox.stop();
      stack.sandbox = startNode(name, 'packages/sandbox/src/main.ts', {
        env: { ...sandboxEnv, ...extraEnv },
      });
      bench.named = { ...bench.named, sandbox: stack.sandbox.pid };
      await waitForHttp(`${sandboxUrl}/healthz`, stack.sandbox);
    },
    dispatcher,
    baseline,
    baselinePort,
    dispatcherHealthPort,
    load,
    bench,
    startApi,
  };
  return stack;
}

/** 1. Auth, in this process, while the machine is idle. */
export async function measureAuth({ db, sendWs }: Stack, quick: boolean): Promise<BenchResults['auth']> {
  console.log('\nauth (in-process)…');
  const auth = await benchAuth(db, sendWs, quick);
  console.log(
    `  cached verify ${auth.cachedUs} µs; argon2id verify ${auth.argon2Ms} ms (p50 ${auth.argon2P50Ms})`,
  );
  return auth;
}

/** 2. Baseline: Express 5 + helmet hello-world. */
export async function measureBaseline(
  { bench, baseline, baselinePort }: Stack,
  p: Plan,
): Promise<{ baselineSearch: RateSearch; baselineRss: number | undefined }> {
  console.log('\nbaseline: Express 5 + helmet JSON hello-world');
  const baselineSpec = (rate: number, durationMs: number): Omit<StepSpec, 'seqStart'> => ({
    url: `http://127.0.0.1:${baselinePort}/hello`,
    method: 'GET',
    headers: {},
    rate,
    durationMs,
    expectStatus: 200,
    timeoutMs: TIMEOUT_MS,
    maxSockets: MAX_SOCKETS,
  });
  await bench.step('warmup', baseline, baselineSpec(1000, p.baselineWarmupMs));
  const baselineSearch = toSearch(
    await findMaxRate(p.baseline, (rate) => bench.step('baseline', baseline, baselineSpec(rate, p.stepMs))),
  );
  const baselineRss = peakRssMb(baseline.pid);
  await baseline.stop();
  return { baselineSearch, baselineRss };
}

/** 3. Send path with LOG_LEVEL=warn, then end to end on the same API process. */
export async function measureSend(
  { bench, sendWs, e2eWs, startApi }: Stack,
  p: Plan,
): Promise<{
  sendSearch: RateSearch;
  e2e: Omit<BenchResults['e2e'], 'readP50Ms' | 'readP99Ms' | 'read'>;
  apiRss: number | undefined;
  /** Still running: the intake steps use it; the caller stops it. */
  api: Api;
}> {
  console.log('\nsend path: POST /api/v1/public/messages/send, LOG_LEVEL=warn');
  const api = await startApi('public-api-warn', 'warn');
  const sendSearch = toSearch(await findMaxRate(p.send, (rate) => bench.sendStep('send', api, sendWs, rate)));

  // The send search grew the tables from empty faster than autovacuum looks at them. (The summary
  // queries carry each message's accept time through their aggregate instead of joining two CTEs:
  // the step's own workspace is empty when the statistics are taken, and a nested loop over two
  // 23,000-row CTEs estimated at one row each ran 38 s in a full run.)
  const vacuumS = await vacuum(bench.db);
  console.log(`\nVACUUM (ANALYZE) before the end-to-end step: ${vacuumS.toFixed(1)} s`);
  console.log('\nend to end: accept → SENT');
  // Offered above the sustainable send rate, so that what completes per second is the pipeline's
  // capacity rather than an echo of the offered rate (a long timeout: no request may be lost).
  const e2eRate = niceRate(Math.max(100, sendSearch.maxRps) * E2E_OVERLOAD);
  const e2e = await endToEnd(bench, api, sendWs, e2eWs, e2eRate);
  const apiRss = peakRssMb(api.proc.pid);
  return { sendSearch, e2e, apiRss, api };
}

/** 4. Send path with LOG_LEVEL=info (one access-log line per request). */
export async function measureInfoLog(
  { bench, sendWs, startApi }: Stack,
  opts: Options,
  p: Plan,
  sendSearch: RateSearch,
  ratio: (rps: number) => number,
): Promise<{ sendInfoLog: BenchResults['sendInfoLog']; apiInfoRss: number | undefined }> {
  let sendInfoLog: BenchResults['sendInfoLog'];
  let apiInfoRss: number | undefined;
  // A search takes a warm-up and three steps or more; one that cannot finish is left out.
  const infoNeedsS = (p.apiWarmup.ms + 4 * (p.stepMs + 1_000)) / 1000;
  if (opts.infoLog && bench.spareS() < infoNeedsS)
    bench.notes.push(
      `the LOG_LEVEL=info search was skipped: ${Math.round(bench.spareS())} s of the budget left`,
    );
  else if (opts.infoLog) {
    console.log('\nsend path, LOG_LEVEL=info');
    const apiInfo = await startApi('public-api-info', 'info');
    const info = toSearch(
      await findMaxRate({ ...p.info, start: Math.max(50, sendSearch.maxRps * p.info.startShare) }, (rate) =>
        bench.sendStep('send(info)', apiInfo, sendWs, rate),
      ),
    );
    apiInfoRss = peakRssMb(apiInfo.proc.pid);
    await apiInfo.proc.stop();
    sendInfoLog = {
      ...info,
      logLevel: 'info',
      ratioToBaseline: ratio(info.maxRps),
      ratioToWarn: sendSearch.maxRps > 0 ? round(info.maxRps / sendSearch.maxRps, 4) : 0,
    };
  }
  return { sendInfoLog, apiInfoRss };
}

/**
 * 5. CPU profiles of the API and of the dispatcher during one send step (LOG_LEVEL=warn; with
 * --profile-info the API's at info too). The dispatcher is replaced by a profiled one for it.
 */
export async function measureProfiles(
  { bench, sendWs, env, dispatcher, dispatcherHealthPort, sandbox, replacedSandboxRssMb, startApi }: Stack,
  opts: Options,
  p: Plan,
  sendSearch: RateSearch,
  sendInfoLog: BenchResults['sendInfoLog'],
): Promise<{
  profile: ProfileResult | undefined;
  profileInfoLog: ProfileResult | undefined;
  dispatcherProfile: BenchResults['dispatcherProfile'];
  dispatcherRss: number | undefined;
  sandboxRss: number | undefined;
}> {
  await bench.drain(sendWs.workspaceId, p.drainTimeoutMs);
  const dispatcherRss = peakRssMb(dispatcher.pid);
  let profiledDispatcher: BenchProcess | undefined;
  const profileDir = (name: string): string => {
    const dir = path.join(RESULTS_DIR, 'profiles', name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  const dispatcherDir = path.join(RESULTS_DIR, 'profiles', 'dispatcher');
  if (opts.profile) {
    await dispatcher.stop();
    profiledDispatcher = startNode('dispatcher-profile', 'services/dispatcher/src/main.ts', {
      env: { ...env, DISPATCHER_HEALTH_PORT: String(dispatcherHealthPort) },
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir('dispatcher')}`],
    });
    await waitForHttp(`http://127.0.0.1:${dispatcherHealthPort}/readyz`, profiledDispatcher);
    bench.named = { ...bench.named, dispatcher: profiledDispatcher.pid };
  }
  let dispatcherWindow: { fromUs: number; toUs: number } | undefined;
  const profileApi = async (
    logLevel: 'warn' | 'info',
    maxRps: number,
  ): Promise<ProfileResult | undefined> => {
    if (bench.leftS() < p.reserveS / 2) {
      bench.notes.push(`CPU profile (${logLevel}) skipped: the run had used its time budget`);
      return undefined;
    }
    console.log(
      `\nprofile: public-api (LOG_LEVEL=${logLevel}) and dispatcher with --cpu-prof during one send step`,
    );
    const dir = profileDir(logLevel);
    const apiProf = await startApi(`public-api-profile-${logLevel}`, logLevel, [
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
    ]);
    const rate = niceRate(Math.max(50, maxRps * 0.8));
    const step = await bench.sendStep('profiled', apiProf, sendWs, rate, p.profileMs, { retry: false });
    await apiProf.proc.stop();
    // The profile covers the process's life; only the samples taken during the step are counted
    // (V8's profile clock and process.hrtime are both CLOCK_MONOTONIC).
    const window = { fromUs: step.monotonicUs.from, toUs: step.monotonicUs.to };
    dispatcherWindow ??= window;
    const summary = keepMainProfile(dir, apiProf.proc.pid, 'public-api-send', window);
    if (!summary) {
      bench.notes.push(`the API process (${logLevel}) wrote no CPU profile`);
      return undefined;
    }
    const result = { ...summary, logLevel, rate, step, window };
    console.log(profileTable(result));
    return result;
  };
  const profile = opts.profile ? await profileApi('warn', sendSearch.maxRps) : undefined;
  const profileInfoLog =
    opts.profileInfo && sendInfoLog ? await profileApi('info', sendInfoLog.maxRps) : undefined;
  await bench.drain(sendWs.workspaceId, p.drainTimeoutMs);
  let dispatcherProfile: BenchResults['dispatcherProfile'];
  if (profiledDispatcher) {
    await profiledDispatcher.stop();
    const summary = dispatcherWindow
      ? keepMainProfile(dispatcherDir, profiledDispatcher.pid, 'dispatcher-send', dispatcherWindow)
      : undefined;
    if (summary && profile) {
      dispatcherProfile = { ...summary, rate: profile.rate, window: profile.window };
      console.log(`\nprofile: dispatcher during the same step\n${profileTable(dispatcherProfile)}`);
    } else if (dispatcherWindow) bench.notes.push('the dispatcher wrote no CPU profile');
  }
  const rssNow = peakRssMb(sandbox.pid);
  const sandboxRss =
    rssNow === undefined && replacedSandboxRssMb.length === 0
      ? undefined
      : Math.max(rssNow ?? 0, ...replacedSandboxRssMb);
  return { profile, profileInfoLog, dispatcherProfile, dispatcherRss, sandboxRss };
}

/** What the steps measured, and what the run knew before it started. */
export interface Measured {
  startedAt: Date;
  commit: string;
  dirty: boolean;
  loadAvgAtStart: number[];
  auth: BenchResults['auth'];
  baselineSearch: RateSearch;
  baselineRss: number | undefined;
  sendSearch: RateSearch;
  ratio: (rps: number) => number;
  e2e: BenchResults['e2e'];
  intake: BenchResults['intake'];
  webhooks: BenchResults['webhooks'];
  broadcast: BenchResults['broadcast'];
  lifecycle: BenchResults['lifecycle'];
  apiRss: number | undefined;
  sendInfoLog: BenchResults['sendInfoLog'];
  apiInfoRss: number | undefined;
  profile: ProfileResult | undefined;
  profileInfoLog: ProfileResult | undefined;
  dispatcherProfile: BenchResults['dispatcherProfile'];
  dispatcherRss: number | undefined;
  sandboxRss: number | undefined;
}

/** 6. bench/results/latest.json (and latest-<mode>.json), and the summary table on stdout. */
export async function writeResults(
  { db, env, bench }: Stack,
  opts: Options,
  p: Plan,
  m: Measured,
): Promise<void> {
  const {
    startedAt,
    commit,
    dirty,
    loadAvgAtStart,
    auth,
    baselineSearch,
    baselineRss,
    sendSearch,
    ratio,
    e2e,
    intake,
    webhooks,
    broadcast,
    lifecycle,
    apiRss,
    sendInfoLog,
    apiInfoRss,
    profile,
    profileInfoLog,
    dispatcherProfile,
    dispatcherRss,
    sandboxRss,
  } = m;
  const { postgres } = await db
    .raw<{ rows: Array<{ postgres: string }> }>('SHOW server_version')
    .then((r) => ({
      postgres: r.rows[0] ? (Object.values(r.rows[0])[0] ?? 'unknown') : 'unknown',
    }));
  const cpus = os.cpus();
  const results: BenchResults = {
    schemaVersion: 1,
    mode: opts.quick ? 'quick' : 'full',
    startedAt: startedAt.toISOString(),
    durationS: round((Date.now() - startedAt.getTime()) / 1000, 1),
    commit,
    dirty,
    machine: {
      cpuModel: cpus[0]?.model ?? 'unknown',
      cpus: cpus.length,
      memoryMb: Math.round(os.totalmem() / 1024 / 1024),
      node: process.version,
      platform: process.platform,
      release: os.release(),
      postgres,
      loadAvgAtStart: loadAvgAtStart.map((l) => round(l, 2)),
      servicesRuntime: servicesRuntime(),
    },
    criteria: {
      p99MaxMs: P99_MAX_MS,
      maxErrorRate: MAX_ERROR_RATE,
      stepMs: p.stepMs,
      timeoutMs: TIMEOUT_MS,
      maxSockets: MAX_SOCKETS,
    },
    baseline: {
      rps: baselineSearch.maxRps,
      p50Ms: baselineSearch.p50Ms,
      p99Ms: baselineSearch.p99Ms,
      steps: baselineSearch.steps,
    },
    send: { ...sendSearch, logLevel: 'warn', ratioToBaseline: ratio(sendSearch.maxRps) },
    ...(sendInfoLog ? { sendInfoLog } : {}),
    auth,
    e2e,
    intake,
    ...(webhooks ? { webhooks } : {}),
    ...(broadcast ? { broadcast } : {}),
    ...(lifecycle ? { lifecycle } : {}),
    rssMb: {
      api: round(apiRss ?? 0, 1),
      ...(apiInfoRss !== undefined ? { apiInfoLog: round(apiInfoRss, 1) } : {}),
      dispatcher: round(dispatcherRss ?? 0, 1),
      ...(sandboxRss !== undefined ? { sandbox: round(sandboxRss, 1) } : {}),
      ...(baselineRss !== undefined ? { baseline: round(baselineRss, 1) } : {}),
    },
    ...(profile ? { profile } : {}),
    ...(profileInfoLog ? { profileInfoLog } : {}),
    ...(dispatcherProfile ? { dispatcherProfile } : {}),
    env: Object.fromEntries(
      Object.entries(env).filter(
        ([k]) =>
          !['FLOWGATE_SECRET_KEY', 'JWT_SECRET', 'META_APP_SECRET', 'META_WEBHOOK_VERIFY_TOKEN'].includes(k),
      ),
    ),
    noise: {
      otherCpuPctMean: round(
        bench.records.reduce((a, r) => a + (r.cpu['other'] ?? 0), 0) / Math.max(1, bench.records.length),
        1,
      ),
      stepsRepeated: bench.records.filter((r) => r.label.endsWith('*')).length,
    },
    notes: bench.notes,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = `${JSON.stringify(results, null, 2)}\n`;
  writeFileSync(path.join(RESULTS_DIR, 'latest.json'), json);
  writeFileSync(path.join(RESULTS_DIR, `latest-${results.mode}.json`), json);

  console.log(`\n${summaryTable(results)}`);
  for (const n of bench.notes) console.log(`note: ${n}`);
  console.log(
    `\n${results.machine.cpus} × ${results.machine.cpuModel}, ${results.machine.memoryMb} MB, Node ${results.machine.node}, PostgreSQL ${postgres}; commit ${commit.slice(0, 12)}${dirty ? ' (dirty)' : ''}; ${results.durationS} s`,
  );
  console.log(`wrote ${path.relative(REPO_ROOT, path.join(RESULTS_DIR, 'latest.json'))}`);
}

/**
 * Keeps the main thread's profile of a process as `<name>.cpuprofile` and summarises the window.
 * There is one file per V8 isolate: the main thread's (thread id 0) does the work; tsx's
 * module-loader worker writes its own, which is dropped.
 */
function keepMainProfile(
  dir: string,
  pid: number,
  name: string,
  window: { fromUs: number; toUs: number },
): ReturnType<typeof summariseProfile> | undefined {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const main = files.find((f) => f.includes(`.${pid}.0.`)) ?? files[0];
  for (const f of files) if (f !== main) rmSync(path.join(dir, f));
  if (!main) return undefined;
  const target = path.join(dir, `${name}.cpuprofile`);
  copyFileSync(path.join(dir, main), target);
  rmSync(path.join(dir, main));
  return summariseProfile(target, window);
}

/** N messages at a fixed rate to a workspace of their own, then the DB's view of accept → SENT. */
async function endToEnd(
  bench: Bench,
  api: Api,
  sendWs: Seeded,
  ws: Seeded,
  rate: number,
): Promise<Omit<BenchResults['e2e'], 'readP50Ms' | 'readP99Ms' | 'read'>> {
  await bench.drain(sendWs.workspaceId, bench.plan.drainTimeoutMs);
  const http = await bench.step(
    'e2e',
    api.proc,
    { ...bench.sendSpec(api.port, ws.headers, rate, bench.plan.e2eSeconds * 1000), timeoutMs: 30_000 },
    false,
  );
  const t0 = Date.now();
  const left = await bench.drain(ws.workspaceId, Math.max(60_000, bench.plan.drainTimeoutMs));
  const drainS = round((Date.now() - t0) / 1000, 1);
  if (left > 0) bench.notes.push(`end to end: ${left} messages were not final after the wait`);
  const { rows } = await bench.db.raw<{
    rows: Array<{
      accepted: number;
      sent: number;
      failed: number;
      duplicate_events: number;
      span_ms: number | null;
      p50: number | null;
      p99: number | null;
      max: number | null;
    }>;
  }>(
    `WITH m AS (SELECT id, status, created_at FROM messages WHERE workspace_id = ?),
          e AS (SELECT ev.message_id, min(ev.created_at) AS sent_at, count(*) AS n, min(m.created_at) AS accepted_at
                  FROM m JOIN message_events ev ON ev.message_id = m.id AND ev.status = 'SENT'
                 GROUP BY ev.message_id),
          l AS (SELECT extract(epoch FROM sent_at - accepted_at) * 1000 AS ms FROM e)
     SELECT (SELECT count(*) FROM m)::int AS accepted,
            (SELECT count(*) FROM m WHERE status = 'SENT')::int AS sent,
            (SELECT count(*) FROM m WHERE status = 'FAILED')::int AS failed,
            (SELECT coalesce(sum(n - 1), 0) FROM e)::int AS duplicate_events,
            (SELECT extract(epoch FROM max(e.sent_at) - (SELECT min(created_at) FROM m)) * 1000 FROM e)::float8 AS span_ms,
            (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM l)::float8 AS p50,
            (SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) FROM l)::float8 AS p99,
            (SELECT max(ms) FROM l)::float8 AS max`,
    [ws.workspaceId],
  );
  const r = rows[0];
  if (!r) throw new Error('end-to-end query returned no row');
  const result = {
    msgsPerSec: r.span_ms && r.span_ms > 0 ? round((r.sent / r.span_ms) * 1000, 1) : 0,
    p50Ms: round(r.p50 ?? 0, 1),
    p99Ms: round(r.p99 ?? 0, 1),
    maxMs: round(r.max ?? 0, 1),
    offeredRps: rate,
    accepted: r.accepted,
    sent: r.sent,
    failed: r.failed,
    duplicateSentEvents: r.duplicate_events,
    drainS,
    keptUp: r.span_ms !== null && r.span_ms > 0 && (r.sent / r.span_ms) * 1000 >= 0.95 * rate,
    http,
  };
  console.log(
    `  ${result.sent}/${result.accepted} SENT (${result.failed} failed) in ${round((r.span_ms ?? 0) / 1000, 2)} s: ${result.msgsPerSec} msg/s; accept→SENT p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms`,
  );
  return result;
}
