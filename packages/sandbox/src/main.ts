/**
 * Runs the sandbox provider standalone: `pnpm sandbox`.
 * SANDBOX_PORT (default 4010), SANDBOX_HOST (default 0.0.0.0), SANDBOX_SLOW_MS (default 3000).
 */
import { startSandbox } from './server';

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`${name} must be a non-negative integer (got "${raw}")`);
    process.exit(1);
  }
  return n;
}

async function main(): Promise<void> {
  const port = intFromEnv('SANDBOX_PORT', 4010);
  const host = process.env['SANDBOX_HOST'] ?? '0.0.0.0';
  const slowMs = intFromEnv('SANDBOX_SLOW_MS', 3000);
  const sandbox = await startSandbox({
    port,
    host,
    slowMs,
    log: (msg, meta) => console.error(JSON.stringify({ level: 'error', msg, ...meta })),
  });
  console.log(
    JSON.stringify({
      level: 'info',
      msg: 'sandbox provider listening',
      url: sandbox.url,
      host,
      port: sandbox.port,
    }),
  );
  let closing = false;
  const shutdown = (): void => {
    if (closing) return;
    closing = true;
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
