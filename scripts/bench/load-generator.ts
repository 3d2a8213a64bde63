/**
 * Fixed-rate HTTP load generator, run as its own process by the benchmark (main.ts) and driven
 * over IPC (protocol.ts). Open model: request i of a step is *scheduled* at start + i / rate,
 * whatever happened to earlier requests, and its latency is measured from that scheduled time, so
 * a server that stalls is charged for the whole wait (no coordinated omission). Connections come
 * from a keep-alive agent; requests beyond its sockets wait in the agent's queue, on the clock.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { isToGenerator, type FromGenerator, type StepResult, type StepSpec } from './protocol';
import { mean, percentile, round } from './stats';

function send(msg: FromGenerator): void {
  process.send?.(msg);
}

function bodyFactory(template: string | undefined): (seq: number) => Buffer | undefined {
  if (template === undefined) return () => undefined;
  const parts = template.split('__SEQ__');
  if (parts.length === 1) {
    const fixed = Buffer.from(template);
    return () => fixed;
  }
  return (seq) => Buffer.from(parts.join(String(seq)));
}

export function runStep(spec: StepSpec): Promise<StepResult> {
  const url = new URL(spec.url);
  const agent = new http.Agent({
    keepAlive: true,
    maxSockets: spec.maxSockets,
    maxFreeSockets: spec.maxSockets,
  });
  const makeBody = bodyFactory(spec.bodyTemplate);
  const total = Math.max(1, Math.round((spec.rate * spec.durationMs) / 1000));
  const prepared = spec.requests;
  if (prepared !== undefined && prepared.length < total)
    return Promise.reject(new Error(`${prepared.length} prepared requests for ${total} scheduled`));
  const intervalMs = 1000 / spec.rate;
  const latencies = new Float64Array(total);
  const errorKinds: Record<string, number> = {};
  let ok = 0;
  let errors = 0;
  let done = 0;
  let issued = 0;
  let maxLag = 0;
  let lastEnd = 0;
  const cpuBefore = process.cpuUsage();
  const start = performance.now() + 20;

  return new Promise<StepResult>((resolve) => {
    const finish = (): void => {
      agent.destroy();
      const cpu = process.cpuUsage(cpuBefore);
      const wallMs = performance.now() - start;
      const sorted = latencies.slice().sort();
      const elapsedS = Math.max(spec.durationMs, lastEnd - start) / 1000;
      resolve({
        rate: spec.rate,
        durationMs: spec.durationMs,
        scheduled: total,
        ok,
        errors,
        errorRate: errors / total,
        errorKinds,
        latencyMs: {
          p50: round(percentile(sorted, 0.5), 3),
          p90: round(percentile(sorted, 0.9), 3),
          p99: round(percentile(sorted, 0.99), 3),
          p999: round(percentile(sorted, 0.999), 3),
          max: round(percentile(sorted, 1), 3),
          mean: round(mean(sorted), 3),
        },
        achievedRps: round(ok / elapsedS, 1),
        maxIssueLagMs: round(maxLag, 2),
        generatorCpuPct: round(((cpu.user + cpu.system) / 1000 / wallMs) * 100, 1),
        wallMs: round(wallMs, 0),
      });
    };

    const record = (i: number, scheduledAt: number, kind: string | undefined): void => {
      const end = performance.now();
      latencies[i] = end - scheduledAt;
      if (end > lastEnd) lastEnd = end;
      if (kind === undefined) ok += 1;
      else {
        errors += 1;
        errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
      }
      done += 1;
      if (done === total) finish();
    };

    const fire = (i: number, scheduledAt: number): void => {
      const lag = performance.now() - scheduledAt;
      if (lag > maxLag) maxLag = lag;
      const own = prepared?.[i];
      const body = own !== undefined ? Buffer.from(own.body) : makeBody(spec.seqStart + i);
      const headers = own?.headers !== undefined ? { ...spec.headers, ...own.headers } : spec.headers;
      let settled = false;
      const settle = (kind: string | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        record(i, scheduledAt, kind);
      };
      const req = http.request(
        {
          agent,
          hostname: url.hostname,
          port: url.port,
          path: `${url.pathname}${url.search}`,
          method: spec.method,
          headers: body ? { ...headers, 'content-length': body.length } : headers,
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            settle(res.statusCode === spec.expectStatus ? undefined : `status ${res.statusCode}`),
          );
          res.on('error', (err: NodeJS.ErrnoException) => settle(err.code ?? 'response error'));
        },
      );
      const timer = setTimeout(() => {
        settle('timeout');
        req.destroy();
      }, spec.timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) => settle(err.code ?? err.message));
      req.end(body);
    };

    const tick = (): void => {
      const now = performance.now();
      const due = Math.min(total, Math.floor((now - start) / intervalMs) + 1);
      while (issued < due) {
        fire(issued, start + issued * intervalMs);
        issued += 1;
      }
      if (issued < total) setTimeout(tick, Math.max(0, start + issued * intervalMs - performance.now()));
    };
    setTimeout(tick, 20);
  });
}

process.on('message', (msg: unknown) => {
  if (!isToGenerator(msg)) return;
  if (msg.type === 'exit') {
    process.disconnect?.();
    process.exit(0);
  }
  const { id, spec } = msg;
  runStep(spec).then(
    (result) => send({ type: 'result', id, result }),
    (err: unknown) => send({ type: 'error', id, message: err instanceof Error ? err.message : String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
