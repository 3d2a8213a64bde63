/**
 * Minimal Cloud API client: `POST /{version}/{phone-number-id}/messages`, and one page of
 * `GET /{version}/{waba-id}/message_templates` (template sync, docs/meta-cloud-api.md §7).
 *
 * Uses node:http(s) with a keep-alive agent of its own (connections are reused across calls and
 * capped at `maxSockets`), not `fetch`: the dispatcher makes one call per message, and fetch's
 * stream machinery costs about twice the CPU of a plain request (ADR 0014). A whole-call timeout
 * covers connect, send, answer and body. Every failure becomes a {@link ProviderError} carrying
 * Meta's code and its classification (docs/meta-cloud-api.md §3); neither the request body nor the access
 * token ever ends up in an error.
 */
import http from 'node:http';
import https from 'node:https';
import { compile, META_TEMPLATE_FIELDS, MetaTemplatePageSchema } from '@flowgate/contracts';
import { ProviderError } from './error-policy';

export interface CloudApiClientOptions {
  /** e.g. `https://graph.facebook.com` or the sandbox's url. A trailing slash is ignored. */
  baseUrl: string;
  /** Pinned Graph version, e.g. `v25.0`. */
  graphVersion: string;
  /** Whole-call budget (connect, send, answer, body) in milliseconds. */
  timeoutMs: number;
  /** Most connections open to the Cloud API at once (calls beyond wait for one). Default 256. */
  maxSockets?: number;
}

export interface SendMessageArgs {
  /** Meta's phone-number-id of the sending number. */
  phoneNumberId: string;
  accessToken: string;
  /**
   * A complete Cloud API send-message body (`messaging_product`, `to`, `type`, ...), or that body
   * already serialised as JSON text (sent as is, e.g. the payload stored at accept time).
   */
  body: Record<string, unknown> | string;
}

export interface SendMessageResult {
  /** `messages[0].id` of Meta's answer. */
  wamid: string;
  /** `contacts[0].wa_id`: Meta's canonical id of the recipient (may differ from what was sent). */
  waId?: string;
  /** `messages[0].message_status` (templates only: accepted, held_for_quality_assessment, paused). */
  messageStatus?: string;
}

export interface ListTemplatesArgs {
  /** The WhatsApp Business Account id. */
  wabaId: string;
  accessToken: string;
  /** `paging.cursors.after` of the previous page; none for the first page. */
  after?: string | undefined;
  /** Templates per page (1..100); default 100. */
  limit?: number;
}

export interface TemplatePage {
  /** The page's templates, unchecked beyond being there: validate each before use. */
  templates: unknown[];
  /** The cursor of the next page; undefined on the last page (no `paging.next`). */
  after: string | undefined;
}

export interface CloudApiClient {
  sendMessage(args: SendMessageArgs): Promise<SendMessageResult>;
  /**
   * One page of the account's templates. Only the `after` cursor is followed (never the `next`
   * URL as given: the access token goes to the configured base URL only). Failures are
   * {@link ProviderError}s as for sends; an answer that is not a template page is one too.
   */
  listTemplates(args: ListTemplatesArgs): Promise<TemplatePage>;
  /** Closes the kept-alive connections. */
  close(): void;
}

/** Meta's answers are a few hundred bytes; anything far larger is not one. */
const MAX_ANSWER_BYTES = 1024 * 1024;

interface RawAnswer {
  status: number;
  text: string;
  traceHeader: string | undefined;
}

class TransportFailure extends Error {
  constructor(
    readonly phase: 'request' | 'response',
    readonly timedOut: boolean,
    readonly status: number | undefined,
    readonly original: unknown,
  ) {
    super('transport failure');
  }
}

const GRAPH_VERSION = /^v\d+\.\d+$/;
const parseTemplatePage = compile(MetaTemplatePageSchema);

