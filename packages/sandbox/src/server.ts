/**
 * The sandbox provider: a stand-in for the Cloud API's `POST /{version}/{phone-number-id}/messages`
 * (docs/contracts.md §8). Plain node:http, no per-request logging, no per-request allocation beyond the
 * body, the check and the answer: it is used by the benchmark at thousands of requests/s.
 *
 * Routes:
 * - `POST /{version}/{phone-number-id}/messages` (the version is optional, as at Meta): needs
 *   `Authorization: Bearer <token>`, checks the body like Meta (./validate), then answers per
 *   the magic numbers (./numbers) or with Meta's success body and a fresh wamid.
 * - `GET /{version}/{waba-id}/message_templates`: Meta's template list with paging, for the
 *   accounts given templates (`templates` option, `setTemplates`, ./routes/templates).
 * - `GET | PUT /_sandbox/waba/{waba-id}/message_templates`: read or replace an account's templates.
 * - `GET /healthz`: `{"status":"ok"}`.
 * - `GET /_sandbox/calls[?bizOpaque=…][&phoneNumberId=…][&limit=N]`: `{"count": <matching>,
 *   "calls": [<the last `limit` matching calls, oldest first>]}`; `limit` defaults to 1000.
 * - `DELETE /_sandbox/calls`: forgets every call and every attempt counter (`reset()`).
 * - `GET /_sandbox/calls/summary[?phoneNumberId=…][&perMessage=true]`: totals (calls by status,
 *   injected faults, messages, accepted calls, provider duplicates; see `CallSummary`), with
 *   `perMessage=true` also the calls, accepted calls and wamids of every message.
 * - `GET /_sandbox/numbers`: the magic numbers, template names and tokens with their behaviour.
 * - `GET | PUT | DELETE /_sandbox/chaos`: read, set or clear the fault mix (./chaos) and read how
 *   many calls each fault has hit. A bad `PUT` body is a 400 listing every problem.
 * - `GET /_sandbox/webhooks`: the webhook URL (if set), the status delays and `webhookStats()`.
 * - `POST /_sandbox/inbound` `{"phoneNumberId", "from": "<8..15 digits>", "name"?, "text"}` (or
 *   `"message": {<a Meta inbound message without from/id/timestamp>}` instead of `text`): posts a
 *   signed inbound-message webhook, as a customer would write.
 * - `POST /_sandbox/templates/status` `{"wabaId", "templateName", "language", "status",
 *   "reason"?, "templateId"?}`: posts a `message_template_status_update` webhook.
 * - `POST /_sandbox/webhook` <any JSON>: signs and posts that body exactly as given.
 *   These three wait for the receiver's first answer and reply 200 `{…, "webhookStatus": <its
 *   HTTP status, or null on a network error>, "retrying": <true unless it answered 200>}`; 409
 *   without a webhook set; 400 listing every problem of a bad body.
 *
 * Meta's webhook side (./webhooks): with a webhook set (`webhook` option, `setWebhook`), every
 * answered 200 of `…/messages` is followed by signed status webhooks `sent`, `delivered`, `read`
 * after `statusDelaysMs` (the magic numbers DELIVERED_NOT_READ and FAILED_AFTER_SENT end
 * otherwise). Like Meta, anything but HTTP 200 is retried (250 ms doubling to 30 s, 50 attempts).
 *
 * Memory: the call log keeps at most `maxCalls` calls (default 200 000), bodies as their raw
 * text (parsed when read: about 1 KB per call of typical size, so ~200 MB at the bound); past
 * that the oldest tenth is dropped. Attempt counters of the "…then success" numbers are
 * capped at 100 000 keys (cleared wholesale when full).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@flowgate/logger';
import { DEFAULT_MAX_CALLS, type CallSummary, type SandboxCall } from './call-log';
import type { ChaosSettings, ChaosState } from './chaos';
import { sendBadRequest, sendJson } from './http-io';
import { metaErrorBody } from './meta-errors';
import { handleMessages, MESSAGES_PATH } from './routes/messages';
import { handleCalls, handleChaos, handleNumbers, handleSummary } from './routes/sandbox-admin';
import { handleInbound, handleRawWebhook, handleTemplateStatus } from './routes/webhook-admin';
import {
  handleTemplateList,
  handleTemplatesAdmin,
  SANDBOX_TEMPLATES_ADMIN_PATH,
  TEMPLATES_PATH,
} from './routes/templates';
import { SandboxState } from './sandbox-state';
import type { SandboxWebhook, WebhookStats } from './webhooks';

export interface SandboxOptions {
  /** Default 0 (an ephemeral port; read it from `Sandbox.port`). */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Delay of the SLOW number, default 3000 ms. */
  slowMs?: number;
  /** Bound of the in-memory call log, default 200 000. */
  maxCalls?: number;
  /** Fault mix from the start (see ./chaos); change it later with `setChaos` or `PUT /_sandbox/chaos`. */
  chaos?: ChaosSettings;
  /** Random source of the chaos draws (tests pass a fixed sequence); default `Math.random`. */
  random?: () => number;
  /** Unexpected internal errors and chaos changes only: never a line per request. */
  logger?: Logger;
  /**
   * Where to post Meta's signed webhooks (statuses after each accepted send, `/_sandbox/inbound`,
   * …); none by default. Set or change it later with `setWebhook`.
   */
  webhook?: SandboxWebhook;
  /**
   * Templates per business-account id, as Meta's template API returns them: served by
   * `GET /{version}/{waba-id}/message_templates`. Change them later with `setTemplates`.
   */
  templates?: Readonly<Record<string, readonly Record<string, unknown>[]>>;
}

