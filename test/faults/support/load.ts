/**
 * The fault suite's load: an open model (send i is due at start + i / rate, whatever happened to
 * earlier ones), round-robin over the APIs, every send with its own Idempotency-Key. A client
 * that gets a network error, a timeout, a 5xx, a 408 or a 429 sends the same request with the same
 * key again, to the next API, until it gets a 201 or another 4xx (or gives up, which is counted).
 */
import { sleep } from '@flowgate/testing';

export interface LoadOptions {
  /** Base URLs of the APIs, e.g. `http://127.0.0.1:3000`. Read at every attempt. */
  targets: () => readonly string[];
  total: number;
  ratePerSec: number;
  headers: Record<string, string>;
  body: (index: number) => Record<string, unknown>;
  /** Unique per scenario: key `i` is `${keyPrefix}-${i}`. */
  keyPrefix: string;
  /** One HTTP attempt's budget. */
  attemptTimeoutMs?: number;
  /** A send still without a 201 or 4xx this long after it was due is given up (and counted). */
  giveUpAfterMs?: number;
}

export interface SendOutcome {
  key: string;
  /** The message id of the first 201. */
  id: string | undefined;
  /** Every id any 201 for this key carried (more than one would be a client duplicate). */
  ids: string[];
  /** The final status: 201, another 4xx, or undefined when given up. */
  status: number | undefined;
  errorCode: string | undefined;
  attempts: number;
  replays: number;
  dueAt: number;
  doneAt: number;
}

export interface LoadResult {
  startedAt: number;
  /** When the last send was issued (its first attempt). */
  issuedAt: number;
  /** When the last 201 arrived. */
  lastAcceptedAt: number;
  outcomes: SendOutcome[];
  /** Every HTTP attempt's result: `201`, `503`, `network`, `timeout`, … */
  answers: Record<string, number>;
}

export interface RunningLoad {
  startedAt: number;
  /** Sends issued so far. */
  issued(): number;
  /** Resolves once every send is settled. */
  done: Promise<LoadResult>;
}

function answerKind(err: unknown): string {
  const name = typeof err === 'object' && err !== null ? (err as { name?: unknown }).name : undefined;
  return name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network';
}

export function startLoad(opts: LoadOptions): RunningLoad {
  const attemptTimeoutMs = opts.attemptTimeoutMs ?? 30_000;
  const giveUpAfterMs = opts.giveUpAfterMs ?? 120_000;
  const answers: Record<string, number> = {};
  const count = (kind: string): void => {
    answers[kind] = (answers[kind] ?? 0) + 1;
  };
  const startedAt = Date.now();
  let issued = 0;
  let issuedAt = startedAt;
  let lastAcceptedAt = startedAt;

  async function send(index: number, dueAt: number): Promise<SendOutcome> {
    const key = `${opts.keyPrefix}-${index}`;
    const body = JSON.stringify(opts.body(index));
    const outcome: SendOutcome = {
      key,
      id: undefined,
      ids: [],
      status: undefined,
      errorCode: undefined,
      attempts: 0,
      replays: 0,
      dueAt,
      doneAt: dueAt,
    };
    for (let attempt = 0; ; attempt += 1) {
      const targets = opts.targets();
      const base = targets[(index + attempt) % targets.length] ?? '';
      outcome.attempts += 1;
      let retryAfterMs = 0;
      try {
        const res = await fetch(`${base}/api/v1/public/messages/send`, {
          method: 'POST',
          headers: { ...opts.headers, 'content-type': 'application/json', 'idempotency-key': key },
          body,
          signal: AbortSignal.timeout(attemptTimeoutMs),
        });
        const text = await res.text();
        count(String(res.status));
        if (res.status === 201) {
          const id = (JSON.parse(text) as { data?: { id?: string } }).data?.id;
          if (id !== undefined && !outcome.ids.includes(id)) outcome.ids.push(id);
          outcome.id ??= id;
          if (res.headers.get('idempotent-replayed') === 'true') outcome.replays += 1;
          outcome.status = 201;
          outcome.doneAt = Date.now();
          lastAcceptedAt = Math.max(lastAcceptedAt, outcome.doneAt);
          return outcome;
        }
        // 408 (the server did not read the request in time) and 429 (slow down) invite a retry.
        if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
          outcome.status = res.status;
          try {
            outcome.errorCode = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
          } catch {
            outcome.errorCode = undefined;
          }
          outcome.doneAt = Date.now();
          return outcome;
        }
        const retryAfter = Number(res.headers.get('retry-after'));
        if (Number.isFinite(retryAfter) && retryAfter > 0) retryAfterMs = Math.min(2000, retryAfter * 1000);
      } catch (err) {
        count(answerKind(err));
      }
      if (Date.now() - dueAt > giveUpAfterMs) {
        outcome.doneAt = Date.now();
        return outcome;
      }
      // The first retry goes straight to the other API; later ones back off up to 1 s.
      const backoff = attempt === 0 ? 0 : Math.min(1000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2);
      await sleep(Math.max(retryAfterMs, backoff));
    }
  }

  const done = (async (): Promise<LoadResult> => {
    const pending: Promise<SendOutcome>[] = [];
    while (issued < opts.total) {
      const due = Math.min(opts.total, Math.floor(((Date.now() - startedAt) * opts.ratePerSec) / 1000) + 1);
      while (issued < due) {
        pending.push(send(issued, startedAt + (issued * 1000) / opts.ratePerSec));
        issued += 1;
      }
      issuedAt = Date.now();
      if (issued < opts.total) await sleep(5);
    }
    const outcomes = await Promise.all(pending);
    return { startedAt, issuedAt, lastAcceptedAt, outcomes, answers };
  })();

  return { startedAt, issued: () => issued, done };
}

/** Resolves `ms` after the load started. */
export async function atLoadTime(load: RunningLoad, ms: number): Promise<void> {
  const wait = load.startedAt + ms - Date.now();
  if (wait > 0) await sleep(wait);
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}