export function createCloudApiClient(opts: CloudApiClientOptions): CloudApiClient {
  let base: URL;
  try {
    base = new URL(opts.baseUrl);
  } catch {
    throw new TypeError(`createCloudApiClient: baseUrl is not a valid URL`);
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') {
    throw new TypeError('createCloudApiClient: baseUrl must be http(s)');
  }
  if (!GRAPH_VERSION.test(opts.graphVersion)) {
    throw new TypeError(`createCloudApiClient: graphVersion must look like v25.0`);
  }
  if (!Number.isFinite(opts.timeoutMs) || opts.timeoutMs <= 0) {
    throw new TypeError('createCloudApiClient: timeoutMs must be a positive number');
  }
  const baseUrl = opts.baseUrl.replace(/\/+$/, '');
  const { graphVersion, timeoutMs } = opts;
  const transport = base.protocol === 'https:' ? https : http;
  const agent = new transport.Agent({
    keepAlive: true,
    maxSockets: opts.maxSockets ?? 256,
    scheduling: 'lifo',
  });

  /** One call (a POST with `payload`, a GET without); resolves with the whole answer, rejects with a TransportFailure. */
  function call(url: string, accessToken: string, payload?: string): Promise<RawAnswer> {
    return new Promise<RawAnswer>((resolve, reject) => {
      let phase: 'request' | 'response' = 'request';
      let status: number | undefined;
      let done = false;
      const finish = (err: TransportFailure | undefined, answer?: RawAnswer): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (err) reject(err);
        else if (answer) resolve(answer);
      };
      const req = transport.request(
        url,
        {
          method: payload === undefined ? 'GET' : 'POST',
          agent,
          headers: {
            authorization: `Bearer ${accessToken}`,
            accept: 'application/json',
            ...(payload === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          },
        },
        (res) => {
          phase = 'response';
          status = res.statusCode ?? 0;
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
          });
          res.on('end', () => {
            const trace = res.headers['x-fb-trace-id'];
            finish(undefined, {
              status: status ?? 0,
              text: size <= MAX_ANSWER_BYTES ? Buffer.concat(chunks).toString('utf8') : '',
              traceHeader: typeof trace === 'string' ? trace : undefined,
            });
          });
          res.on('error', (err) => finish(new TransportFailure('response', false, status, err)));
          res.on('close', () => {
            if (!res.complete)
              finish(new TransportFailure('response', false, status, new Error('answer cut off')));
          });
        },
      );
      const timer = setTimeout(() => {
        finish(new TransportFailure(phase, true, status, undefined));
        req.destroy();
      }, timeoutMs);
      req.on('error', (err) => finish(new TransportFailure(phase, false, status, err)));
      if (payload === undefined) req.end();
      else req.end(payload);
    });
  }

  async function sendMessage(args: SendMessageArgs): Promise<SendMessageResult> {
    if (typeof args.phoneNumberId !== 'string' || args.phoneNumberId.trim() === '') {
      throw new ProviderError({
        title: 'Missing phone-number-id for the sending number',
        classification: { kind: 'account' },
      });
    }
    if (typeof args.accessToken !== 'string' || args.accessToken.trim() === '') {
      throw new ProviderError({
        title: 'Missing access token for the sending number',
        classification: { kind: 'account' },
      });
    }
    const url = `${baseUrl}/${graphVersion}/${encodeURIComponent(args.phoneNumberId)}/messages`;
    const payload = typeof args.body === 'string' ? args.body : JSON.stringify(args.body);

    let answer: RawAnswer;
    try {
      answer = await call(url, args.accessToken, payload);
    } catch (err) {
      if (err instanceof TransportFailure)
        throw transportError(err.timedOut ? { name: 'TimeoutError' } : err.original, err.phase, err.status);
      throw transportError(err, 'request');
    }
    const response = { status: answer.status, ok: answer.status >= 200 && answer.status < 300 };
    const text = answer.text;
    const traceHeader = answer.traceHeader;
    const json = parseJson(text);

    if (response.ok) {
      const result = parseSuccess(json);
      if (result === undefined) {
        // Meta answered 2xx, so it has most likely accepted the message: retrying could send it
        // twice, so this is not retryable; it is flagged so the dispatcher can record it.
        throw new ProviderError({
          httpStatus: response.status,
          title: 'Unrecognised success response from the Cloud API',
          details: 'The 2xx answer has no messages[0].id',
          fbtraceId: traceHeader,
          outcomeUnknown: true,
          classification: { kind: 'permanent' },
        });
      }
      return result;
    }

    throw errorFromResponse(response.status, json, traceHeader);
  }

  async function listTemplates(args: ListTemplatesArgs): Promise<TemplatePage> {
    if (typeof args.wabaId !== 'string' || !/^\d{1,32}$/.test(args.wabaId)) {
      throw new ProviderError({
        title: 'The WhatsApp Business Account id must be digits',
        classification: { kind: 'account' },
      });
    }
    if (typeof args.accessToken !== 'string' || args.accessToken.trim() === '') {
      throw new ProviderError({
        title: 'Missing access token for the business account',
        classification: { kind: 'account' },
      });
    }
    const limit = Math.min(100, Math.max(1, Math.trunc(args.limit ?? 100)));
    const query = new URLSearchParams({ fields: META_TEMPLATE_FIELDS.join(','), limit: String(limit) });
    if (args.after !== undefined) query.set('after', args.after);
    const url = `${baseUrl}/${graphVersion}/${args.wabaId}/message_templates?${query.toString()}`;
    let answer: RawAnswer;
    try {
      answer = await call(url, args.accessToken);
    } catch (err) {
      if (err instanceof TransportFailure)
        throw transportError(err.timedOut ? { name: 'TimeoutError' } : err.original, err.phase, err.status);
      throw transportError(err, 'request');
    }
    const json = parseJson(answer.text);
    if (answer.status < 200 || answer.status >= 300)
      throw errorFromResponse(answer.status, json, answer.traceHeader);
    const page = parseTemplatePage(json);
    if (!page.ok) {
      throw new ProviderError({
        httpStatus: answer.status,
        title: 'Unrecognised template list from the Cloud API',
        details: page.errors
          .slice(0, 3)
          .map((e) => `${e.path}: ${e.message}`)
          .join('; '),
        fbtraceId: answer.traceHeader,
        classification: { kind: 'permanent' },
      });
    }
    const after = page.value.paging?.cursors?.after;
    const more = page.value.paging?.next !== undefined && after !== undefined && after !== args.after;
    return { templates: page.value.data, after: more ? after : undefined };
  }

  return { sendMessage, listTemplates, close: () => agent.destroy() };
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Validates Meta's success body; `undefined` when it is not one. */
function parseSuccess(json: unknown): SendMessageResult | undefined {
  if (!isRecord(json)) return undefined;
  const messages = json['messages'];
  if (!Array.isArray(messages)) return undefined;
  const first: unknown = messages[0];
  if (!isRecord(first)) return undefined;
  const wamid = nonEmptyString(first['id']);
  if (wamid === undefined) return undefined;
  const result: SendMessageResult = { wamid };
  const status = nonEmptyString(first['message_status']);
  if (status !== undefined) result.messageStatus = status;
  const contacts = json['contacts'];
  if (Array.isArray(contacts)) {
    const contact: unknown = contacts[0];
    if (isRecord(contact)) {
      const waId = nonEmptyString(contact['wa_id']);
      if (waId !== undefined) result.waId = waId;
    }
  }
  return result;
}

