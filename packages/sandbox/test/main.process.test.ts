import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, REPO_ROOT, waitForHttp } from '@flowgate/testing';

/** `pnpm sandbox` exactly as a user (or the compose file) runs it, as its own process group. */
function pnpmSandbox(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  /** Resolves once every process of the group has closed its end of stdout and stderr. */
  closed: Promise<void>;
} {
  const child = spawn('pnpm', ['sandbox'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const chunks: string[] = [];
  child.stdout?.on('data', (d: Buffer) => chunks.push(d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => chunks.push(d.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return { child, output: () => chunks.join(''), exited, closed };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

describe('pnpm sandbox (a separate process)', () => {
  const started: ChildProcess[] = [];
  afterAll(() => {
    for (const child of started) killGroup(child, 'SIGKILL');
  });

  it('when started with its settings from the environment, then it answers and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const run = pnpmSandbox({
      SANDBOX_PORT: String(port),
      SANDBOX_HOST: '127.0.0.1',
      SANDBOX_SLOW_MS: '250',
      SANDBOX_CHAOS: '{"http500Rate":1}',
    });
    started.push(run.child);
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/healthz`, undefined, 60_000).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${run.output()}`);
    });

    const numbers = (await (await fetch(`${base}/_sandbox/numbers`)).json()) as {
      slowMs: number;
      chaos: unknown;
    };
    expect(numbers.slowMs).toBe(250);
    expect(numbers.chaos).toEqual({
      settings: { http500Rate: 1 },
      injected: { http500: 0, timeout: 0, throttle: 0 },
    });
    const send = await fetch(`${base}/v25.0/123/messages`, {
      method: 'POST',
      headers: { authorization: 'Bearer token', 'content-type': 'application/json' },
      body: JSON.stringify({
        messaging_product: 'whatsapp',
        to: '16505550110',
        type: 'text',
        text: { body: 'Hi' },
      }),
    });
    expect(send.status).toBe(500);

    // Structured log lines from @flowgate/logger, never the access token.
    const listening = run
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l['message'] === 'sandbox provider listening');
    expect(listening).toMatchObject({ level: 'info', service: 'sandbox', url: base, slowMs: 250 });
    expect(run.output()).not.toContain('Bearer token');

    // pnpm itself dies of the signal; the sandbox under it shuts down and closes its port.
    killGroup(run.child, 'SIGTERM');
    await run.closed;
    expect(run.output()).toContain('"message":"shutting down"');
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });

  it('when a setting is bad, then it exits 78 listing every problem', async () => {
    const run = pnpmSandbox({
      SANDBOX_PORT: 'eighty',
      SANDBOX_CHAOS: '{"http500Rate":2}',
    });
    started.push(run.child);
    expect(await run.exited).toBe(78);
    expect(run.output()).toContain('SANDBOX_PORT: must be integer');

    const chaos = pnpmSandbox({ SANDBOX_PORT: '0', SANDBOX_CHAOS: '{"http500Rate":2,"seed":7}' });
    started.push(chaos.child);
    expect(await chaos.exited).toBe(78);
    expect(chaos.output()).toContain('SANDBOX_CHAOS: http500Rate: must be <= 1');
    expect(chaos.output()).toContain('SANDBOX_CHAOS: (root): must NOT have additional properties (seed)');
  });
});
