/**
 * Private PostgreSQL and RabbitMQ instances for the fault suite. The suite stops, starts and
 * restarts them, so it must never use the machine's shared ones (127.0.0.1:5432 / :5672, which
 * other test runs use at the same time): each run gets a PostgreSQL cluster and a RabbitMQ node
 * of its own, on free ports, with data under one temporary directory.
 *
 * Everything needed to stop them is also written to `<dir>/cleanup.sh`, which the global
 * teardown runs and which `scripts/faults/reaper.sh` runs if the Jest process dies without
 * tearing down (kill -9, a crash): no instance outlives the run.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, REPO_ROOT } from '@flowgate/testing';
import { waitFor } from '@flowgate/testing';

const run = promisify(execFile);

/** What the scenarios need to know about the instances (serialised into `<dir>/state.json`). */
export interface InstancesState {
  dir: string;
  postgres: {
    bin: string;
    dataDir: string;
    logFile: string;
    port: number;
    /** `postgres` when the suite runs as root (the server refuses to run as root). */
    runAs: string | undefined;
    url: string;
  };
  rabbit: {
    bin: string;
    node: string;
    port: number;
    distPort: number;
    env: Record<string, string>;
    url: string;
  };
}

export const STATE_ENV = 'FLOWGATE_FAULTS_STATE';

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

async function freePortBelow(limit: number): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port < limit) return port;
  }
}