export interface Sandbox {
  /** Base URL to use as the Graph API base, e.g. `http://127.0.0.1:40123`. */
  url: string;
  port: number;
  /** Every `…/messages` call still in memory, oldest first (rejected ones included). */
  calls(): SandboxCall[];
  /** The calls whose body carried this `biz_opaque_callback_data`, oldest first. */
  callsFor(bizOpaque: string): SandboxCall[];
  /** Totals over the calls in memory, optionally for one phone-number id (see `CallSummary`). */
  summary(opts?: { phoneNumberId?: string; perMessage?: boolean }): CallSummary;
  /** Sets the fault mix (`null` clears it); throws a TypeError listing the problems of a bad one. */
  setChaos(settings: ChaosSettings | null): void;
  /** The current fault mix and how many calls each fault has hit since it was set. */
  chaos(): ChaosState;
  /** Forgets every call, every attempt counter and the chaos counters (the mix stays). */
  reset(): void;
  /**
   * Sets the webhook (`undefined` stops posting; webhooks still pending are dropped at their
   * next attempt). Throws a TypeError on a bad URL, secret or delays.
   */
  setWebhook(webhook: SandboxWebhook | undefined): void;
  /** Webhook totals: attempts posted, accepted (200), retries, given up, still pending. */
  webhookStats(): WebhookStats;
  /** Replaces one business account's templates (those without an `id` get one). */
  setTemplates(wabaId: string, templates: readonly Record<string, unknown>[]): void;
  /** Stops listening, cancels pending late answers and webhooks, closes the webhook sockets. */
  close(): Promise<void>;
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** Routes one request to its handler; anything else is Meta's 400 for an unsupported request. */
async function route(
  state: SandboxState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const pathname = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q + 1);
  if (req.method === 'POST') {
    const m = MESSAGES_PATH.exec(pathname);
    if (m !== null) return handleMessages(state, req, res, m[1] ?? '', m[2] ?? '');
  }
  if (pathname === '/_sandbox/chaos') return handleChaos(state, req, res);
  if (pathname === '/_sandbox/inbound') return handleInbound(state, req, res);
  if (pathname === '/_sandbox/templates/status') return handleTemplateStatus(state, req, res);
  if (pathname === '/_sandbox/webhook') return handleRawWebhook(state, req, res);
  const admin = SANDBOX_TEMPLATES_ADMIN_PATH.exec(pathname);
  if (admin !== null) return handleTemplatesAdmin(state, req, res, admin[1] ?? '');
  // Drain any body so keep-alive connections stay usable.
  req.resume();
  if (pathname === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
    return sendJson(res, 200, { status: 'ok' });
  }
  if (req.method === 'GET') {
    const t = TEMPLATES_PATH.exec(pathname);
    if (t !== null) return handleTemplateList(state, req, res, t[1] ?? '', t[2] ?? '', query);
  }
  if (pathname === '/_sandbox/calls') return handleCalls(state, req, res, query);
  if (pathname === '/_sandbox/calls/summary') return handleSummary(state, req, res, query);
  if (pathname === '/_sandbox/numbers' && req.method === 'GET') return handleNumbers(state, res);
  if (pathname === '/_sandbox/webhooks' && req.method === 'GET') {
    return sendJson(res, 200, { ...state.webhooks.describe(), stats: state.webhooks.stats() });
  }
  sendBadRequest(res, { message: `Unsupported ${req.method ?? ''} request to ${pathname.slice(0, 200)}` });
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const host = opts.host ?? '127.0.0.1';
  const state = new SandboxState({
    slowMs: opts.slowMs ?? 3000,
    maxCalls: opts.maxCalls ?? DEFAULT_MAX_CALLS,
    random: opts.random,
    logger: opts.logger,
  });
  if (opts.chaos !== undefined) state.setChaos(opts.chaos);
  if (opts.webhook !== undefined) state.webhooks.set(opts.webhook);
  for (const [wabaId, list] of Object.entries(opts.templates ?? {})) state.setTemplates(wabaId, list);

  const server = http.createServer((req, res) => {
    route(state, req, res).catch((err: unknown) => {
      opts.logger?.error('sandbox: request failed', {
        err,
      });
      if (!res.headersSent) sendJson(res, 500, metaErrorBody(1, { details: 'Sandbox internal error' }));
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => opts.logger?.error('sandbox: server error', { err }));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${hostForUrl(host)}:${port}`,
    port,
    calls: () => state.callLog.all(),
    callsFor: (bizOpaque: string) => state.callLog.forBizOpaque(bizOpaque),
    summary: (o?: { phoneNumberId?: string; perMessage?: boolean }): CallSummary => state.summary(o),
    setChaos: (settings: ChaosSettings | null) => state.setChaos(settings),
    chaos: (): ChaosState => state.chaos.state(),
    reset: () => state.reset(),
    setWebhook: (webhook: SandboxWebhook | undefined) => state.webhooks.set(webhook),
    webhookStats: (): WebhookStats => state.webhooks.stats(),
    setTemplates: (wabaId: string, templates: readonly Record<string, unknown>[]) =>
      state.setTemplates(wabaId, templates),
    close: () =>
      new Promise<void>((resolve) => {
        state.clearTimers();
        state.webhooks.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
