/**
 * Messages between the benchmark orchestrator (main.ts) and the load-generator child process
 * (load-generator.ts), sent over the Node IPC channel.
 */

/** One fixed-rate step: `rate` requests per second for `durationMs`, open model. */
export interface StepSpec {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  /** Request body; every `__SEQ__` is replaced by a per-request sequence number. */
  bodyTemplate?: string;
  /**
   * One prepared request per scheduled request (request i sends `requests[i]`: its body, and its
   * headers on top of `headers`), for bodies that cannot come from a template (signed webhooks).
   * Takes the place of `bodyTemplate`; it must hold at least rate × duration entries.
   */
  requests?: Array<{ body: string; headers?: Record<string, string> }>;
  /** Sequence number of the step's first request (the next ones count up from it). */
  seqStart: number;
  rate: number;
  durationMs: number;
  /** The status a successful answer has (anything else counts as an error). */
  expectStatus: number;
  /** A request without an answer after this long counts as an error. */
  timeoutMs: number;
  /** Connections the keep-alive agent may open. */
  maxSockets: number;
}

export interface StepResult {
  rate: number;
  durationMs: number;
  /** Requests the schedule called for (rate × duration). */
  scheduled: number;
  /** Answers with the expected status. */
  ok: number;
  /** Everything else: other statuses, network errors, timeouts. */
  errors: number;
  errorRate: number;
  /** Error kinds ("status 429", "ECONNRESET", "timeout") and their counts. */
  errorKinds: Record<string, number>;
  /** Latency from each request's *scheduled* start to the end of its answer (coordinated-omission free). */
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
  /** Expected-status answers per second over the schedule plus the wait for the last answers. */
  achievedRps: number;
  /** Largest delay between a request's scheduled and actual start (generator saturation). */
  maxIssueLagMs: number;
  /** CPU the load generator itself used during the step, as a share of one core. */
  generatorCpuPct: number;
  wallMs: number;
}

export type ToGenerator = { type: 'run'; id: number; spec: StepSpec } | { type: 'exit' };

export type FromGenerator =
  | { type: 'ready' }
  | { type: 'result'; id: number; result: StepResult }
  | { type: 'error'; id: number; message: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isToGenerator(v: unknown): v is ToGenerator {
  if (!isRecord(v)) return false;
  if (v['type'] === 'exit') return true;
  return v['type'] === 'run' && typeof v['id'] === 'number' && isRecord(v['spec']);
}

export function isFromGenerator(v: unknown): v is FromGenerator {
  if (!isRecord(v)) return false;
  if (v['type'] === 'ready') return true;
  if (v['type'] === 'result') return typeof v['id'] === 'number' && isRecord(v['result']);
  if (v['type'] === 'error') return typeof v['id'] === 'number' && typeof v['message'] === 'string';
  return false;
}
