/**
 * Child processes of the benchmark. Flowgate's own processes (public-api, dispatcher, sandbox) run
 * as the runtime image runs them, compiled by `pnpm build`'s esbuild step (ADR 0046): once
 * {@link compileServices} has run, their entry files start as `node <bundle>` with the image's
 * environment (NODE_OPTIONS and all, {@link imageEnv}). Everything else, and a process profiled with `--cpu-prof` (so the profile names
 * source files and packages), runs as `node --import tsx <entry>`. Either way the pid we hold is
 * the process that does the work (its /proc numbers are the service's own). Output goes to a log
 * file per process.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BUILD_TARGETS, buildAll, entryOfScript } from '../build';

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const RESULTS_DIR = path.join(REPO_ROOT, 'bench/results');
export const LOG_DIR = path.join(RESULTS_DIR, 'logs');

export interface BenchProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  logFile: string;
  /** The last `bytes` of the process's output. */
  tail(bytes?: number): string;
  exited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

const live = new Set<BenchProcess>();

/** Every child still running (for cleanup on failure). */
export function liveProcesses(): BenchProcess[] {
  return [...live];
}

/** Entry file (repository-relative) → its compiled bundle, once {@link compileServices} ran. */
const bundles = new Map<string, string>();

/**
 * Compiles the service entry points into `bench/results/build` (third-party requires by absolute
 * path, so they resolve inside this checkout as the image's flat node_modules would). A second
 * call is a no-op.
 */
export async function compileServices(): Promise<void> {
  if (bundles.size > 0) return;
  const outDir = path.join(RESULTS_DIR, 'build');
  await buildAll(outDir, { absoluteExternals: true, withoutDashboard: true });
  for (const script of ['start:api', 'start:dispatcher', 'sandbox'] as const)
    bundles.set(entryOfScript(script), path.join(outDir, `${BUILD_TARGETS[script]}.js`));
}

/**
 * The environment the runtime image sets (the `ENV` lines of infra/docker/Dockerfile's last stage: NODE_ENV,
 * NODE_OPTIONS, the allocator's settings): a compiled service runs with it, under the benchmark's
 * own variables, so its memory and CPU are the image's.
 */
let imageEnvCache: Record<string, string> | undefined;

