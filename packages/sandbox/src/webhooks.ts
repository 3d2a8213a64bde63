/**
 * Meta's webhook side of the sandbox (docs/contracts.md §9, last paragraph): signed `POST`s to one
 * webhook URL, like Meta's callback URL. Status webhooks after each accepted send (`sent`, then
 * `delivered`, then `read`, or the endings of the magic numbers), and the inbound messages,
 * template reviews and raw payloads that `/_sandbox/…` routes ask for.
 *
 * Like Meta: the body is compact JSON, signed with `X-Hub-Signature-256: sha256=<lowercase hex
 * HMAC-SHA256 of the exact body bytes, keyed with the app secret>`; anything but HTTP 200 (or a
 * network error, or no answer within 15 s) is retried with growing delays (250 ms doubling to
 * 30 s, at most 50 attempts). Retries go to the webhook set at the time of the retry; with none
 * set, a pending webhook is dropped.
 *
 * Cheap on purpose (the benchmark drives thousands of sends/s): one keep-alive agent per protocol
 * with at most 64 sockets, one timer per pending step, no logging per webhook. Timers are
 * unref'd; `close()` cancels everything pending and destroys the agents.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Logger } from '@flowgate/logger';

/** Where the sandbox posts Meta's webhooks. */
export interface SandboxWebhook {
  /** `http(s)://…`: Meta's callback URL (Flowgate's `POST /api/v1/webhooks/meta`). */
  url: string;
  /** Meta's app secret: the key of `X-Hub-Signature-256`. */
  appSecret: string;
  /** Delays of `sent` (after the accepted send), `delivered` and `read` (each after the previous), ms. Default 200, 800, 1500. */
  statusDelaysMs?: readonly [number, number, number];
}

/** Totals since the sandbox started. */
export interface WebhookStats {
  /** HTTP attempts made (first attempts and retries). */
  posted: number;
  /** Webhooks the receiver answered 200. */
  accepted: number;
  /** Attempts that failed (non-200, network error, timeout) and were scheduled again. */
  retries: number;
  /** Webhooks abandoned after the last attempt failed. */
  gaveUp: number;
  /** Webhooks not yet accepted or abandoned: scheduled statuses, in flight or waiting for a retry. */
  pending: number;
}

/** What the first attempt of one webhook got. */
export interface FirstAttempt {
  /** The receiver's HTTP status; `null` on a network error or timeout (or with no webhook set). */
  status: number | null;
  error?: string;
  /** True when the webhook is retried in the background (anything but 200). */
  retrying: boolean;
}

/** Any stable digits: the WABA id of every `messages` webhook. */
export const SANDBOX_WABA_ID = '102290129340398';
/** `value.metadata.display_phone_number` of every `messages` webhook. */
export const SANDBOX_DISPLAY_PHONE_NUMBER = '15550001234';
export const DEFAULT_STATUS_DELAYS_MS: readonly [number, number, number] = [200, 800, 1500];

const MAX_SOCKETS = 64;
const ATTEMPT_TIMEOUT_MS = 15_000;
const RETRY_BASE_MS = 250;
const RETRY_MAX_MS = 30_000;
const MAX_ATTEMPTS = 50;

export type StatusName = 'sent' | 'delivered' | 'read' | 'failed';

/** The status webhooks one accepted send gets, in order. */
export type StatusEnding = 'read' | 'delivered' | 'failed';
const STEPS: Readonly<Record<StatusEnding, readonly StatusName[]>> = {
  read: ['sent', 'delivered', 'read'],
  delivered: ['sent', 'delivered'],
  failed: ['sent', 'failed'],
};

/** One accepted send, as its status webhooks need it. */
export interface AcceptedSend {
  phoneNumberId: string;
  wamid: string;
  /** Digits of `to`. */
  recipientId: string;
  bizOpaque: string | undefined;
  isTemplate: boolean;
  ending: StatusEnding;
}

export function unixSeconds(at = Date.now()): string {
  return String(Math.floor(at / 1000));
}

/** `{"object":"whatsapp_business_account","entry":[{id, changes:[{field, value}]}]}`. */
export function envelope(field: string, value: unknown, wabaId = SANDBOX_WABA_ID): Record<string, unknown> {
  return { object: 'whatsapp_business_account', entry: [{ id: wabaId, changes: [{ field, value }] }] };
}

export function messagesMetadata(phoneNumberId: string): Record<string, string> {
  return { display_phone_number: SANDBOX_DISPLAY_PHONE_NUMBER, phone_number_id: phoneNumberId };
}

