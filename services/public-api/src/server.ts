import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Express } from 'express';

export interface RunningServer {
  server: http.Server;
  port: number;
  /** Stops accepting connections, lets in-flight requests finish (up to `graceMs`), then closes idle ones. */
  stop(graceMs?: number): Promise<void>;
}

export interface ListenOptions {
  port: number;
  host: string;
  /** Headers must arrive within this (default 10 s). */
  headersTimeoutMs?: number;
  /** The whole request must arrive within this (default 30 s). */
  requestTimeoutMs?: number;
}

/** Listens with timeouts set against slow clients (slowloris) and oversized headers. */
export function listen(app: Express, opts: ListenOptions): Promise<RunningServer> {
  const headersTimeout = opts.headersTimeoutMs ?? 10_000;
  const server = http.createServer(
    {
      maxHeaderSize: 16 * 1024,
      headersTimeout,
      requestTimeout: Math.max(headersTimeout, opts.requestTimeoutMs ?? 30_000),
      // Node checks those timeouts on this interval (default 30 s, which would let a slow client
      // hold its connection for up to 30 s past them).
      connectionsCheckingInterval: Math.min(1_000, headersTimeout),
      keepAliveTimeout: 5_000,
    },
    app,
  );
  server.on('clientError', answerClientError);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : opts.port;
      resolve({
        server,
        port,
        stop: (graceMs = 10_000) =>
          new Promise<void>((done) => {
            const force = setTimeout(() => server.closeAllConnections(), graceMs);
            force.unref();
            server.close(() => {
              clearTimeout(force);
              done();
            });
            server.closeIdleConnections();
          }),
      });
    });
  });
}

/**
 * What Node's HTTP parser refuses before Express sees a request (a CR or LF inside a header value,
 * a broken request line, chunked framing errors) gets our JSON envelope too, instead of Node's
 * bare `400 Bad Request`. Headers over `maxHeaderSize` (431) and slow clients (408) keep Node's
 * bodyless answer (plus X-Request-Id): the error table has no code for them (ADR 0010).
 */
function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  const writable =
    socket.writable &&
    !(socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (!writable || err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const requestId = randomUUID();
  const bare = (status: string): string =>
    `HTTP/1.1 ${status}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`;
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    answerAndClose(socket, bare('431 Request Header Fields Too Large'));
    return;
  }
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    answerAndClose(socket, bare('408 Request Timeout'));
    return;
  }
  const tooLarge = err.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW';
  const body = JSON.stringify({
    success: false,
    error: {
      code: tooLarge ? 'PAYLOAD_TOO_LARGE' : 'VALIDATION_FAILED',
      message: tooLarge ? 'The request is too large.' : 'The request is not valid HTTP/1.1.',
      details: [],
      requestId,
    },
  });
  answerAndClose(
    socket,
    `HTTP/1.1 ${tooLarge ? '413 Payload Too Large' : '400 Bad Request'}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Request-Id: ${requestId}\r\n` +
      'X-Content-Type-Options: nosniff\r\n' +
      'Connection: close\r\n\r\n' +
      body,
  );
}

/**
 * Writes the answer and destroys the socket, as Node's own default does. `end()` alone would
 * leave the reading side open: after a 408 fired late (an event loop starved past the request
 * timeout while the request sat in the socket buffer), the parser would still read and serve the
 * request the client was just told had timed out.
 */
function answerAndClose(socket: Duplex, response: string): void {
  socket.write(response);
  socket.destroy();
}
