import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCloudApiClient } from '../src/client';
import { ProviderError } from '../src/error-policy';

interface Seen {
  method: string | undefined;
  url: string | undefined;
  headers: http.IncomingHttpHeaders;
  body: string;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

let server: http.Server;
let baseUrl: string;
let handler: Handler;
let seen: Seen[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen = [];
});

function json(
  res: http.ServerResponse,
  status: number,
  payload: unknown,
  headers: http.OutgoingHttpHeaders = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(payload));
}

const TOKEN = 'EAAG-secret-token-value';
const BODY = {
  messaging_product: 'whatsapp',
  to: '+16505551234',
  type: 'text',
  text: { body: 'very private message body' },
  biz_opaque_callback_data: 'msg_1',
};

function client(timeoutMs = 2000) {
  return createCloudApiClient({ baseUrl: `${baseUrl}/`, graphVersion: 'v25.0', timeoutMs });
}

async function sendExpectingError(timeoutMs = 2000): Promise<ProviderError> {
  const err: unknown = await client(timeoutMs)
    .sendMessage({ phoneNumberId: '1234567890', accessToken: TOKEN, body: BODY })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(err).toBeInstanceOf(ProviderError);
  const pe = err as ProviderError;
  // Neither the body nor the token may leak into the error.
  const serialised = `${pe.message} ${JSON.stringify(pe)} ${pe.stack ?? ''}`;
  expect(serialised).not.toContain('very private message body');
  expect(serialised).not.toContain(TOKEN);
  return pe;
}