const FAILED_ERRORS = [
  {
    code: 131026,
    title: 'Message undeliverable',
    message: 'Message undeliverable',
    error_data: { details: 'Message Undeliverable.' },
  },
];
const TEMPLATE_PRICING = { billable: true, pricing_model: 'PMP', category: 'utility', type: 'regular' };
const SERVICE_PRICING = {
  billable: true,
  pricing_model: 'PMP',
  category: 'service',
  type: 'free_customer_service',
};

/** The body of one status webhook (docs/meta-cloud-api.md §5.4), compact JSON. */
export function statusBody(send: AcceptedSend, status: StatusName, at = Date.now()): string {
  const entry: Record<string, unknown> = {
    id: send.wamid,
    status,
    timestamp: unixSeconds(at),
    recipient_id: send.recipientId,
  };
  if (send.bizOpaque !== undefined) entry['biz_opaque_callback_data'] = send.bizOpaque;
  if (status === 'failed') entry['errors'] = FAILED_ERRORS;
  else entry['pricing'] = send.isTemplate ? TEMPLATE_PRICING : SERVICE_PRICING;
  return JSON.stringify(
    envelope('messages', {
      messaging_product: 'whatsapp',
      metadata: messagesMetadata(send.phoneNumberId),
      statuses: [entry],
    }),
  );
}

interface Target {
  url: string;
  appSecret: string;
  delays: readonly [number, number, number];
  secure: boolean;
  hostname: string;
  port: number;
  path: string;
}

interface Delivery {
  body: Buffer;
  attempts: number;
  first: ((r: FirstAttempt) => void) | undefined;
}

function parseTarget(webhook: SandboxWebhook): Target {
  const url = new URL(webhook.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`webhook url must be http(s), got ${url.protocol}`);
  }
  if (typeof webhook.appSecret !== 'string' || webhook.appSecret === '') {
    throw new TypeError('webhook appSecret must be a non-empty string');
  }
  const delays = webhook.statusDelaysMs ?? DEFAULT_STATUS_DELAYS_MS;
  if (delays.length !== 3 || !delays.every((d) => Number.isFinite(d) && d >= 0)) {
    throw new TypeError('webhook statusDelaysMs must be three numbers >= 0');
  }
  const secure = url.protocol === 'https:';
  return {
    url: webhook.url,
    appSecret: webhook.appSecret,
    delays: [delays[0], delays[1], delays[2]],
    secure,
    hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port !== '' ? Number(url.port) : secure ? 443 : 80,
    path: `${url.pathname}${url.search}`,
  };
}

export function signature(body: Buffer | string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
}

/** Posts signed webhooks with Meta's retries, and the status sequence of each accepted send. */
export class WebhookSender {
  private target: Target | undefined;
  private closed = false;
  private httpAgent: http.Agent | undefined;
  private httpsAgent: https.Agent | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Requests in flight, at most MAX_SOCKETS; the others wait in `waiting` (FIFO from `waitingHead`). */
  private inFlight = 0;
  private waiting: Delivery[] = [];
  private waitingHead = 0;
  private readonly counts: WebhookStats = { posted: 0, accepted: 0, retries: 0, gaveUp: 0, pending: 0 };

  constructor(private readonly logger?: Logger) {}

  /** Sets (or with `undefined` clears) the webhook; throws a TypeError on a bad one. */
  set(webhook: SandboxWebhook | undefined): void {
    if (this.closed) return;
    this.target = webhook === undefined ? undefined : parseTarget(webhook);
    this.logger?.info(webhook === undefined ? 'sandbox webhook cleared' : 'sandbox webhook set', {
      url: webhook?.url,
    });
  }

  get enabled(): boolean {
    return this.target !== undefined;
  }

  /** The webhook set (never its secret), for `GET /_sandbox/webhooks`. */
  describe(): { url: string | null; statusDelaysMs: readonly number[] | null } {
    const t = this.target;
    return { url: t?.url ?? null, statusDelaysMs: t?.delays ?? null };
  }

  stats(): WebhookStats {
    return { ...this.counts };
  }

  /** Schedules the status webhooks of an accepted send (nothing when no webhook is set). */
  accepted(send: AcceptedSend): void {
    const target = this.target;
    if (target === undefined || this.closed) return;
    const steps = STEPS[send.ending];
    this.counts.pending += steps.length;
    this.step(send, steps, 0, target.delays[0]);
  }

  /**
   * Posts one webhook body (the exact bytes are signed); `first` gets the first attempt's result,
   * later attempts go on in the background. With no webhook set, `first` gets `null` at once.
   */
  post(body: string | Buffer, first?: (r: FirstAttempt) => void): void {
    if (this.closed || this.target === undefined) {
      first?.({ status: null, error: 'no webhook set', retrying: false });
      return;
    }
    this.counts.pending++;
    this.attempt({ body: typeof body === 'string' ? Buffer.from(body) : body, attempts: 0, first });
  }

