/**
 * `pnpm start`: everything in one process (docs/contracts.md §7). With no DATABASE_URL and no AMQP_URL:
 * embedded PostgreSQL (PGlite) in the data dir, the in-process broker, the sandbox provider and a
 * demo workspace whose key is printed with a ready-to-paste cURL. With both URLs set, the same
 * code runs on PostgreSQL and RabbitMQ (the sandbox only if SANDBOX=true).
 */
import { loadConfigOrExit, secretValues, type Config } from '@flowgate/config';
import { createDatabase, migrateLatest, TokenCipher } from '@flowgate/db';
import { createLogger } from '@flowgate/logger';
import { createInMemoryBroker } from '@flowgate/messaging';
import { startSandbox } from '@flowgate/sandbox';
import { bootstrapDemo, createArgon2Hasher } from '@flowgate/core';
import { buildApp } from '../services/public-api/src/app';
import { createApiRuntime } from '../services/public-api/src/dependencies';
import { listen } from '../services/public-api/src/server';
import { createDispatcherRuntime } from '../services/dispatcher/src/dependencies';

async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env);
  const embedded = config.database.kind === 'pglite';
  if (embedded !== (config.amqp.url === undefined)) {
    process.stderr.write('Set both DATABASE_URL and AMQP_URL, or neither (embedded mode).\n');
    process.exit(78);
  }
  const logger = createLogger({ service: 'flowgate', level: config.logLevel, secrets: secretValues(config) });
  const db = createDatabase(config.database, {
    poolMax: config.databasePoolMax,
    statementTimeoutMs: config.databaseStatementTimeoutMs,
    log: logger,
  });
  await migrateLatest(db);

  const sandbox = config.sandbox.enabled
    ? await startSandbox({ port: config.sandbox.port, host: '127.0.0.1' })
    : undefined;
  const effective: Config = sandbox
    ? { ...config, graph: { ...config.graph, baseUrl: sandbox.url } }
    : config;
  const broker = embedded
    ? createInMemoryBroker({ logger, delayTiersMs: config.dispatch.retryDelaysMs, maxAttempts: 1000 })
    : undefined;

  const api = await createApiRuntime(effective, logger, { db, ...(broker ? { broker } : {}) });
  const dispatcher = await createDispatcherRuntime(effective, logger, { db, ...(broker ? { broker } : {}) });
  // The in-process broker's queue (ready and retrying deliveries) did not survive the last stop:
  // every unfinished message goes back on it before the dispatcher starts (ADR 0012).
  if (broker) await api.relay.republishUnfinished();
  await dispatcher.start();
  const server = await listen(buildApp(api.deps), config.http);
  const base = `http://${config.http.host === '0.0.0.0' ? 'localhost' : config.http.host}:${server.port}`;

  const lines = [
    `Flowgate is running at ${base} (${embedded ? `embedded: data in ${config.dataDir}` : 'PostgreSQL + RabbitMQ'})`,
  ];
  if (sandbox) lines.push(`Sandbox provider (stand-in for the WhatsApp Cloud API): ${sandbox.url}`);
  if (embedded) {
    const { created, credentials } = await bootstrapDemo(
      db,
      createArgon2Hasher(config.argon2),
      new TokenCipher(config.secretKey),
      config.dataDir,
    );
    lines.push(
      '',
      created ? 'Demo workspace created.' : 'Demo workspace reused.',
      `  apiKey:    ${credentials.apiKey}`,
      `  apiSecret: ${credentials.apiSecret}`,
      `  admin login: ${credentials.ownerEmail} / ${credentials.ownerPassword} (workspace ${credentials.workspaceId})`,
      '',
      'Send a message:',
      `  curl -sS -X POST "${base}/api/v1/public/messages/send" \\`,
      `    -H "Content-Type: application/json" \\`,
      `    -H "apiKey: ${credentials.apiKey}" \\`,
      `    -H "apiSecret: ${credentials.apiSecret}" \\`,
      `    -d '{"type":"text","phone":"919876543210","content":"Your order has shipped."}'`,
      '',
      'Then follow it (replace <id> with data.id from the answer):',
      `  curl -sS "${base}/api/v1/public/messages/<id>" -H "apiKey: ${credentials.apiKey}" -H "apiSecret: ${credentials.apiSecret}"`,
      '',
      `Templates: curl -sS "${base}/api/v1/public/templates" -H "apiKey: ${credentials.apiKey}" -H "apiSecret: ${credentials.apiSecret}"`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    void (async () => {
      await server.stop();
      await api.close();
      await dispatcher.close();
      await broker?.close();
      await sandbox?.close();
      await db.destroy();
    })().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('shutdown failed', { err });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  // Start-up failed (database or broker unreachable, bad wiring): say why, without a stack dump.
  process.stderr.write(`start-up failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
