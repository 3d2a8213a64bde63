/**
 * `pnpm start`: everything in one process (docs/contracts.md §7). With no DATABASE_URL and no AMQP_URL:
 * embedded PostgreSQL (PGlite) in the data dir, the in-process broker, the sandbox provider and a
 * demo workspace whose key is printed with a ready-to-paste cURL. With both URLs set, the same
 * code runs on PostgreSQL and RabbitMQ (the sandbox only if SANDBOX=true).
 */
import type { Config } from '@flowgate/config';
import { migrateLatest } from '@flowgate/db';
import { startSandbox } from '@flowgate/sandbox';
import {
  bootstrapDemo,
  DEMO_META_TEMPLATES,
  DEMO_PROVIDER_PHONE_NUMBER_ID,
  DEMO_WABA_ID,
} from '@flowgate/core';
import { buildApp, createApiRuntime, defaultDashboardDir, listen } from '@flowgate/public-api';
import { createDispatcherRuntime } from '@flowgate/dispatcher';
import { createInfrastructure, loadProcessContext, runProcess } from '@flowgate/runtime';
import { ensureDashboard } from './dashboard';

runProcess({
  async start() {
    const { config, logger } = loadProcessContext('flowgate');
    const embedded = config.database.kind === 'pglite';
    if (embedded !== (config.amqp.url === undefined)) {
      process.stderr.write('Set both DATABASE_URL and AMQP_URL, or neither (embedded mode).\n');
      process.exit(78);
    }
    const sandbox = config.sandbox.enabled
      ? await startSandbox({
          port: config.sandbox.port,
          host: '127.0.0.1',
          // Meta's template list of the demo account (`POST /api/v1/workspaces/:id/templates/sync`).
          templates: { [DEMO_WABA_ID]: DEMO_META_TEMPLATES },
        })
      : undefined;
    const effective: Config = sandbox
      ? { ...config, graph: { ...config.graph, baseUrl: sandbox.url } }
      : config;
    // One database, one broker (the in-process one when embedded) for both runtimes.
    const infra = await createInfrastructure(effective, logger, { withoutAmqp: 'in-memory' });
    await migrateLatest(infra.db);

    const api = await createApiRuntime(infra);
    const dispatcher = createDispatcherRuntime(infra);
    // The in-process broker's queue (ready and retrying deliveries) did not survive the last stop:
    // every unfinished message goes back on it before the dispatcher starts (ADR 0012).
    if (embedded) await api.relay.republishUnfinished();
    await dispatcher.start();
    // The dashboard (docs/contracts.md §13): built on the first start from a checkout.
    const dashboard = ensureDashboard(defaultDashboardDir());
    const server = await listen(buildApp(api.deps), config.http);
    const base = `http://${config.http.host === '0.0.0.0' ? 'localhost' : config.http.host}:${server.port}`;
    // The sandbox plays Meta's side too (docs/contracts.md §9): signed status webhooks after each
    // send, and customers' messages, posted to this process's intake.
    const intake = `http://127.0.0.1:${server.port}/api/v1/webhooks/meta`;
    if (sandbox && config.meta.appSecret !== undefined)
      sandbox.setWebhook({
        url: config.sandbox.webhookUrl ?? intake,
        appSecret: config.meta.appSecret,
        statusDelaysMs: config.sandbox.statusDelaysMs,
      });

    const lines = [
      `Flowgate is running at ${base} (${embedded ? `embedded: data in ${config.dataDir}` : 'PostgreSQL + RabbitMQ'})`,
    ];
    lines.push(
      dashboard
        ? `Dashboard: ${base}/dashboard/ (sign in as a workspace member)`
        : 'Dashboard: not built (run `pnpm build`).',
    );
    if (sandbox) lines.push(`Sandbox provider (stand-in for the WhatsApp Cloud API): ${sandbox.url}`);
    if (embedded) {
      const { created, credentials } = await bootstrapDemo(
        infra.stores,
        infra.hasher,
        infra.cipher,
        config.dataDir,
      );
      // The demo customer writes first, so the free-form cURL below is inside their 24 h window.
      if (sandbox) await demoCustomerWrites(sandbox.url);
      lines.push(
        '',
        created ? 'Demo workspace created.' : 'Demo workspace reused.',
        `  apiKey:    ${credentials.apiKey}`,
        `  apiSecret: ${credentials.apiSecret}`,
        `  admin login: ${credentials.ownerEmail} / ${credentials.ownerPassword} (workspace ${credentials.workspaceId})`,
        `  dashboard:   ${base}/dashboard/ (sign in with the admin login above)`,
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
        '',
        'Play the customer replying (the sandbox posts it as Meta would), then read the conversation:',
        `  curl -sS -X POST "${sandbox?.url ?? ''}/_sandbox/inbound" -H "Content-Type: application/json" \\`,
        `    -d '{"phoneNumberId":"${DEMO_PROVIDER_PHONE_NUMBER_ID}","from":"${DEMO_CUSTOMER}","name":"Asha","text":"Thanks! Can I change the address?"}'`,
        `  curl -sS "${base}/api/v1/public/conversations" -H "apiKey: ${credentials.apiKey}" -H "apiSecret: ${credentials.apiSecret}"`,
        '',
        'Receive events on a local receiver (the README has a 20-line one verifying the signatures):',
        `  curl -sS -X POST "${base}/api/v1/public/webhooks" -H "Content-Type: application/json" -H "apiKey: ${credentials.apiKey}" -H "apiSecret: ${credentials.apiSecret}" \\`,
        `    -d '{"url":"http://127.0.0.1:4000/flowgate","events":["*"]}'`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    return { logger, config, infra, api, dispatcher, server, sandbox };
  },
  async stop({ infra, api, dispatcher, server, sandbox }) {
    // Meta (the sandbox) stops posting first, so the intake's connections drain.
    sandbox?.setWebhook(undefined);
    await server.stop();
    await api.close();
    await dispatcher.close();
    await infra.close();
    await sandbox?.close();
  },
  // The dispatcher's deadline bounds the whole stop: its calls in flight are the slowest part.
  deadlineMs: ({ config }) => config.dispatch.shutdownTimeoutMs,
  onDeadline: ({ dispatcher }) => dispatcher.abandon(),
});

/** The recipient of the printed cURL. */
const DEMO_CUSTOMER = '919876543210';

/** Posts the demo customer's first message through the sandbox (as Meta would); a failure only warns. */
async function demoCustomerWrites(sandboxUrl: string): Promise<void> {
  try {
    const res = await fetch(`${sandboxUrl}/_sandbox/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        phoneNumberId: DEMO_PROVIDER_PHONE_NUMBER_ID,
        from: DEMO_CUSTOMER,
        name: 'Asha',
        text: 'Hi! Is my order on its way?',
      }),
    });
    if (!res.ok) process.stderr.write(`The demo customer's first message was not taken (${res.status}).\n`);
  } catch (err) {
    process.stderr.write(`The demo customer's first message could not be posted: ${String(err)}\n`);
  }
}