  /** Posts one webhook and resolves with its first attempt's result. */
  postAndWait(body: string | Buffer): Promise<FirstAttempt> {
    return new Promise((resolve) => this.post(body, resolve));
  }

  /** Cancels every pending webhook (scheduled, in flight, waiting for a retry) and closes the sockets. */
  close(): void {
    this.closed = true;
    this.target = undefined;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.waiting = [];
    this.waitingHead = 0;
    this.counts.pending = 0;
    this.httpAgent?.destroy();
    this.httpsAgent?.destroy();
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  /**
   * Status `steps[i]` after `delayMs`; the next one `delay` after this one's first attempt has
   * been answered, so the receiver sees them in order unless a retry is needed.
   */
  private step(send: AcceptedSend, steps: readonly StatusName[], i: number, delayMs: number): void {
    this.later(delayMs, () => {
      const status = steps[i]!;
      const next = i + 1 < steps.length ? i + 1 : -1;
      const onFirst =
        next === -1
          ? undefined
          : (): void => {
              const target = this.target;
              if (target === undefined || this.closed) {
                // Webhook cleared: the statuses not yet posted are dropped.
                if (!this.closed) this.counts.pending -= steps.length - next;
                return;
              }
              // delivered / failed after d1, read after d2.
              this.step(send, steps, next, target.delays[Math.min(next, 2)]!);
            };
      this.attempt({ body: Buffer.from(statusBody(send, status)), attempts: 0, first: onFirst });
    });
  }

  private agentFor(secure: boolean): http.Agent {
    if (secure) {
      this.httpsAgent ??= new https.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });
      return this.httpsAgent;
    }
    this.httpAgent ??= new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });
    return this.httpAgent;
  }

  private attempt(d: Delivery): void {
    if (this.closed) return;
    const target = this.target;
    if (target === undefined) {
      this.counts.pending--;
      this.report(d, { status: null, error: 'no webhook set', retrying: false });
      return;
    }
    if (this.inFlight >= MAX_SOCKETS) {
      // Waits here (a buffer, not a request object) until a socket is free.
      this.waiting.push(d);
      return;
    }
    this.inFlight++;
    d.attempts++;
    this.counts.posted++;
    let done = false;
    const finish = (status: number | null, error?: string): void => {
      if (done) return;
      done = true;
      this.inFlight--;
      this.result(d, status, error);
      this.next();
    };
    const req = (target.secure ? https : http).request(
      {
        agent: this.agentFor(target.secure),
        method: 'POST',
        hostname: target.hostname,
        port: target.port,
        path: target.path,
        headers: {
          'content-type': 'application/json',
          'content-length': d.body.length,
          'user-agent': 'facebookexternalua',
          'x-hub-signature-256': signature(d.body, target.appSecret),
        },
      },
      (res) => {
        res.resume();
        finish(res.statusCode ?? null);
      },
    );
    req.setTimeout(ATTEMPT_TIMEOUT_MS, () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', (err) => finish(null, err.message));
    req.end(d.body);
  }

  /** Starts the oldest waiting webhooks while sockets are free (drops them if the webhook was cleared). */
  private next(): void {
    while (!this.closed && this.inFlight < MAX_SOCKETS && this.waitingHead < this.waiting.length) {
      const d = this.waiting[this.waitingHead]!;
      this.waiting[this.waitingHead++] = undefined as unknown as Delivery;
      if (this.waitingHead === this.waiting.length || this.waitingHead > 4096) {
        this.waiting.splice(0, this.waitingHead);
        this.waitingHead = 0;
      }
      this.attempt(d);
    }
  }

  private result(d: Delivery, status: number | null, error: string | undefined): void {
    if (this.closed) return;
    if (status === 200) {
      this.counts.accepted++;
      this.counts.pending--;
      this.report(d, { status, retrying: false });
      return;
    }
    const failure: FirstAttempt =
      error !== undefined ? { status, error, retrying: false } : { status, retrying: false };
    if (d.attempts >= MAX_ATTEMPTS) {
      this.counts.gaveUp++;
      this.counts.pending--;
      this.report(d, failure);
      return;
    }
    this.counts.retries++;
    failure.retrying = true;
    this.report(d, failure);
    this.later(Math.min(RETRY_BASE_MS * 2 ** (d.attempts - 1), RETRY_MAX_MS), () => this.attempt(d));
  }

  private report(d: Delivery, r: FirstAttempt): void {
    const first = d.first;
    if (first === undefined) return;
    d.first = undefined;
    first(r);
  }
}