describe('createCloudApiClient', () => {
  it('posts the body with Bearer auth and parses Meta success', async () => {
    handler = (_req, res) =>
      json(res, 200, {
        messaging_product: 'whatsapp',
        contacts: [{ input: '+16505551234', wa_id: '16505551234' }],
        messages: [{ id: 'wamid.ABC123', message_status: 'accepted' }],
      });
    const result = await client().sendMessage({
      phoneNumberId: '1234567890',
      accessToken: TOKEN,
      body: BODY,
    });
    expect(result).toEqual({ wamid: 'wamid.ABC123', waId: '16505551234', messageStatus: 'accepted' });
    expect(seen).toHaveLength(1);
    const call = seen[0]!;
    expect(call.method).toBe('POST');
    expect(call.url).toBe('/v25.0/1234567890/messages');
    expect(call.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(call.headers['content-type']).toBe('application/json');
    expect(JSON.parse(call.body)).toEqual(BODY);
  });

  it('accepts a success body without contacts or message_status', async () => {
    handler = (_req, res) => json(res, 200, { messaging_product: 'whatsapp', messages: [{ id: 'wamid.X' }] });
    const result = await client().sendMessage({ phoneNumberId: '42', accessToken: TOKEN, body: BODY });
    expect(result).toEqual({ wamid: 'wamid.X' });
  });

  it('encodes the phone-number-id into the path', async () => {
    handler = (_req, res) => json(res, 200, { messages: [{ id: 'wamid.Y' }] });
    await client().sendMessage({ phoneNumberId: '12/../34', accessToken: TOKEN, body: BODY });
    expect(seen[0]!.url).toBe('/v25.0/12%2F..%2F34/messages');
  });

  it('turns a Meta error object into a classified ProviderError', async () => {
    handler = (_req, res) =>
      json(res, 400, {
        error: {
          message: '(#131047) Re-engagement message',
          type: 'OAuthException',
          code: 131047,
          error_data: { messaging_product: 'whatsapp', details: 'More than 24 hours have passed' },
          fbtrace_id: 'AbCdEf123',
        },
      });
    const err = await sendExpectingError();
    expect(err.code).toBe(131047);
    expect(err.httpStatus).toBe(400);
    expect(err.title).toBe('Re-engagement message');
    expect(err.details).toBe('More than 24 hours have passed');
    expect(err.fbtraceId).toBe('AbCdEf123');
    expect(err.type).toBe('OAuthException');
    expect(err.classification).toEqual({ kind: 'permanent' });
    expect(err.outcomeUnknown).toBe(false);
  });

  it.each([
    [130429, 400, { kind: 'retryable' }],
    [131056, 400, { kind: 'retryable', pairLimited: true }],
    [190, 401, { kind: 'account' }],
    [131000, 500, { kind: 'retryable' }],
    [132001, 404, { kind: 'permanent' }],
  ] as const)('classifies Meta code %i (HTTP %i)', async (code, status, classification) => {
    handler = (_req, res) =>
      json(res, status, {
        error: { message: `(#${code}) x`, type: 'OAuthException', code, fbtrace_id: 't' },
      });
    const err = await sendExpectingError();
    expect(err.code).toBe(code);
    expect(err.classification).toEqual(classification);
  });

  it('takes the trace id from the header when the body has none', async () => {
    handler = (_req, res) =>
      json(
        res,
        400,
        { error: { message: '(#100) Invalid parameter', type: 'OAuthException', code: 100 } },
        { 'x-fb-trace-id': 'HdrTrace' },
      );
    const err = await sendExpectingError();
    expect(err.fbtraceId).toBe('HdrTrace');
    expect(err.classification.kind).toBe('permanent');
  });

  it('treats a non-JSON 502 as a retryable code-less failure', async () => {
    handler = (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><body>502 Bad Gateway</body></html>');
    };
    const err = await sendExpectingError();
    expect(err.code).toBeUndefined();
    expect(err.httpStatus).toBe(502);
    expect(err.classification).toEqual({ kind: 'retryable' });
  });

  it('times out, retryable and flagged as an unknown outcome', async () => {
    handler = (_req, res) => {
      setTimeout(() => {
        if (!res.destroyed) json(res, 200, { messages: [{ id: 'wamid.late' }] });
      }, 1000);
    };
    const started = Date.now();
    const err = await sendExpectingError(150);
    expect(Date.now() - started).toBeLessThan(900);
    expect(err.timedOut).toBe(true);
    expect(err.classification).toEqual({ kind: 'retryable' });
    expect(err.outcomeUnknown).toBe(true);
  });

  it('maps a connection reset to a retryable network error', async () => {
    handler = (req) => req.socket.destroy();
    const err = await sendExpectingError();
    expect(err.networkError).toBe(true);
    expect(err.classification).toEqual({ kind: 'retryable' });
    expect(err.outcomeUnknown).toBe(true);
  });

  it('maps a refused connection to a retryable network error that never reached Meta', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const c = createCloudApiClient({
      baseUrl: `http://127.0.0.1:${port}`,
      graphVersion: 'v25.0',
      timeoutMs: 2000,
    });
    const err: unknown = await c
      .sendMessage({ phoneNumberId: '1', accessToken: TOKEN, body: BODY })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    const pe = err as ProviderError;
    expect(pe.networkError).toBe(true);
    expect(pe.classification.kind).toBe('retryable');
    expect(pe.outcomeUnknown).toBe(false);
  });

  it('rejects an unrecognisable 2xx body without retrying', async () => {
    handler = (_req, res) => json(res, 200, { messaging_product: 'whatsapp', messages: [] });
    const err = await sendExpectingError();
    expect(err.httpStatus).toBe(200);
    expect(err.classification.kind).toBe('permanent');
    expect(err.outcomeUnknown).toBe(true);

    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('OK');
    };
    const err2 = await sendExpectingError();
    expect(err2.classification.kind).toBe('permanent');
  });

  it('refuses to call without a token or phone-number-id (account-level)', async () => {
    const c = client();
    await expect(c.sendMessage({ phoneNumberId: '1', accessToken: ' ', body: BODY })).rejects.toMatchObject({
      classification: { kind: 'account' },
    });
    await expect(c.sendMessage({ phoneNumberId: '', accessToken: TOKEN, body: BODY })).rejects.toBeInstanceOf(
      ProviderError,
    );
    expect(seen).toHaveLength(0);
  });

  it('sends a body given as JSON text exactly as it is', async () => {
    handler = (_req, res) => json(res, 200, { messages: [{ id: 'wamid.T' }] });
    const text =
      '{"messaging_product": "whatsapp", "to": "16505551234", "type": "text", "text": {"body": "hi"}}';
    await client().sendMessage({ phoneNumberId: '7', accessToken: TOKEN, body: text });
    expect(seen[0]?.body).toBe(text);
    expect(seen[0]?.headers['content-length']).toBe(String(Buffer.byteLength(text)));
  });

  it('reuses its connections (keep-alive): sequential calls share one, concurrent ones stay within maxSockets', async () => {
    const sockets = new Set<unknown>();
    handler = (req, res) => {
      sockets.add(req.socket);
      json(res, 200, { messages: [{ id: 'wamid.K' }] });
    };
    const c = createCloudApiClient({ baseUrl, graphVersion: 'v25.0', timeoutMs: 2000, maxSockets: 4 });
    try {
      for (let i = 0; i < 20; i += 1)
        await c.sendMessage({ phoneNumberId: '1', accessToken: TOKEN, body: BODY });
      expect(seen).toHaveLength(20);
      expect(sockets.size).toBe(1);

      sockets.clear();
      await Promise.all(
        Array.from({ length: 40 }, () =>
          c.sendMessage({ phoneNumberId: '1', accessToken: TOKEN, body: BODY }),
        ),
      );
      expect(seen).toHaveLength(60);
      expect(sockets.size).toBeGreaterThanOrEqual(1);
      expect(sockets.size).toBeLessThanOrEqual(4);
    } finally {
      c.close();
    }
  });

  it('validates its options', () => {
    expect(() => createCloudApiClient({ baseUrl: 'not a url', graphVersion: 'v25.0', timeoutMs: 1 })).toThrow(
      TypeError,
    );
    expect(() => createCloudApiClient({ baseUrl, graphVersion: '25', timeoutMs: 1 })).toThrow(TypeError);
    expect(() => createCloudApiClient({ baseUrl, graphVersion: 'v25.0', timeoutMs: 0 })).toThrow(TypeError);
  });
});
