import { randomUUID } from 'node:crypto';
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './generated/openapi';

/** The partner API's base path under the deployment's origin. */
export const PARTNER_API_BASE_PATH = '/api/v1/public';

/**
 * How the key pair is sent (docs/contracts.md §2.1): headers `apiKey` + `apiSecret` (the default),
 * `X-API-Key` + `X-API-Secret`, HTTP Basic, or `Authorization: Bearer <apiKey>.<apiSecret>`.
 */
export type AuthForm = 'headers' | 'x-headers' | 'basic' | 'bearer';

export interface RetryOptions {
  /** Further attempts after a 429 or 503 (default 3; 0 turns retries off). */
  maxRetries?: number;
  /** Wait without a `Retry-After`: 0.5 s, 1 s, 2 s, … (default 500 ms), capped by maxDelayMs. */
  baseDelayMs?: number;
  /** No single wait is longer, whatever `Retry-After` says (default 30 s). */
  maxDelayMs?: number;
}

export interface FlowgateClientOptions {
  /** The deployment's origin, e.g. `https://flowgate.example.com` (the partner base path is added). */
  baseUrl: string;
  apiKey: string;
  apiSecret: string;
  auth?: AuthForm;
  retry?: RetryOptions;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof globalThis.fetch;
  /** How a retry waits (tests pass a recorder; default setTimeout). */
  sleep?: (ms: number) => Promise<void>;
}

export type SendMessageBody = components['schemas']['SendMessageBody'];
export type SendMessageResponse = components['schemas']['SendMessageResponse'];
export type GetMessageResponse = components['schemas']['GetMessageResponse'];
export type ListTemplatesResponse = components['schemas']['ListTemplatesResponse'];
export type ErrorEnvelope = components['schemas']['ErrorEnvelope'];
export type CreateBroadcastBody = components['schemas']['CreateBroadcastBody'];
export type CreateBroadcastResponse = components['schemas']['CreateBroadcastResponse'];
export type Broadcast = components['schemas']['Broadcast'];

/** An answer other than 2xx, with the API's error envelope (`code`, `message`, `details`, `requestId`). */
export class FlowgateApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorEnvelope | undefined,
    readonly headers: Headers,
  ) {
    super(body?.error.message ?? `HTTP ${status}`);
    this.name = 'FlowgateApiError';
  }
  get code(): string | undefined {
    return this.body?.error.code;
  }
  get requestId(): string | undefined {
    return this.body?.error.requestId ?? this.headers.get('x-request-id') ?? undefined;
  }
}

function authHeaders(form: AuthForm, apiKey: string, apiSecret: string): Record<string, string> {
  switch (form) {
    case 'headers':
      return { apiKey, apiSecret };
    case 'x-headers':
      return { 'X-API-Key': apiKey, 'X-API-Secret': apiSecret };
    case 'basic':
      return { Authorization: `Basic ${Buffer.from(`${apiKey}:${apiSecret}`).toString('base64')}` };
    case 'bearer':
      return { Authorization: `Bearer ${apiKey}.${apiSecret}` };
  }
}

/** Seconds or an HTTP date, as `Retry-After` may say; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * A fetch that repeats a request answered 429 or 503, after `Retry-After` (or a growing delay
 * without one), up to `maxRetries` times. Sends carry an Idempotency-Key (see sendMessage), so a
 * repeat never creates a second message.
 */
export function retryingFetch(
  inner: typeof globalThis.fetch,
  retry: RetryOptions = {},
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): typeof globalThis.fetch {
  const maxRetries = retry.maxRetries ?? 3;
  const base = retry.baseDelayMs ?? 500;
  const cap = retry.maxDelayMs ?? 30_000;
  return async (input, init) => {
    const request = new Request(input, init);
    for (let attempt = 0; ; attempt += 1) {
      const response = await inner(request.clone());
      if ((response.status !== 429 && response.status !== 503) || attempt >= maxRetries) return response;
      const wait = retryAfterMs(response.headers.get('retry-after')) ?? base * 2 ** attempt;
      await response.body?.cancel();
      await sleep(Math.min(cap, wait));
    }
  };
}

/**
 * The Flowgate partner API client. `api` is the typed openapi-fetch client for every route of
 * the OpenAPI document (`api.GET('/api/v1/public/messages/{id}', { params: { path: { id } } })`); the methods
 * below are the common calls, returning the `data` of a 2xx answer and throwing
 * FlowgateApiError otherwise.
 */
export class FlowgateClient {
  readonly api: Client<paths>;

  constructor(options: FlowgateClientOptions) {
    const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.api = createClient<paths>({
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
      fetch: retryingFetch(fetchImpl, options.retry, options.sleep),
      headers: authHeaders(options.auth ?? 'headers', options.apiKey, options.apiSecret),
    });
  }

  /**
   * `POST /messages/send`. Without an `idempotencyKey` one is generated, so that the client's own
   * retries (and yours, if you pass the same key) can never send twice.
   */
  async sendMessage(
    body: SendMessageBody,
    options: { idempotencyKey?: string } = {},
  ): Promise<SendMessageResponse['data'] & { replayed: boolean; location: string | null }> {
    const { data, error, response } = await this.api.POST('/api/v1/public/messages/send', {
      body,
      params: { header: { 'Idempotency-Key': options.idempotencyKey ?? randomUUID() } },
    });
    if (data === undefined) throw new FlowgateApiError(response.status, error, response.headers);
    return {
      ...data.data,
      replayed: response.headers.get('idempotent-replayed') === 'true',
      location: response.headers.get('location'),
    };
  }

  /** `GET /messages/{id}`: the message, its status and history. */
  async getMessage(id: string): Promise<GetMessageResponse['data']> {
    const { data, error, response } = await this.api.GET('/api/v1/public/messages/{id}', {
      params: { path: { id } },
    });
    if (data === undefined) throw new FlowgateApiError(response.status, error, response.headers);
    return data.data;
  }

  /** `GET /templates`: the workspace's approved templates and the variables each expects. */
  async listTemplates(): Promise<ListTemplatesResponse['data']['templates']> {
    const { data, error, response } = await this.api.GET('/api/v1/public/templates');
    if (data === undefined) throw new FlowgateApiError(response.status, error, response.headers);
    return data.data.templates;
  }

  /**
   * `POST /broadcasts`: one template to up to 100,000 recipients; every recipient is checked
   * before the answer (422 BROADCAST_RECIPIENTS_INVALID names the bad ones; nothing is stored).
   */
  async createBroadcast(body: CreateBroadcastBody): Promise<CreateBroadcastResponse['data']> {
    const { data, error, response } = await this.api.POST('/api/v1/public/broadcasts', { body });
    if (data === undefined) throw new FlowgateApiError(response.status, error, response.headers);
    return data.data;
  }

  /** `GET /broadcasts/{id}`: status and counts (they add up to `total`). */
  async getBroadcast(id: string): Promise<Broadcast> {
    const { data, error, response } = await this.api.GET('/api/v1/public/broadcasts/{id}', {
      params: { path: { id } },
    });
    if (data === undefined) throw new FlowgateApiError(response.status, error, response.headers);
    return data.data;
  }

  /** `POST /broadcasts/{id}/cancel`: recipients not yet handed to the provider are never sent. */
  async cancelBroadcast(id: string): Promise<Broadcast> {
    const { data, error, response } = await this.api.POST('/api/v1/public/broadcasts/{id}/cancel', {
      params: { path: { id } },
    });
    if (data === undefined) throw new FlowgateApiError(response.status, error, response.headers);
    return data.data;
  }
}
