import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSandbox, type Sandbox } from '@flowgate/sandbox';
import type { Database } from '@flowgate/db';
import { addPhoneNumber, createApiKey, createWorkspace } from './factories';
import { startProcess, type ServiceProcess } from './processes';
import { uniquePrefix } from './rabbit';
import { testEnv } from './test-env';
import { createTestApp, type TestApp } from './test-app';

/**
 * The real stack for dispatcher tests: the sandbox provider (our stand-in for Meta), the API
 * (in-process, through supertest) and N dispatchers as separate processes, on PostgreSQL and a
 * RabbitMQ topology of their own.
 */
export interface Stack {
  sandbox: Sandbox;
  api: TestApp;
  db: Database;
  env: Record<string, string>;
  dispatchers: ServiceProcess[];
  /** Starts one more dispatcher process (with extra environment, e.g. its own DATABASE_URL). */
  startDispatcher(extraEnv?: Record<string, string>): Promise<ServiceProcess>;
  /** Resolves once every running dispatcher has logged that `n` dispatchers share the rates. */
  sharing(n: number): Promise<void>;
  /** Gives a sending number its own rate (phone_numbers.messages_per_second). */
  setRate(phoneNumberId: string, perSecond: number | null): Promise<void>;
  partner(opts?: {
    numbers?: number;
  }): Promise<{ workspaceId: string; phoneNumberIds: string[]; headers: Record<string, string> }>;
  send(headers: Record<string, string>, body: Record<string, unknown>): Promise<string>;
  waitForFinal(
    ids: readonly string[],
    timeoutMs?: number,
  ): Promise<Map<string, { status: string; provider_message_id: string | null; error_code: number | null }>>;
  close(): Promise<void>;
}

/** Waits until the process has printed `text` (or dies, or the time runs out). */
export async function waitForOutput(proc: ServiceProcess, text: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!proc.output.join('').includes(text)) {
    if (proc.child.exitCode !== null || Date.now() > deadline)
      throw new Error(`no "${text}" from the process:\n${proc.output.join('').slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startStack(
  extraEnv: Record<string, string> = {},
  dispatchers = 1,
  opts: { slowMs?: number } = {},
): Promise<Stack> {
  const sandbox = await startSandbox({ port: 0, slowMs: opts.slowMs ?? 3000 });
  const env = testEnv({
    AMQP_PREFIX: uniquePrefix('disp'),
    GRAPH_API_BASE_URL: sandbox.url,
    LOG_LEVEL: 'info',
    DISPATCH_RETRY_DELAYS_MS: '1000,5000,30000',
    ...extraEnv,
  });
  const api = await createTestApp(env, { relayIntervalMs: 500, relayOlderThanMs: 2000 });
  // One listening server, reached with keep-alive connections: sending thousands of messages must
  // not be what a test measures.
  const server = http.createServer(api.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sendUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/public/messages/send`;
  const procs: ServiceProcess[] = [];

  const startDispatcher = async (more: Record<string, string> = {}): Promise<ServiceProcess> => {
    const proc = startProcess('services/dispatcher/src/main.ts', { ...env, ...more });
    procs.push(proc);
    await waitForOutput(proc, 'dispatcher consuming');
    return proc;
  };
  for (let i = 0; i < dispatchers; i += 1) await startDispatcher();

  const stack: Stack = {
    sandbox,
    api,
    db: api.runtime.db,
    env,
    dispatchers: procs,
    startDispatcher,
    async sharing(n) {
      // Each dispatcher counts the queue's consumers every 2 s and logs a change.
      await Promise.all(
        procs
          .filter((p) => p.child.exitCode === null)
          .map((p) => (n === 1 ? Promise.resolve() : waitForOutput(p, `"dispatchers":${n}`))),
      );
    },
    async setRate(phoneNumberId, perSecond) {
      await api.runtime
        .db('phone_numbers')
        .where({ id: phoneNumberId })
        .update({ messages_per_second: perSecond });
    },
    async partner(opts = {}) {
      const ws = await createWorkspace(api.runtime.db);
      const phoneNumberIds: string[] = [];
      for (let i = 0; i < (opts.numbers ?? 1); i += 1)
        phoneNumberIds.push(
          (await addPhoneNumber(api.runtime.db, api.config.secretKey, ws.workspaceId, { isDefault: i === 0 }))
            .phoneNumberId,
        );
      const key = await createApiKey(api.runtime.db, ws.workspaceId);
      return {
        workspaceId: ws.workspaceId,
        phoneNumberIds,
        headers: { apiKey: key.apiKey, apiSecret: key.apiSecret },
      };
    },
    async send(headers, body) {
      const res = await fetch(sendUrl, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      if (res.status !== 201) throw new Error(`send failed ${res.status}: ${text}`);
      return (JSON.parse(text) as { data: { id: string } }).data.id;
    },
    async waitForFinal(ids, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const rows = await api.runtime
          .db('messages')
          .select<
            Array<{
              id: string;
              status: string;
              provider_message_id: string | null;
              error_code: number | null;
            }>
          >('id', 'status', 'provider_message_id', 'error_code')
          .whereIn('id', ids);
        const final = rows.filter((r) => r.status === 'SENT' || r.status === 'FAILED');
        if (final.length === ids.length || Date.now() > deadline) return new Map(rows.map((r) => [r.id, r]));
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async close() {
      await Promise.all(procs.map((p) => p.stop()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await api.close();
      await sandbox.close();
    },
  };
  return stack;
}

/** Runs `fn` over `items` with at most `concurrency` in flight. */
export async function pool<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      for (;;) {
        const i = next;
        next += 1;
        if (i >= items.length) return;
        out[i] = await fn(items[i] as T, i);
      }
    }),
  );
  return out;
}
