/**
 * Runs the sandbox provider standalone: `pnpm sandbox`. Settings come from @flowgate/config
 * (`SANDBOX_PORT`, `SANDBOX_HOST`, `SANDBOX_SLOW_MS`, `SANDBOX_CHAOS`, `SANDBOX_WEBHOOK_URL`,
 * `SANDBOX_STATUS_DELAYS_MS`, `META_APP_SECRET`, `LOG_LEVEL`); a bad value stops the process
 * (exit 78) with the list of problems. Meta's webhooks are posted only when both
 * `SANDBOX_WEBHOOK_URL` and `META_APP_SECRET` are set.
 */
import { ConfigError, exitOnConfigError, loadSandboxConfig, type SandboxConfig } from '@flowgate/config';
import { createLogger } from '@flowgate/logger';
import { parseChaosJson, type ChaosSettings } from './chaos';
import { startSandbox } from './server';

function sandboxConfig(): { config: SandboxConfig; chaos: ChaosSettings | undefined } {
  const config = loadSandboxConfig(process.env);
  if (config.chaos === undefined) return { config, chaos: undefined };
  const parsed = parseChaosJson(config.chaos);
  if (!parsed.ok) throw new ConfigError(parsed.problems.map((p) => `SANDBOX_CHAOS: ${p}`));
  return { config, chaos: parsed.settings };
}

async function main(): Promise<void> {
  const { config, chaos } = exitOnConfigError(sandboxConfig);
  const logger = createLogger({
    service: 'sandbox',
    level: config.logLevel,
    secrets: config.appSecret !== undefined ? [config.appSecret] : [],
  });
  const webhook = config.webhook;
  const sandbox = await startSandbox({
    port: config.port,
    host: config.host,
    slowMs: config.slowMs,
    logger,
    ...(chaos !== undefined ? { chaos } : {}),
    ...(webhook !== undefined
      ? {
          webhook: { url: webhook.url, appSecret: webhook.appSecret, statusDelaysMs: webhook.statusDelaysMs },
        }
      : {}),
  });
  logger.info('sandbox provider listening', {
    url: sandbox.url,
    host: config.host,
    port: sandbox.port,
    slowMs: config.slowMs,
    webhookUrl: webhook?.url ?? null,
    statusDelaysMs: webhook !== undefined ? webhook.statusDelaysMs.join(',') : null,
  });
  if (webhook === undefined && (config.webhookUrl !== undefined || config.appSecret !== undefined)) {
    logger.warn('sandbox webhooks off: they need both SANDBOX_WEBHOOK_URL and META_APP_SECRET', {
      missing: config.webhookUrl === undefined ? 'SANDBOX_WEBHOOK_URL' : 'META_APP_SECRET',
    });
  }
  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    logger.info('shutting down', { signal });
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  // Start-up failed (port in use, bad address): say why, without a stack dump.
  process.stderr.write(`start-up failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