export function imageEnv(): Record<string, string> {
  if (imageEnvCache) return imageEnvCache;
  const dockerfile = readFileSync(path.join(REPO_ROOT, 'infra/docker/Dockerfile'), 'utf8');
  const env: Record<string, string> = {};
  // The last stage is the runtime image.
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  for (const line of runtime.split('\n')) {
    if (!line.startsWith('ENV ')) continue;
    for (const m of line.slice(4).matchAll(/([A-Z_][A-Z0-9_]*)=(?:"([^"]*)"|(\S+))/g))
      if (m[1]) env[m[1]] = m[2] ?? m[3] ?? '';
  }
  if (env['NODE_OPTIONS'] === undefined) throw new Error('infra/docker/Dockerfile sets no NODE_OPTIONS');
  imageEnvCache = env;
  return env;
}

/** `compiled` when Flowgate's processes run their bundles, `tsx` when they run the sources. */
export function servicesRuntime(): 'compiled' | 'tsx' {
  return bundles.size > 0 ? 'compiled' : 'tsx';
}

export interface StartOptions {
  env: Record<string, string>;
  nodeArgs?: string[];
  /** Adds an IPC channel (the load generator). */
  ipc?: boolean;
}

/**
 * Starts `node [nodeArgs] <bundle>` (a compiled service) or `node [nodeArgs] --import tsx <entry>`,
 * with only the given environment (plus PATH and HOME).
 */
export function startNode(name: string, entry: string, opts: StartOptions): BenchProcess {
  mkdirSync(LOG_DIR, { recursive: true });
  const logFile = path.join(LOG_DIR, `${name}.log`);
  const fd = openSync(logFile, 'w');
  const stdio: StdioOptions = opts.ipc ? ['ignore', fd, fd, 'ipc'] : ['ignore', fd, fd];
  const nodeArgs = opts.nodeArgs ?? [];
  const bundle = nodeArgs.includes('--cpu-prof') ? undefined : bundles.get(entry);
  const child = spawn(
    process.execPath,
    bundle !== undefined
      ? [...nodeArgs, bundle]
      : [...nodeArgs, '--import', 'tsx', path.resolve(REPO_ROOT, entry)],
    {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: process.env['HOME'] ?? '/tmp',
        ...(bundle !== undefined ? imageEnv() : {}),
        ...opts.env,
      },
      stdio,
    },
  );
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      exitCode = code ?? (signal ? -1 : null);
      live.delete(proc);
      resolve(code);
    }),
  );
  const proc: BenchProcess = {
    name,
    child,
    pid: child.pid,
    logFile,
    tail(bytes = 4000) {
      try {
        const text = readFileSync(logFile, 'utf8');
        return text.slice(-bytes);
      } catch {
        return '';
      }
    },
    exited: () => exitCode !== undefined,
    async stop(graceMs = 15_000) {
      if (exitCode !== undefined) return exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  live.add(proc);
  return proc;
}

/** Last resort from an exit handler: SIGKILL every child still running. */
export function killAllSync(): void {
  for (const p of live) {
    try {
      p.child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `url` until it answers 200; fails early if the process exits. */
export async function waitForHttp(url: string, proc: BenchProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exited()) throw new Error(`${proc.name} exited during start:\n${proc.tail()}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${url} (${proc.name}):\n${proc.tail()}`);
    await sleep(100);
  }
}

/** Peak resident set size (VmHWM) of a live process, in MiB. */
export function peakRssMb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return m?.[1] !== undefined ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** USER_HZ; 100 on every mainstream Linux build. */
const CLOCK_TICKS = 100;

/**
 * Machine-wide CPU counters from /proc/stat, in milliseconds summed over all cores: `tasks` is
 * user + nice + system (time processes use, comparable with their /proc/<pid>/stat), `busy` adds
 * interrupts and steal, `total` adds idle and iowait (guest time is already inside user).
 */
export function machineCpu(): { tasks: number; busy: number; total: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const toMs = (ticks: number): number => (ticks * 1000) / CLOCK_TICKS;
    const tasks = user + nice + system;
    const busy = tasks + irq + softirq + steal;
    return { tasks: toMs(tasks), busy: toMs(busy), total: toMs(busy + idle + iowait) };
  } catch {
    return { tasks: 0, busy: 0, total: 0 };
  }
}

const GROUP_BY_COMM: Record<string, string> = {
  postgres: 'postgres',
  'beam.smp': 'rabbitmq',
  erl_child_setup: 'rabbitmq',
  inet_gethost: 'rabbitmq',
  epmd: 'rabbitmq',
  'redis-server': 'redis',
};

export interface CpuSnapshot {
  /** CPU milliseconds used so far per group: each named pid, `postgres`, `rabbitmq`. */
  groups: Record<string, number>;
  /** The same per process: pid → its group and CPU ms (see {@link cpuDelta}). */
  pids: Map<number, { group: string; ms: number }>;
  machine: { tasks: number; busy: number; total: number };
}

/**
 * CPU ms per group between two snapshots, process by process: a process that started in between
 * counts whole, one that ended counts nothing for its last interval. PostgreSQL's backends come
 * and go with the pools, so a difference of group sums can even go negative; this cannot.
 */
export function cpuDelta(a: CpuSnapshot, b: CpuSnapshot): Record<string, number> {
  const out: Record<string, number> = {};
  for (const group of Object.keys(b.groups)) out[group] = 0;
  for (const [pid, { group, ms }] of b.pids) {
    const before = a.pids.get(pid);
    const used = before && before.group === group ? ms - before.ms : ms;
    out[group] = (out[group] ?? 0) + Math.max(0, used);
  }
  return out;
}

/** The database a PostgreSQL backend serves ("postgres: 15/main: user db host(port) state"), if any. */
function backendDatabase(pid: number): string | undefined {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    return /^postgres: [^:]+: \S+ (\S+) (?:\[local\]|[\d.:a-f]+\(\d+\))/.exec(cmd)?.[1];
  } catch {
    return undefined;
  }
}

/**
 * CPU used so far by the named processes, PostgreSQL (its shared processes and the backends of
 * `database`; other databases' backends count as `other`), RabbitMQ, and the whole machine.
 */
export function cpuSnapshot(named: Record<string, number>, database: string): CpuSnapshot {
  const byPid = new Map(Object.entries(named).map(([name, pid]) => [pid, name]));
  const groups: Record<string, number> = {};
  const pids = new Map<number, { group: string; ms: number }>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    // not Linux
  }
  for (const e of entries) {
    const pid = Number(e);
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const group = byPid.get(pid) ?? GROUP_BY_COMM[comm];
    if (group === undefined) continue;
    if (group === 'postgres') {
      const db = backendDatabase(pid);
      if (db !== undefined && db !== database) continue;
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ms = ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
    groups[group] = (groups[group] ?? 0) + ms;
    pids.set(pid, { group, ms });
  }
  return { groups, pids, machine: machineCpu() };
}

/**
 * CPU per group between two snapshots, as a share of one core (100 = one full core), plus
 * `other`: everything else on the machine (a busy neighbour makes a step unreliable).
 */
export function cpuShares(a: CpuSnapshot, b: CpuSnapshot): Record<string, number> {
  const wall = (b.machine.total - a.machine.total) / Math.max(1, os.cpus().length);
  if (wall <= 0) return {};
  const out: Record<string, number> = {};
  let accounted = 0;
  for (const [g, d] of Object.entries(cpuDelta(a, b))) {
    accounted += d;
    out[g] = Math.round((d / wall) * 1000) / 10;
  }
  out['other'] = Math.round((Math.max(0, b.machine.tasks - a.machine.tasks - accounted) / wall) * 1000) / 10;
  out['machine'] = Math.round(((b.machine.busy - a.machine.busy) / (wall * os.cpus().length)) * 1000) / 10;
  return out;
}
