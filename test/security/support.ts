/**
 * Shared pieces of the security suite (test/security/*.test.ts): a database of its own, the API
 * as a real separate process (its stdout/stderr captured), raw HTTP over a socket, /proc readings,
 * and the checks for leaks in error bodies and logs.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { freePort, startProcess, waitForHttp, type ServiceProcess } from '@flowgate/testing';
export { isolatedDatabase } from '@flowgate/testing';

/** public-api as its own process on a free port, once /healthz answers. */
export async function startApiProcess(
  env: Record<string, string>,
): Promise<{ proc: ServiceProcess; base: string; port: number }> {
  const port = await freePort();
  const proc = startProcess('services/public-api/src/main.ts', {
    ...env,
    PORT: String(port),
    HOST: '127.0.0.1',
  });
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/healthz`, proc);
  return { proc, base, port };
}

/** CPU time (user + system, ms) and memory (kB) of a process, from /proc. */
export function procUsage(pid: number): { cpuMs: number; rssKb: number; hwmKb: number } {
  // Fields after the command name (which may hold spaces, so split after its closing paren).
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { cpuMs: ticks * 10, rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
}

export interface RawResponse {
  /** e.g. `HTTP/1.1 400 Bad Request`; empty when the server closed without answering. */
  statusLine: string;
  status: number | undefined;
  headers: Record<string, string>;
  body: string;
  /** Everything received, for "not echoed" checks. */
  raw: string;
  /** Milliseconds from the first byte sent until the server closed the connection. */
  closedAfterMs: number;
}

/**
 * Sends bytes over a plain socket (so requests no HTTP client would build can be sent) and reads
 * until the server closes. `chunks` with `gapMs` send the request slowly (slowloris).
 */
export function rawRequest(
  port: number,
  chunks: Array<string | Buffer>,
  opts: { gapMs?: number; giveUpMs?: number } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${opts.giveUpMs ?? 30_000} ms`));
    }, opts.giveUpMs ?? 30_000);
    socket.on('data', (d: Buffer) => received.push(d));
    socket.on('error', () => undefined); // a reset is an answer too: "connection refused/closed"
    socket.on('close', () => {
      clearTimeout(giveUp);
      if (timer) clearTimeout(timer);
      const raw = Buffer.concat(received).toString('latin1');
      const split = raw.indexOf('\r\n\r\n');
      const head = split === -1 ? raw : raw.slice(0, split);
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
      resolve({
        statusLine,
        status: status === undefined ? undefined : Number(status),
        headers,
        body: split === -1 ? '' : raw.slice(split + 4),
        raw,
        closedAfterMs: Date.now() - started,
      });
    });
    let i = 0;
    const sendNext = (): void => {
      if (socket.destroyed) return;
      const chunk = chunks[i++];
      if (chunk === undefined) return;
      socket.write(chunk);
      timer = setTimeout(sendNext, opts.gapMs ?? 0);
    };
    socket.once('connect', sendNext);
  });
}

/** Things an error body must never contain (docs/contracts.md §2.4). */
export const LEAKS: ReadonlyArray<readonly [string, RegExp]> = [
  ['a stack frame', /\bat [\w.<>$]+ \(|\bat (?:async )?\/|\n\s+at /],
  ['an internal path', /\/work\/|\/home\/|\/usr\/|\/tmp\/|node_modules|\.ts:\d+|\.js:\d+/],
  ['SQL', /\b(?:select \S+ from|insert into|update \S+ set|delete from|returning \*)\b/i],
  ['a database error', /\b(?:postgres|knex|jsonb|pg_|sqlstate|relation ")/i],
  ['an exception name', /\b(?:TypeError|RangeError|SyntaxError|ReferenceError|URIError)\b/],
];

/** The leaks found in a response body: [what, matched text]. */
export function leaksIn(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [what, re] of LEAKS) {
    const m = re.exec(text);
    if (m) out.push([what, m[0]]);
  }
  return out;
}

/** Every (secret, line) pair where a secret value appears in a log line. */
export function secretHits(
  logs: readonly string[],
  secrets: ReadonlyMap<string, string>,
): Array<{ what: string; line: string }> {
  const hits: Array<{ what: string; line: string }> = [];
  const lines = logs.join('').split('\n');
  for (const [value, what] of secrets)
    for (const line of lines) if (value.length > 0 && line.includes(value)) hits.push({ what, line });
  return hits;
}

/** One summary line per section, on the test run's output. */
export function summary(section: string, text: string): void {
  process.stdout.write(`security | ${section}: ${text}\n`);
}
