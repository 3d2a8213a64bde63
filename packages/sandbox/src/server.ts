/**
 * The sandbox provider: a stand-in for the Cloud API's `POST /{version}/{phone-number-id}/messages`
 * (DESIGN §8). Plain node:http, no per-request logging, no per-request allocation beyond the
 * body, the check and the answer: it is used by the benchmark at thousands of requests/s.
 *
 * Routes:
 * - `POST /{version}/{phone-number-id}/messages` (the version is optional, as at Meta): needs
 *   `Authorization: Bearer <token>`, checks the body like Meta (./validate), then answers per
 *   the magic numbers (./numbers) or with Meta's success body and a fresh wamid.
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
 *
 * Memory: the call log keeps at most `maxCalls` calls (default 200 000), bodies as their raw
 * text (parsed when read: about 1 KB per call of typical size, so ~200 MB at the bound); past
 * that the oldest tenth is dropped. Attempt counters of the "…then success" numbers are
 * capped at 100 000 keys (cleared wholesale when full).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from '@flowgate/logger';
import { CallLog, DEFAULT_MAX_CALLS, type CallSummary, type SandboxCall, type StoredCall } from './call-log';
import {
  ChaosEngine,
  parseChaosSettings,
  type ChaosFault,
  type ChaosSettings,
  type ChaosState,
} from './chaos';
import { httpStatusForCode, metaErrorBody, newFbtraceId, type MetaErrorOptions } from './meta-errors';
import {
  SANDBOX_NUMBERS,
  SANDBOX_NUMBER_DOCS,
  SANDBOX_TEMPLATES,
  SANDBOX_TOKENS,
  sandboxNumberFor,
} from './numbers';
import { checkMessageBody } from './validate';

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
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;
const MAX_ATTEMPT_KEYS = 100_000;
const DEFAULT_LIST_LIMIT = 1000;
const MESSAGES_PATH = /^\/(?:(v\d+\.\d+)\/)?([A-Za-z0-9_.-]+)\/messages\/?$/;
const JSON_TYPE = 'application/json; charset=UTF-8';

const TEXTS = {
  131026: 'Message Undeliverable.',
  130429:
    'Message failed to send because there were too many messages sent from this phone number in a short period of time.',
  131047:
    'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
  131000: 'Something went wrong.',
  131056:
    'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.',
  131031: 'The WhatsApp Business Account associated with this phone number has been locked.',
  132015: 'The template is paused due to low quality and cannot be sent.',
} as const;

type Outcome =
  | { kind: 'success'; messageStatus?: string }
  | { kind: 'error'; code: number; opts?: MetaErrorOptions; fault?: ChaosFault }
  | { kind: 'slow'; delayMs: number; fault?: ChaosFault }
  | { kind: 'bad-gateway' }
  | { kind: 'drop' };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer\s+(\S.*)$/i.exec(header);
  const token = m?.[1]?.trim();
  return token !== undefined && token !== '' ? token : undefined;
}

function readBody(req: http.IncomingMessage): Promise<{ text: string; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => {
      resolve({
        text: tooLarge
          ? ''
          : chunks.length === 1
            ? chunks[0]!.toString('utf8')
            : Buffer.concat(chunks).toString('utf8'),
        tooLarge,
      });
    });
    req.on('error', reject);
  });
}

function sendJson(res: http.ServerResponse, status: number, payload: unknown, traceId?: string): void {
  const text = JSON.stringify(payload);
  const headers: http.OutgoingHttpHeaders = {
    'content-type': JSON_TYPE,
    'content-length': Buffer.byteLength(text),
  };
  if (traceId !== undefined) headers['x-fb-trace-id'] = traceId;
  res.writeHead(status, headers);
  res.end(text);
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const slowMs = opts.slowMs ?? 3000;
  const host = opts.host ?? '127.0.0.1';
  const callLog = new CallLog(opts.maxCalls ?? DEFAULT_MAX_CALLS);
  const attempts = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  const instanceId = randomBytes(9);
  const chaos = new ChaosEngine(opts.random);
  let wamidSeq = 0;

  function setChaos(settings: ChaosSettings | null): void {
    if (settings !== null) {
      const parsed = parseChaosSettings(settings);
      if (!parsed.ok) throw new TypeError(`invalid chaos settings: ${parsed.problems.join('; ')}`);
      chaos.set(parsed.settings);
    } else chaos.set(null);
    opts.logger?.info(settings === null ? 'sandbox chaos cleared' : 'sandbox chaos set', {
      chaos: chaos.state().settings,
    });
  }
  if (opts.chaos !== undefined) setChaos(opts.chaos);

  /** `wamid.` + base64url(9 random bytes of this instance + 6-byte counter): unique, 26 chars. */
  function nextWamid(): string {
    const buf = Buffer.allocUnsafe(15);
    instanceId.copy(buf, 0);
    wamidSeq = (wamidSeq + 1) % 0xffffffffffff;
    buf.writeUIntBE(wamidSeq, 9, 6);
    return `wamid.${buf.toString('base64url')}`;
  }

  /** 1 for the first attempt of this message at this scenario, 2 for the second, … */
  function attempt(
    scenario: string,
    phoneNumberId: string,
    to: string,
    bizOpaque: string | undefined,
    raw: string,
  ): number {
    const key =
      bizOpaque !== undefined
        ? `${scenario}\u0000b\u0000${bizOpaque}`
        : `${scenario}\u0000h\u0000${phoneNumberId}\u0000${to.replace(/\D/g, '')}\u0000${createHash('sha1').update(raw).digest('base64')}`;
    const n = (attempts.get(key) ?? 0) + 1;
    if (n === 1 && attempts.size >= MAX_ATTEMPT_KEYS) attempts.clear();
    attempts.set(key, n);
    return n;
  }

  function reset(): void {
    callLog.clear();
    attempts.clear();
    chaos.resetCounters();
  }

  async function handleMessages(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    version: string,
    phoneNumberId: string,
  ): Promise<void> {
    const at = Date.now();
    const { text: raw, tooLarge } = await readBody(req);
    const traceId = newFbtraceId();
    let body: unknown = raw === '' ? undefined : raw;
    let isJson = false;
    if (raw !== '') {
      try {
        body = JSON.parse(raw) as unknown;
        isJson = true;
      } catch {
        // keep the raw text in the log
      }
    }
    const bizOpaque =
      isRecord(body) && typeof body['biz_opaque_callback_data'] === 'string'
        ? body['biz_opaque_callback_data']
        : undefined;
    const record = (
      status: number,
      extra?: { wamid?: string; errorCode?: number; fault?: ChaosFault },
    ): void => {
      const call: StoredCall = {
        phoneNumberId,
        version,
        raw: raw === '' ? undefined : raw,
        json: isJson,
        bizOpaque,
        status,
        at,
      };
      if (extra?.wamid !== undefined) call.wamid = extra.wamid;
      if (extra?.errorCode !== undefined) call.errorCode = extra.errorCode;
      if (extra?.fault !== undefined) call.fault = extra.fault;
      callLog.add(call);
    };
    const fail = (code: number, errOpts: MetaErrorOptions = {}, fault?: ChaosFault): void => {
      const status = httpStatusForCode(code);
      record(status, fault !== undefined ? { errorCode: code, fault } : { errorCode: code });
      sendJson(res, status, metaErrorBody(code, { ...errOpts, fbtraceId: traceId }), traceId);
    };
    const tokenExpired = (): void =>
      fail(190, { message: 'Error validating access token: Session has expired.', subcode: 463 });

    // Meta authenticates before it looks at the body.
    const token = bearerToken(req.headers.authorization);
    if (token === undefined) return fail(190);
    if (token === SANDBOX_TOKENS.EXPIRED) return tokenExpired();
    if (tooLarge) return fail(100, { details: `The request body exceeds ${MAX_BODY_BYTES} bytes` });
    if (!isJson)
      return fail(100, {
        details: raw === '' ? 'The request body is empty' : 'The request body is not valid JSON',
      });

    const rawTo = isRecord(body) && typeof body['to'] === 'string' ? body['to'] : undefined;
    const magic = sandboxNumberFor(rawTo);
    if (magic === 'TOKEN_EXPIRED') return tokenExpired();

    const check = checkMessageBody(body);
    if (!check.ok) return fail(check.code, { details: check.details });
    if (check.kind === 'status') {
      record(200);
      return sendJson(res, 200, { success: true }, traceId);
    }

    let outcome: Outcome = { kind: 'success' };
    const isTemplate = check.type === 'template';
    if (isTemplate && check.templateName === SANDBOX_TEMPLATES.NOT_FOUND) {
      outcome = {
        kind: 'error',
        code: 132001,
        opts: { details: `template name (${check.templateName}) does not exist in the translation` },
      };
    } else if (isTemplate && check.templateName === SANDBOX_TEMPLATES.PAUSED) {
      outcome = { kind: 'error', code: 132015, opts: { details: TEXTS[132015] } };
    } else if (magic !== undefined) {
      const nth = (): number => attempt(magic, phoneNumberId, rawTo ?? '', check.bizOpaque, raw);
      switch (magic) {
        case 'UNDELIVERABLE':
          outcome = { kind: 'error', code: 131026, opts: { details: TEXTS[131026] } };
          break;
        case 'THROTTLED_TWICE':
          if (nth() <= 2) outcome = { kind: 'error', code: 130429, opts: { details: TEXTS[130429] } };
          break;
        case 'ALWAYS_THROTTLED':
          outcome = { kind: 'error', code: 130429, opts: { details: TEXTS[130429] } };
          break;
        case 'OUTSIDE_WINDOW':
          if (!isTemplate) outcome = { kind: 'error', code: 131047, opts: { details: TEXTS[131047] } };
          break;
        case 'SERVER_ERROR_TWICE':
          if (nth() <= 2) outcome = { kind: 'error', code: 131000, opts: { details: TEXTS[131000] } };
          break;
        case 'ALWAYS_SERVER_ERROR':
          outcome = { kind: 'error', code: 131000, opts: { details: TEXTS[131000] } };
          break;
        case 'SLOW':
          outcome = { kind: 'slow', delayMs: slowMs };
          break;
        case 'PAIR_LIMITED_ONCE':
          if (nth() <= 1) outcome = { kind: 'error', code: 131056, opts: { details: TEXTS[131056] } };
          break;
        case 'BAD_GATEWAY':
          outcome = { kind: 'bad-gateway' };
          break;
        case 'CONNECTION_DROPPED_ONCE':
          if (nth() <= 1) outcome = { kind: 'drop' };
          break;
        case 'ACCOUNT_LOCKED':
          outcome = { kind: 'error', code: 131031, opts: { details: TEXTS[131031] } };
          break;
        case 'TEMPLATE_HELD':
          if (isTemplate) outcome = { kind: 'success', messageStatus: 'held_for_quality_assessment' };
          break;
      }
    }

    // The fault mix only touches calls that would otherwise have succeeded plainly.
    if (outcome.kind === 'success' && outcome.messageStatus === undefined && magic === undefined) {
      const fault = chaos.next();
      if (fault === 'http500')
        outcome = { kind: 'error', code: 131000, opts: { details: TEXTS[131000] }, fault };
      else if (fault === 'throttle')
        outcome = { kind: 'error', code: 130429, opts: { details: TEXTS[130429] }, fault };
      else if (fault === 'timeout') outcome = { kind: 'slow', delayMs: chaos.timeoutMs, fault };
    }

    switch (outcome.kind) {
      case 'error':
        return fail(outcome.code, outcome.opts, outcome.fault);
      case 'bad-gateway': {
        record(502);
        const html = '<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>';
        res.writeHead(502, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(html) });
        res.end(html);
        return;
      }
      case 'drop': {
        // Meta "accepted" it, but the answer never reaches the caller.
        record(200, { wamid: nextWamid() });
        req.socket.destroy();
        return;
      }
      case 'success':
      case 'slow': {
        const wamid = nextWamid();
        record(200, outcome.kind === 'slow' && outcome.fault ? { wamid, fault: outcome.fault } : { wamid });
        const message: Record<string, string> = { id: wamid };
        const messageStatus = outcome.kind === 'success' ? outcome.messageStatus : undefined;
        if (messageStatus !== undefined) message['message_status'] = messageStatus;
        else if (isTemplate) message['message_status'] = 'accepted';
        const contact: Record<string, string> =
          rawTo !== undefined
            ? { input: rawTo, wa_id: rawTo.replace(/\D/g, '') }
            : { input: check.recipient ?? '' };
        const payload = { messaging_product: 'whatsapp', contacts: [contact], messages: [message] };
        if (outcome.kind === 'success') return sendJson(res, 200, payload, traceId);
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!res.destroyed && !res.writableEnded) sendJson(res, 200, payload, traceId);
        }, outcome.delayMs);
        timers.add(timer);
        return;
      }
    }
  }

  function handleSummary(req: http.IncomingMessage, res: http.ServerResponse, query: string): void {
    if (req.method !== 'GET') return sendJson(res, 405, { error: { message: 'Use GET', code: 405 } });
    const params = new URLSearchParams(query);
    const phoneNumberId = params.get('phoneNumberId');
    const summaryOpts: { phoneNumberId?: string; perMessage?: boolean } = {
      perMessage: params.get('perMessage') === 'true',
    };
    if (phoneNumberId !== null) summaryOpts.phoneNumberId = phoneNumberId;
    sendJson(res, 200, summary(summaryOpts));
  }

  function summary(o: { phoneNumberId?: string; perMessage?: boolean } = {}): CallSummary {
    const id = o.phoneNumberId;
    return callLog.summary(
      id !== undefined ? (c) => c.phoneNumberId === id : () => true,
      o.perMessage === true,
    );
  }

  async function handleChaos(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method === 'GET') {
      req.resume();
      return sendJson(res, 200, chaos.state());
    }
    if (req.method === 'DELETE') {
      req.resume();
      setChaos(null);
      return sendJson(res, 200, chaos.state());
    }
    if (req.method !== 'PUT') {
      req.resume();
      return sendJson(res, 405, { error: { message: 'Use GET, PUT or DELETE', code: 405 } });
    }
    const { text, tooLarge } = await readBody(req);
    const badRequest = (details: string): void => {
      const traceId = newFbtraceId();
      sendJson(
        res,
        400,
        metaErrorBody(100, { message: 'Invalid chaos settings', details, fbtraceId: traceId }),
        traceId,
      );
    };
    if (tooLarge) return badRequest(`The request body exceeds ${MAX_BODY_BYTES} bytes`);
    let body: unknown;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      return badRequest('The request body is not valid JSON');
    }
    const parsed = parseChaosSettings(body);
    if (!parsed.ok) return badRequest(parsed.problems.join('; '));
    setChaos(parsed.settings);
    sendJson(res, 200, chaos.state());
  }

  function handleCalls(req: http.IncomingMessage, res: http.ServerResponse, query: string): void {
    if (req.method === 'DELETE') {
      reset();
      return sendJson(res, 200, { reset: true });
    }
    if (req.method !== 'GET')
      return sendJson(res, 405, { error: { message: 'Use GET or DELETE', code: 405 } });
    const params = new URLSearchParams(query);
    const bizOpaque = params.get('bizOpaque');
    const phoneNumberId = params.get('phoneNumberId');
    const limitParam = params.get('limit');
    const limit = limitParam !== null && /^\d+$/.test(limitParam) ? Number(limitParam) : DEFAULT_LIST_LIMIT;
    const selection = callLog.where(
      phoneNumberId !== null ? (c) => c.phoneNumberId === phoneNumberId : () => true,
      bizOpaque ?? undefined,
    );
    sendJson(res, 200, { count: selection.count, calls: selection.calls(limit) });
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? '' : url.slice(q + 1);
    if (req.method === 'POST') {
      const m = MESSAGES_PATH.exec(pathname);
      if (m !== null) return handleMessages(req, res, m[1] ?? '', m[2] ?? '');
    }
    if (pathname === '/_sandbox/chaos') return handleChaos(req, res);
    // Drain any body so keep-alive connections stay usable.
    req.resume();
    if (pathname === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      return sendJson(res, 200, { status: 'ok' });
    }
    if (pathname === '/_sandbox/calls') return handleCalls(req, res, query);
    if (pathname === '/_sandbox/calls/summary') return handleSummary(req, res, query);
    if (pathname === '/_sandbox/numbers' && req.method === 'GET') {
      return sendJson(res, 200, {
        numbers: Object.fromEntries(
          (Object.keys(SANDBOX_NUMBERS) as (keyof typeof SANDBOX_NUMBERS)[]).map((k) => [
            k,
            { to: SANDBOX_NUMBERS[k], behaviour: SANDBOX_NUMBER_DOCS[k] },
          ]),
        ),
        templates: SANDBOX_TEMPLATES,
        tokens: SANDBOX_TOKENS,
        slowMs,
        chaos: chaos.state(),
      });
    }
    const traceId = newFbtraceId();
    sendJson(
      res,
      400,
      metaErrorBody(100, {
        message: `Unsupported ${req.method ?? ''} request to ${pathname.slice(0, 200)}`,
        fbtraceId: traceId,
      }),
      traceId,
    );
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      opts.logger?.error('sandbox: request failed', {
        err: err instanceof Error ? err.message : String(err),
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
  server.on('error', (err) => opts.logger?.error('sandbox: server error', { err: err.message }));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${hostForUrl(host)}:${port}`,
    port,
    calls: () => callLog.all(),
    callsFor: (bizOpaque: string) => callLog.forBizOpaque(bizOpaque),
    summary,
    setChaos,
    chaos: () => chaos.state(),
    reset,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
