/** Plain node:http helpers of the sandbox's routes: reading a bounded body, answering JSON. */
import type http from 'node:http';
import { metaErrorBody, newFbtraceId } from './meta-errors';

/** Bodies above this are answered with a 400 (Meta error 100) and not kept. */
export const MAX_BODY_BYTES = 1024 * 1024;
const JSON_TYPE = 'application/json; charset=UTF-8';

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer\s+(\S.*)$/i.exec(header);
  const token = m?.[1]?.trim();
  return token !== undefined && token !== '' ? token : undefined;
}

export function readBody(req: http.IncomingMessage): Promise<{ text: string; tooLarge: boolean }> {
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

export function sendJson(res: http.ServerResponse, status: number, payload: unknown, traceId?: string): void {
  const text = JSON.stringify(payload);
  const headers: http.OutgoingHttpHeaders = {
    'content-type': JSON_TYPE,
    'content-length': Buffer.byteLength(text),
  };
  if (traceId !== undefined) headers['x-fb-trace-id'] = traceId;
  res.writeHead(status, headers);
  res.end(text);
}

/** A 400 with Meta's error body (code 100) and a fresh trace id. */
export function sendBadRequest(res: http.ServerResponse, opts: { message?: string; details?: string }): void {
  const traceId = newFbtraceId();
  sendJson(res, 400, metaErrorBody(100, { ...opts, fbtraceId: traceId }), traceId);
}