async function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function findPostgresBin(): string {
  const root = '/usr/lib/postgresql';
  const preferred = path.join(root, '15', 'bin');
  if (existsSync(path.join(preferred, 'pg_ctl'))) return preferred;
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(path.join(root, v, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const first = versions[0];
  if (first === undefined)
    throw new Error(
      'the fault suite needs PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql',
    );
  return path.join(root, first, 'bin');
}

function findRabbitBin(): string {
  // The Debian package's /usr/sbin wrappers switch to the rabbitmq user and its cookie; the
  // scripts under /usr/lib/rabbitmq/bin run as we are, with the HOME (and cookie) we give them.
  const direct = '/usr/lib/rabbitmq/bin';
  if (existsSync(path.join(direct, 'rabbitmq-server'))) return direct;
  for (const dir of (process.env['PATH'] ?? '').split(':'))
    if (dir !== '' && existsSync(path.join(dir, 'rabbitmq-server'))) return dir;
  throw new Error('the fault suite needs RabbitMQ (rabbitmq-server, rabbitmqctl)');
}

/** Runs a PostgreSQL tool as the cluster's owner. */
async function pgTool(state: InstancesState['postgres'], tool: string, args: string[]): Promise<string> {
  const bin = path.join(state.bin, tool);
  const [cmd, argv] =
    state.runAs !== undefined ? ['runuser', ['-u', state.runAs, '--', bin, ...args]] : [bin, args];
  const { stdout } = await run(cmd, argv, { cwd: '/', timeout: 60_000 });
  return stdout;
}

function pgStartArgs(state: InstancesState['postgres']): string[] {
  const options = [
    `-p ${state.port}`,
    '-c listen_addresses=127.0.0.1',
    `-k ${state.dataDir}`,
    '-c fsync=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
  ].join(' ');
  return ['-D', state.dataDir, '-l', state.logFile, '-w', '-t', '60', '-o', options, 'start'];
}

async function rabbitctl(state: InstancesState['rabbit'], args: string[]): Promise<string> {
  const { stdout } = await run(path.join(state.bin, 'rabbitmqctl'), ['-n', state.node, ...args], {
    env: { ...state.env, PATH: process.env['PATH'] ?? '' },
    cwd: state.env['HOME'],
    timeout: 120_000,
  });
  return stdout;
}

export async function startPostgres(state: InstancesState['postgres']): Promise<void> {
  await pgTool(state, 'pg_ctl', pgStartArgs(state));
}

/** `pg_ctl stop -m fast`: sessions are terminated, open transactions roll back. */
export async function stopPostgres(state: InstancesState['postgres'], mode = 'fast'): Promise<void> {
  await pgTool(state, 'pg_ctl', ['-D', state.dataDir, '-w', '-t', '60', '-m', mode, 'stop']);
}

export async function rabbitStopApp(state: InstancesState['rabbit']): Promise<void> {
  await rabbitctl(state, ['stop_app']);
}

/**
 * Waits until the node runs the broker. `await_startup` fails at once while the node has not yet
 * registered with epmd (just after `rabbitmq-server -detached` on a busy machine), so it is retried.
 */
async function awaitRabbit(state: InstancesState['rabbit'], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await rabbitctl(state, [
        'await_startup',
        '--timeout',
        String(Math.max(1, Math.round((deadline - Date.now()) / 1000))),
      ]);
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  await waitFor('the private RabbitMQ listener', () => tcpOpen(state.port), 30_000, 100);
}

export async function rabbitStartApp(state: InstancesState['rabbit']): Promise<void> {
  await rabbitctl(state, ['start_app']);
  await awaitRabbit(state, 60_000);
}

/** Starts a PostgreSQL cluster and a RabbitMQ node of our own; returns their state. */
export async function startInstances(): Promise<InstancesState> {
  const dir = path.join(os.tmpdir(), `flowgate-faults-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(path.join(dir, 'pids'), { recursive: true });
  chmodSync(dir, 0o755);

  const runAs = process.getuid?.() === 0 ? 'postgres' : undefined;
  const pgDir = path.join(dir, 'postgres');
  mkdirSync(pgDir, { recursive: true });
  if (runAs !== undefined) {
    const { stdout } = await run('id', ['-u', runAs]);
    const { stdout: gid } = await run('id', ['-g', runAs]);
    chownSync(pgDir, Number(stdout.trim()), Number(gid.trim()));
  }
  const pgPort = await freePort();
  const postgres: InstancesState['postgres'] = {
    bin: findPostgresBin(),
    dataDir: path.join(pgDir, 'data'),
    logFile: path.join(pgDir, 'server.log'),
    port: pgPort,
    runAs,
    url: `postgres://postgres@127.0.0.1:${pgPort}/flowgate_faults`,
  };

  const rabbitDir = path.join(dir, 'rabbitmq');
  const home = path.join(rabbitDir, 'home');
  mkdirSync(home, { recursive: true });
  mkdirSync(path.join(rabbitDir, 'mnesia'));
  mkdirSync(path.join(rabbitDir, 'log'));
  const cookie = path.join(home, '.erlang.cookie');
  writeFileSync(cookie, randomBytes(24).toString('hex').toUpperCase(), { mode: 0o400 });
  const amqpPort = await freePort();
  // The CLI tools pick their own distribution port at distPort + 10000 … + 10010.
  const distPort = await freePortBelow(55_000);
  const nodeName = `flowgate-faults-${randomBytes(4).toString('hex')}@localhost`;
  writeFileSync(path.join(rabbitDir, 'enabled_plugins'), '[].\n');
  writeFileSync(
    path.join(rabbitDir, 'rabbitmq-env.conf'),
    '# the fault suite sets everything through the environment\n',
  );
  writeFileSync(
    path.join(rabbitDir, 'rabbitmq.conf'),
    [
      `listeners.tcp.local = 127.0.0.1:${amqpPort}`,
      'loopback_users.guest = true',
      'disk_free_limit.absolute = 50MB',
      '',
    ].join('\n'),
  );
  const rabbit: InstancesState['rabbit'] = {
    bin: findRabbitBin(),
    node: nodeName,
    port: amqpPort,
    distPort,
    env: {
      HOME: home,
      RABBITMQ_NODENAME: nodeName,
      RABBITMQ_NODE_PORT: String(amqpPort),
      RABBITMQ_DIST_PORT: String(distPort),
      RABBITMQ_MNESIA_BASE: path.join(rabbitDir, 'mnesia'),
      RABBITMQ_LOG_BASE: path.join(rabbitDir, 'log'),
      RABBITMQ_PID_FILE: path.join(rabbitDir, 'beam.pid'),
      RABBITMQ_ENABLED_PLUGINS_FILE: path.join(rabbitDir, 'enabled_plugins'),
      RABBITMQ_CONFIG_FILE: path.join(rabbitDir, 'rabbitmq.conf'),
      RABBITMQ_CONF_ENV_FILE: path.join(rabbitDir, 'rabbitmq-env.conf'),
      ERL_EPMD_ADDRESS: '127.0.0.1',
    },
    url: `amqp://guest:guest@127.0.0.1:${amqpPort}`,
  };

  const state: InstancesState = { dir, postgres, rabbit };
  writeFileSync(path.join(dir, 'state.json'), JSON.stringify(state, null, 2));
  writeCleanupScript(state);
  startReaper(dir);

  try {
    await Promise.all([
      (async () => {
        await pgTool(postgres, 'initdb', [
          '-D',
          postgres.dataDir,
          '-U',
          'postgres',
          '-A',
          'trust',
          '-E',
          'UTF8',
          '--no-sync',
        ]);
        await startPostgres(postgres);
        await run(
          'psql',
          [
            '-h',
            '127.0.0.1',
            '-p',
            String(pgPort),
            '-U',
            'postgres',
            '-qc',
            'CREATE DATABASE flowgate_faults',
          ],
          {
            timeout: 30_000,
          },
        );
      })(),
      (async () => {
        await run(path.join(rabbit.bin, 'rabbitmq-server'), ['-detached'], {
          env: { ...rabbit.env, PATH: process.env['PATH'] ?? '' },
          cwd: home,
          timeout: 60_000,
        });
        await awaitRabbit(rabbit, 90_000);
      })(),
    ]);
  } catch (err) {
    await stopInstances(state);
    throw err;
  }
  return state;
}

/**
 * The commands that stop everything the run started: the service processes whose pids are in
 * `<dir>/pids`, the RabbitMQ node, the PostgreSQL cluster; then the directory is removed.
 */
function writeCleanupScript(state: InstancesState): void {
  const { dir, postgres, rabbit } = state;
  const envPrefix = Object.entries(rabbit.env)
    .map(([k, v]) => `${k}=${shellQuote(v)}`)
    .join(' ');
  const pgCtl = path.join(postgres.bin, 'pg_ctl');
  const pgStop =
    postgres.runAs !== undefined
      ? `runuser -u ${postgres.runAs} -- ${shellQuote(pgCtl)} -D ${shellQuote(postgres.dataDir)} -m immediate -w -t 30 stop`
      : `${shellQuote(pgCtl)} -D ${shellQuote(postgres.dataDir)} -m immediate -w -t 30 stop`;
  const pidFile = rabbit.env['RABBITMQ_PID_FILE'] ?? '';
  const script = `#!/usr/bin/env bash
# Written by test/faults/support/instances.ts: stops what one fault-suite run started.
cd /
DIR=${shellQuote(dir)}
for f in "$DIR"/pids/*; do
  [ -e "$f" ] || continue
  kill -9 "$(basename "$f")" 2>/dev/null
done
if [ -s ${shellQuote(pidFile)} ]; then
  env ${envPrefix} timeout 60 ${shellQuote(path.join(rabbit.bin, 'rabbitmqctl'))} -n ${shellQuote(rabbit.node)} stop >/dev/null 2>&1 \\
    || kill -9 "$(cat ${shellQuote(pidFile)})" 2>/dev/null
fi
if [ -f ${shellQuote(path.join(postgres.dataDir, 'postmaster.pid'))} ]; then
  ${pgStop} >/dev/null 2>&1 \\
    || kill -9 "$(head -1 ${shellQuote(path.join(postgres.dataDir, 'postmaster.pid'))})" 2>/dev/null
fi
rm -rf "$DIR"
`;
  writeFileSync(path.join(dir, 'cleanup.sh'), script, { mode: 0o755 });
}

/** A detached watchdog that runs cleanup.sh once this process is gone, however it went. */
function startReaper(dir: string): void {
  const reaper = spawn(
    'bash',
    [
      path.join(REPO_ROOT, 'scripts', 'faults', 'reaper.sh'),
      String(process.pid),
      path.join(dir, 'cleanup.sh'),
    ],
    { detached: true, stdio: 'ignore' },
  );
  writeFileSync(path.join(dir, 'reaper.pid'), String(reaper.pid ?? ''));
  reaper.unref();
}

/** Stops every instance and process of the run and removes its directory (idempotent). */
export async function stopInstances(state: Pick<InstancesState, 'dir'>): Promise<void> {
  const script = path.join(state.dir, 'cleanup.sh');
  if (!existsSync(script)) return;
  let reaperPid: number | undefined;
  try {
    const text = readFileSync(path.join(state.dir, 'reaper.pid'), 'utf8').trim();
    reaperPid = text === '' ? undefined : Number(text);
  } catch {
    reaperPid = undefined;
  }
  await run('bash', [script], { timeout: 120_000 });
  if (reaperPid !== undefined) {
    try {
      process.kill(reaperPid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}

/** Records a service process so that cleanup.sh kills it if the run dies. */
export function trackPid(state: Pick<InstancesState, 'dir'>, pid: number | undefined): () => void {
  if (pid === undefined) return () => undefined;
  const file = path.join(state.dir, 'pids', String(pid));
  writeFileSync(file, '');
  return () => {
    rmSync(file, { force: true });
  };
}
