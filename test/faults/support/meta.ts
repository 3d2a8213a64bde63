/**
 * Meta's side for the fault suite: signed webhook bodies posted to the APIs' intake
 * (`POST /api/v1/webhooks/meta`, docs/contracts.md §9) as Meta posts them. An open model (post `i`
 * is due at start + i / rate), round-robin over the APIs; anything but a 200 (a network error, a
 * timeout, a 4xx or a 5xx) is posted again with the same bytes, with backoff, as Meta retries
 * anything but a 200.
 */
import { signMetaBody } from '@flowgate/core';
import { sleep } from '@flowgate/testing';

export const META_APP_SECRET = 'fault-suite-meta-app-secret-0123456789';
export const META_VERIFY_TOKEN = 'fault-suite-verify-token';
/** What the stack needs for its Meta intake. */
export const META_ENV = {
  META_APP_SECRET,
  META_WEBHOOK_VERIFY_TOKEN: META_VERIFY_TOKEN,
} as const;

/** A `messages` change for the number with this provider id. */
export function messagesChange(providerPhoneNumberId: string, value: Record<string, unknown>): unknown {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550001234', phone_number_id: providerPhoneNumberId },
              ...value,
            },
          },
        ],
      },
    ],
  };
}

export interface MetaPostOutcome {
  index: number;
  /** true once a 200 came back. */
  ok: boolean;
  attempts: number;
  dueAt: number;
  doneAt: number;
}

export interface MetaSenderResult {
  startedAt: number;
  /** When the last post got its 200. */
  lastOkAt: number;
  outcomes: MetaPostOutcome[];
  /** Every HTTP attempt's result: `200`, `503`, `network`, `timeout`, … */
  answers: Record<string, number>;
}

export interface RunningMetaSender {
  startedAt: number;
  done: Promise<MetaSenderResult>;
}

export interface MetaSenderOptions {
  /** Base URLs of the APIs. Read at every attempt. */
  targets: () => readonly string[];
  total: number;
  ratePerSec: number;
  /** The body of post `i` (serialised once: every retry sends the same bytes). */
  body: (index: number) => unknown;
  attemptTimeoutMs?: number;
  /** A post still without a 200 this long after it was due is given up (and counted). */
  giveUpAfterMs?: number;
}

export function startMetaSender(opts: MetaSenderOptions): RunningMetaSender {
  const attemptTimeoutMs = opts.attemptTimeoutMs ?? 15_000;
  const giveUpAfterMs = opts.giveUpAfterMs ?? 150_000;
  const answers: Record<string, number> = {};
  const count = (kind: string): void => {
    answers[kind] = (answers[kind] ?? 0) + 1;
  };
  const startedAt = Date.now();
  let lastOkAt = startedAt;

  async function post(index: number, dueAt: number): Promise<MetaPostOutcome> {
    const raw = JSON.stringify(opts.body(index));
    const signature = signMetaBody(raw, META_APP_SECRET);
    const outcome: MetaPostOutcome = { index, ok: false, attempts: 0, dueAt, doneAt: dueAt };
    for (let attempt = 0; ; attempt += 1) {
      const targets = opts.targets();
      const base = targets[(index + attempt) % targets.length] ?? '';
      outcome.attempts += 1;
      try {
        const res = await fetch(`${base}/api/v1/webhooks/meta`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
          body: raw,
          signal: AbortSignal.timeout(attemptTimeoutMs),
        });
        await res.arrayBuffer();
        count(String(res.status));
        if (res.status === 200) {
          outcome.ok = true;
          outcome.doneAt = Date.now();
          lastOkAt = Math.max(lastOkAt, outcome.doneAt);
          return outcome;
        }
      } catch (err) {
        const name = typeof err === 'object' && err !== null ? (err as { name?: unknown }).name : undefined;
        count(name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network');
      }
      if (Date.now() - dueAt > giveUpAfterMs) {
        outcome.doneAt = Date.now();
        return outcome;
      }
      // The first retry goes straight to the other API; later ones back off up to 2 s.
      await sleep(attempt === 0 ? 0 : Math.min(2000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2));
    }
  }

  const done = (async (): Promise<MetaSenderResult> => {
    const pending: Promise<MetaPostOutcome>[] = [];
    let issued = 0;
    while (issued < opts.total) {
      const due = Math.min(opts.total, Math.floor(((Date.now() - startedAt) * opts.ratePerSec) / 1000) + 1);
      while (issued < due) {
        pending.push(post(issued, startedAt + (issued * 1000) / opts.ratePerSec));
        issued += 1;
      }
      if (issued < opts.total) await sleep(5);
    }
    const outcomes = await Promise.all(pending);
    return { startedAt, lastOkAt, outcomes, answers };
  })();
  return { startedAt, done };
}

export function formatAnswers(answers: Record<string, number>): string {
  return Object.entries(answers)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k}×${n}`)
    .join(', ');
}

/** Retries a database read while PostgreSQL is away. */
export async function retrying<T>(fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(250);
    }
  }
}