function toInteger(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\d{1,9}$/.test(value)) return Number(value);
  return undefined;
}

/** Builds the error for a non-2xx answer from Meta's error object, or from the status alone. */
function errorFromResponse(status: number, json: unknown, traceHeader: string | undefined): ProviderError {
  const error = isRecord(json) ? json['error'] : undefined;
  if (!isRecord(error)) {
    return new ProviderError({
      httpStatus: status,
      title: `Cloud API answered HTTP ${status} without a Graph error object`,
      fbtraceId: traceHeader,
    });
  }
  const code = toInteger(error['code']);
  const rawMessage = nonEmptyString(error['message']);
  const title =
    nonEmptyString(error['error_user_title']) ??
    (rawMessage !== undefined ? rawMessage.replace(/^\(#\d+\)\s*/, '') : undefined) ??
    `HTTP ${status}`;
  const errorData = error['error_data'];
  const details =
    (isRecord(errorData) ? nonEmptyString(errorData['details']) : undefined) ??
    nonEmptyString(error['error_user_msg']);
  return new ProviderError({
    code,
    httpStatus: status,
    title,
    details,
    fbtraceId: nonEmptyString(error['fbtrace_id']) ?? traceHeader,
    errorSubcode: toInteger(error['error_subcode']),
    type: nonEmptyString(error['type']),
  });
}

/** Our whole-call timer (reported as a `TimeoutError`). */
function isTimeout(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const name: unknown = (err as { name?: unknown }).name;
  return name === 'TimeoutError' || name === 'AbortError';
}

/** Timeout or network failure: retryable, and Meta may or may not have processed the call. */
function transportError(err: unknown, phase: 'request' | 'response', status?: number): ProviderError {
  if (isTimeout(err)) {
    return new ProviderError({
      httpStatus: status,
      title: `Cloud API call timed out (${phase})`,
      timedOut: true,
      outcomeUnknown: true,
      classification: { kind: 'retryable' },
    });
  }
  // Duck-typed (errors may come from another realm, e.g. under Jest): node's own code, or a cause's.
  const own: unknown = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  const cause: unknown =
    typeof err === 'object' && err !== null ? (err as { cause?: unknown }).cause : undefined;
  const causeCode =
    typeof own === 'string'
      ? own
      : isRecord(cause) && typeof cause['code'] === 'string'
        ? cause['code']
        : undefined;
  return new ProviderError({
    httpStatus: status,
    title: `Cloud API network error (${phase})${causeCode !== undefined ? `: ${causeCode}` : ''}`,
    networkError: true,
    // A refused connection never reached Meta; anything else may have.
    outcomeUnknown: causeCode !== 'ECONNREFUSED' && causeCode !== 'ENOTFOUND',
    classification: { kind: 'retryable' },
    cause: err,
  });
}
