import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { guardedLookup, hostOf, isPublicAddress } from './ssrf-guard';

export interface PostResult {
  httpStatus: number | null;
  durationMs: number;
  error: string | null;
  /** From `Retry-After` on 429 and 503. */
  retryAfterMs: number | null;
}

/** At most this much of an answer is read (then the socket is dropped). */
const MAX_ANSWER_BYTES = 64 * 1024;

export interface Poster {
  post(url: string, body: string, headers: Record<string, string>): Promise<PostResult>;
  close(): void;
}

function retryAfterOf(value: string | undefined): number | null {
  if (value === undefined) return null;
  if (/^\d{1,7}$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

/**
 * POSTs deliveries with keep-alive agents whose `lookup` refuses internal addresses (unless private
 * networks are allowed), a hard timeout, and no redirects (Node's client follows none: a 3xx is
 * an answer like any other non-2xx).
 */
export function createPoster(opts: {
  timeoutMs: number;
  allowPrivateNetworks: boolean;
  maxSockets?: number;
}): Poster {
  const agentOptions = {
    keepAlive: true,
    maxSockets: opts.maxSockets ?? 256,
    ...(opts.allowPrivateNetworks ? {} : { lookup: guardedLookup }),
  };
  const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };
  return {
    post(url, body, headers) {
      const started = performance.now();
      const done = (r: Omit<PostResult, 'durationMs'>): PostResult => ({
        ...r,
        durationMs: Math.round(performance.now() - started),
      });
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        return Promise.resolve(done({ httpStatus: null, error: 'invalid URL', retryAfterMs: null }));
      }
      const host = hostOf(target);
      // The agent's lookup never runs for an address literal: check it here.
      if (
        !opts.allowPrivateNetworks &&
        (target.protocol !== 'https:' || (isIP(host) !== 0 && !isPublicAddress(host)))
      )
        return Promise.resolve(
          done({ httpStatus: null, error: 'refused: not https or an internal address', retryAfterMs: null }),
        );
      const secure = target.protocol === 'https:';
      return new Promise<PostResult>((resolve) => {
        const req = (secure ? https : http).request(
          target,
          {
            method: 'POST',
            agent: secure ? agents.https : agents.http,
            headers: {
              'content-type': 'application/json',
              'content-length': String(Buffer.byteLength(body)),
              'user-agent': 'Flowgate-Webhooks/1.0',
              ...headers,
            },
            timeout: opts.timeoutMs,
          },
          (res) => {
            let read = 0;
            res.on('data', (chunk: Buffer) => {
              read += chunk.length;
              if (read > MAX_ANSWER_BYTES) res.destroy();
            });
            const finish = (): void =>
              resolve(
                done({
                  httpStatus: res.statusCode ?? null,
                  error: null,
                  retryAfterMs:
                    res.statusCode === 429 || res.statusCode === 503
                      ? retryAfterOf(
                          typeof res.headers['retry-after'] === 'string'
                            ? res.headers['retry-after']
                            : undefined,
                        )
                      : null,
                }),
              );
            res.on('end', finish);
            res.on('close', finish);
            res.on('error', finish);
          },
        );
        const timer = setTimeout(
          () => req.destroy(new Error(`timed out after ${opts.timeoutMs} ms`)),
          opts.timeoutMs,
        );
        req.on('timeout', () => req.destroy(new Error(`timed out after ${opts.timeoutMs} ms`)));
        req.on('error', (err: NodeJS.ErrnoException) => {
          clearTimeout(timer);
          resolve(
            done({
              httpStatus: null,
              error: err.code ? `${err.code}: ${err.message}` : err.message,
              retryAfterMs: null,
            }),
          );
        });
        req.on('close', () => clearTimeout(timer));
        req.end(body);
      });
    },
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
