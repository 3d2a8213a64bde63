/**
 * The real stack as separate processes, on the suite's private PostgreSQL and RabbitMQ: the
 * sandbox provider (`packages/sandbox/src/main.ts`), two public-api processes
 * (`services/public-api/src/main.ts`, the `pnpm start:api` entry) and two dispatchers
 * (`services/dispatcher/src/main.ts`). Every process is `node --import tsx <entry>`, so
 * `kill('SIGKILL')` hits the service itself; every pid is recorded for the run's cleanup.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createDatabase, type Database } from '@flowgate/db';
import { addPhoneNumber, createApiKey, createWorkspace } from '@flowgate/testing';
import { freePort, REPO_ROOT, startProcess, waitForHttp, type ServiceProcess } from '@flowgate/testing';
import { STATE_ENV, trackPid, type InstancesState } from './instances';

/** Settings every scenario shares; see ADR 0015 for why each is what it is. */
export const SUITE_ENV = {
  LOG_LEVEL: 'warn',
  // Meta's ceiling per number: the load is 125/s from one number.
  DISPATCH_RATE_PER_NUMBER: '1000',
  DISPATCH_PREFETCH: '64',
  // Short tiers so a retried message is final within seconds, not minutes (backoff 1 s, 4 s, …
  // is rounded to the largest tier at most).
  DISPATCH_RETRY_DELAYS_MS: '500,1000,2000',
  // A killed dispatcher's claims are taken over after 5 s (default 60 s).
  DISPATCH_CLAIM_TIMEOUT_MS: '5000',
} as const;

/** USER_HZ on Linux. */
const CLOCK_TICKS = 100;

export function loadState(): InstancesState {
  const file = process.env[STATE_ENV];
  if (file === undefined)
    throw new Error(
      `${STATE_ENV} is not set: run the fault suite with pnpm test:faults (it starts private instances)`,
    );
  return JSON.parse(readFileSync(file, 'utf8')) as InstancesState;
}

export interface Service {
  name: string;
  url: string;
  proc: ServiceProcess;
  /** The process's own (structured) output lines so far. */
  lines(): string[];
}

export interface Partner {
  workspaceId: string;
  phoneNumberId: string;
  providerPhoneNumberId: string;
  headers: Record<string, string>;
}

export interface FaultStack {
  state: InstancesState;
  env: Record<string, string>;
  db: Database;
  sandbox: Service;
  apis: Service[];
  dispatchers: Service[];
  /** Every service ever started in this stack (killed ones too), for the logs. */
  all: Service[];
  partner(): Promise<Partner>;
  /** `kill -9`; resolves once the process is gone. */
  kill(service: Service): Promise<void>;
  /** Starts the API again on the same port (as an orchestrator would) and waits until it is ready. */
  restartApi(index: number): Promise<Service>;
  /** Starts one more dispatcher and waits until it consumes. */
  startDispatcher(): Promise<Service>;
  /** Error-level lines logged by any service of the stack. */
  errorLines(): string[];
  /** CPU seconds (user + system) each live service has used so far, from /proc. */
  cpuSeconds(): Record<string, number>;
  close(scenario: string): Promise<void>;
}

async function startService(
  state: InstancesState,
  name: string,
  entry: string,
  env: Record<string, string>,
  readyUrl: string,
  baseUrl: string,
): Promise<Service> {
  const proc = startProcess(entry, env);
  const untrack = trackPid(state, proc.child.pid);
  proc.child.once('exit', untrack);
  try {
    await waitForHttp(readyUrl, proc, 60_000);
  } catch (err) {
    await proc.stop('SIGKILL');
    throw err;
  }
  return {
    name,
    url: baseUrl,
    proc,
    lines: () =>
      proc.output
        .join('')
        .split('\n')
        .filter((l) => l !== ''),
  };
}

export async function startFaultStack(extraEnv: Record<string, string> = {}): Promise<FaultStack> {
  const state = loadState();
  const sandboxPort = await freePort();
  const sandbox = await startService(
    state,
    'sandbox',
    'packages/sandbox/src/main.ts',
    { SANDBOX_PORT: String(sandboxPort), SANDBOX_HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    `http://127.0.0.1:${sandboxPort}/healthz`,
    `http://127.0.0.1:${sandboxPort}`,
  );
  const env: Record<string, string> = {
    DATABASE_URL: state.postgres.url,
    AMQP_URL: state.rabbit.url,
    AMQP_PREFIX: `faults.${randomBytes(4).toString('hex')}`,
    FLOWGATE_SECRET_KEY: randomBytes(32).toString('base64'),
    JWT_SECRET: randomBytes(32).toString('hex'),
    GRAPH_API_BASE_URL: sandbox.url,
    ...SUITE_ENV,
    ...extraEnv,
  };
  const db = createDatabase({ kind: 'postgres', url: state.postgres.url }, { poolMax: 3 });
  const all: Service[] = [sandbox];
  const apiPorts = [await freePort(), await freePort()];

  const startApi = async (index: number): Promise<Service> => {
    const port = apiPorts[index] ?? 0;
    const api = await startService(
      state,
      `api#${index + 1}`,
      'services/public-api/src/main.ts',
      { ...env, PORT: String(port), HOST: '127.0.0.1' },
      `http://127.0.0.1:${port}/readyz`,
      `http://127.0.0.1:${port}`,
    );
    all.push(api);
    return api;
  };
  let dispatcherCount = 0;
  const startDispatcher = async (): Promise<Service> => {
    dispatcherCount += 1;
    const name = `dispatcher#${dispatcherCount}`;
    const port = await freePort();
    const dispatcher = await startService(
      state,
      name,
      'services/dispatcher/src/main.ts',
      { ...env, DISPATCHER_HEALTH_PORT: String(port) },
      `http://127.0.0.1:${port}/readyz`,
      `http://127.0.0.1:${port}`,
    );
    all.push(dispatcher);
    return dispatcher;
  };

  try {
    const [apis, dispatchers] = await Promise.all([
      Promise.all([startApi(0), startApi(1)]),
      Promise.all([startDispatcher(), startDispatcher()]),
    ]);
    const stack: FaultStack = {
      state,
      env,
      db,
      sandbox,
      apis,
      dispatchers,
      all,
      async partner() {
        const key = Buffer.from(env['FLOWGATE_SECRET_KEY'] ?? '', 'base64');
        const providerPhoneNumberId = String(100000000000000 + Math.floor(Math.random() * 1e14));
        const ws = await createWorkspace(db);
        const number = await addPhoneNumber(db, key, ws.workspaceId, {
          isDefault: true,
          providerId: providerPhoneNumberId,
        });
        const apiKey = await createApiKey(db, ws.workspaceId, 'fault suite');
        return {
          workspaceId: ws.workspaceId,
          phoneNumberId: number.phoneNumberId,
          providerPhoneNumberId,
          headers: { apiKey: apiKey.apiKey, apiSecret: apiKey.apiSecret },
        };
      },
      async kill(service) {
        await service.proc.stop('SIGKILL');
      },
      async restartApi(index) {
        const api = await startApi(index);
        apis[index] = api;
        return api;
      },
      async startDispatcher() {
        const dispatcher = await startDispatcher();
        dispatchers.push(dispatcher);
        return dispatcher;
      },
      cpuSeconds() {
        const out: Record<string, number> = {};
        for (const s of all) {
          const pid = s.proc.child.pid;
          if (pid === undefined || s.proc.child.exitCode !== null || s.proc.child.signalCode !== null)
            continue;
          try {
            // Fields 14 and 15 of /proc/<pid>/stat (after the parenthesised command name).
            const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
            const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
            out[s.name] = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
          } catch {
            // gone meanwhile
          }
        }
        return out;
      },
      errorLines() {
        return all.flatMap((s) =>
          s
            .lines()
            .filter((l) => l.includes('"level":"error"'))
            .map((l) => `${s.name}: ${l}`),
        );
      },
      async close(scenario) {
        await Promise.all(all.map((s) => s.proc.stop('SIGTERM')));
        await db.destroy();
        const logs = path.join(REPO_ROOT, '.ci', 'out', 'faults-logs');
        mkdirSync(logs, { recursive: true });
        for (const s of all)
          writeFileSync(path.join(logs, `${scenario}.${s.name}.log`), s.proc.output.join(''));
      },
    };
    return stack;
  } catch (err) {
    await Promise.all(all.map((s) => s.proc.stop('SIGKILL')));
    await db.destroy();
    throw err;
  }
}
