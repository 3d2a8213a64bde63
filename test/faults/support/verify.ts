/**
 * After the load: wait until every accepted message is final, then check the promises of
 * docs/contracts.md §6 against the database (every row), the sandbox's call log (every provider call) and
 * the public API (a sample of `GET /messages/{id}`).
 */
import type { Database } from '@flowgate/db';
import type { CallSummary } from '@flowgate/sandbox';
import type { LoadResult } from './load';
import { percentile } from './load';
import { sleep } from '@flowgate/testing';
import type { ScenarioResult } from './report';

interface Row {
  id: string;
  idempotency_key: string | null;
  status: string;
  error_code: number | null;
  error_title: string | null;
  provider_message_id: string | null;
}

/** What the bound of a scenario may depend on, besides its fault. */
export interface DuplicateEvidence {
  summary: CallSummary;
  /** History events marking an attempt that may repeat an earlier provider call. */
  flaggedAttempts: number;
}

export interface Verification {
  result: ScenarioResult;
  /** Ids of accepted messages that are not final (or FAILED without a reason): should be none. */
  lostIds: string[];
  /** Keys with more than one message (or several ids in their 201s): should be none. */
  duplicateKeys: string[];
  /** SENT messages whose wamid is not one the provider issued for them: should be none. */
  unconfirmedIds: string[];
  /** Accepted sends whose message row does not exist: should be none (part of `lostIds`). */
  missingIds: string[];
  /**
   * Messages the provider accepted more often than their history admits (docs/contracts.md §6: a duplicate
   * call must be detectable): should be none.
   */
  undetectedDuplicates: string[];
  /** Sample checked through GET /messages/{id}: mismatches with the database. */
  apiMismatches: string[];
  rows: Row[];
  summary: CallSummary;
}

const FINAL = new Set(['SENT', 'FAILED', 'DELIVERED', 'READ']);
/**
 * How the dispatcher marks, in a message's history, an attempt that may repeat an earlier
 * provider call: a retry after an unknown outcome (timeout, dropped connection), or a takeover of
 * a stale claim (ADR 0006).
 */
export const POSSIBLE_DUPLICATE = /duplicate is possible|may have been called before/i;

/** Retries a database read while PostgreSQL is away (the PostgreSQL scenario restarts it). */
async function query<T>(fn: () => Promise<T>, deadline: number): Promise<T> {
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(250);
    }
  }
}

export async function drainAndVerify(opts: {
  scenario: string;
  fault: string;
  db: Database;
  workspaceId: string;
  sandboxUrl: string;
  apiUrl: () => string;
  headers: Record<string, string>;
  load: LoadResult;
  ratePerSec: number;
  providerDuplicateBound: (evidence: DuplicateEvidence) => number;
  drainTimeoutMs?: number;
  notes?: string[];
}): Promise<Verification> {
  const { load } = opts;
  const accepted = load.outcomes.filter((o) => o.status === 201 && o.id !== undefined);
  const acceptedIds = new Set(accepted.map((o) => o.id as string));
  const deadline = Date.now() + (opts.drainTimeoutMs ?? 90_000);

  // Drain: until every accepted message is final (or the deadline).
  let finalAt = Date.now();
  for (;;) {
    const open = await query(
      () =>
        opts
          .db('messages')
          .where('workspace_id', opts.workspaceId)
          .whereNotIn('status', [...FINAL])
          .count<{ count: string }[]>({ count: '*' }),
      deadline,
    );
    finalAt = Date.now();
    if (Number(open[0]?.count ?? 0) === 0 || finalAt > deadline) break;
    await sleep(250);
  }

  const rows = await query(
    () =>
      opts
        .db('messages')
        .select<Row[]>('id', 'idempotency_key', 'status', 'error_code', 'error_title', 'provider_message_id')
        .where('workspace_id', opts.workspaceId),
    Date.now() + 30_000,
  );
  const byId = new Map(rows.map((r) => [r.id, r]));

  const lostIds: string[] = [];
  const missingIds: string[] = [];
  for (const id of acceptedIds) {
    const row = byId.get(id);
    if (row === undefined) {
      missingIds.push(id);
      lostIds.push(id);
    } else if (!FINAL.has(row.status)) lostIds.push(id);
    else if (row.status === 'FAILED' && row.error_code === null && (row.error_title ?? '') === '')
      lostIds.push(id);
  }

  const perKey = new Map<string, number>();
  for (const r of rows)
    if (r.idempotency_key !== null) perKey.set(r.idempotency_key, (perKey.get(r.idempotency_key) ?? 0) + 1);
  const duplicateKeys = [...perKey.entries()].filter(([, n]) => n > 1).map(([k]) => k);
  for (const o of load.outcomes)
    if (o.ids.length > 1 && !duplicateKeys.includes(o.key)) duplicateKeys.push(o.key);
  // One message per key: extra rows (a row without a key is not ours, so extra too), and keys
  // whose 201s named different ids.
  const inconsistentKeys = load.outcomes.filter(
    (o) => o.ids.length > 1 && (perKey.get(o.key) ?? 0) <= 1,
  ).length;
  const clientDuplicates = rows.length - perKey.size + inconsistentKeys;
  const acceptedKeys = new Set(accepted.map((o) => o.key));
  const orphans = rows.filter(
    (r) => r.idempotency_key !== null && !acceptedKeys.has(r.idempotency_key),
  ).length;

  const summaryRes = await fetch(`${opts.sandboxUrl}/_sandbox/calls/summary?perMessage=true`);
  const summary = (await summaryRes.json()) as CallSummary;
  const perMessage = summary.perMessage ?? {};
  const unconfirmedIds = rows
    .filter((r) => r.status === 'SENT')
    .filter((r) => !(perMessage[r.id]?.wamids ?? []).includes(r.provider_message_id ?? ''))
    .map((r) => r.id);
  let providerDuplicates = 0;
  for (const r of rows) providerDuplicates += Math.max(0, (perMessage[r.id]?.accepted ?? 0) - 1);

  // Every duplicate must be visible in its message's history.
  const flagged = new Map<string, number>();
  const events = await query(
    () =>
      opts
        .db('message_events as e')
        .join('messages as m', 'm.id', 'e.message_id')
        .where('m.workspace_id', opts.workspaceId)
        .whereNotNull('e.detail')
        .select<Array<{ message_id: string; detail: string }>>('e.message_id', 'e.detail'),
    Date.now() + 30_000,
  );
  for (const e of events)
    if (POSSIBLE_DUPLICATE.test(e.detail)) flagged.set(e.message_id, (flagged.get(e.message_id) ?? 0) + 1);
  const undetectedIds = rows
    .filter((r) => (perMessage[r.id]?.accepted ?? 0) - 1 > (flagged.get(r.id) ?? 0))
    .map((r) => r.id);
  // The evidence, for the failure message and the report: each such message's history and calls.
  const undetectedDuplicates: string[] = [];
  for (const id of undetectedIds.slice(0, 10)) {
    const history = await query(
      () =>
        opts
          .db('message_events')
          .select<Array<{ status: string; detail: string | null; created_at: Date }>>(
            'status',
            'detail',
            'created_at',
          )
          .where('message_id', id)
          .orderBy('id'),
      Date.now() + 30_000,
    );
    const calls = (await (
      await fetch(`${opts.sandboxUrl}/_sandbox/calls?bizOpaque=${encodeURIComponent(id)}`)
    ).json()) as {
      calls: Array<{ status: number; at: number; wamid?: string; fault?: string }>;
    };
    undetectedDuplicates.push(
      `${id}: provider calls [${calls.calls
        .map(
          (c) =>
            `${new Date(c.at).toISOString().slice(11, 23)} ${c.status}${c.wamid !== undefined ? ' accepted' : ''}${c.fault !== undefined ? ` (${c.fault})` : ''}`,
        )
        .join('; ')}]; history [${history
        .map(
          (h) =>
            `${new Date(h.created_at).toISOString().slice(11, 23)} ${h.status}${h.detail !== null ? ` "${h.detail}"` : ''}`,
        )
        .join('; ')}]`,
    );
  }
  if (undetectedIds.length > 10) undetectedDuplicates.push(`… and ${undetectedIds.length - 10} more`);
  const flaggedTotal = [...flagged.values()].reduce((a, b) => a + b, 0);

  // Through the public door: a sample of messages as a partner would read them.
  const apiMismatches: string[] = [];
  const sample = accepted
    .filter((_, i) => i % Math.max(1, Math.floor(accepted.length / 25)) === 0)
    .slice(0, 25);
  for (const o of sample) {
    const res = await fetch(`${opts.apiUrl()}/api/v1/public/messages/${o.id ?? ''}`, {
      headers: opts.headers,
    });
    const view =
      res.status === 200
        ? ((await res.json()) as { data: { status: string; providerMessageId: string | null } })
        : undefined;
    const row = byId.get(o.id ?? '');
    if (
      view === undefined ||
      row === undefined ||
      view.data.status !== row.status ||
      view.data.providerMessageId !== row.provider_message_id
    )
      apiMismatches.push(`${o.id ?? '?'}: HTTP ${res.status}`);
  }

  const latencies = accepted.map((o) => o.doneAt - o.dueAt);
  const notes = [...(opts.notes ?? [])];
  const answers = Object.entries(load.answers)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k}×${n}`)
    .join(', ');
  notes.push(
    `accept latency p50 ${percentile(latencies, 50).toFixed(0)} ms, p90 ${percentile(latencies, 90).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms`,
  );
  notes.push(`HTTP answers: ${answers}; replays: ${accepted.reduce((n, o) => n + o.replays, 0)}`);
  notes.push(`history: ${flaggedTotal} attempts marked as possible provider duplicates`);
  for (const d of undetectedDuplicates) notes.push(`UNMARKED DUPLICATE ${d}`);
  notes.push(
    `provider: ${summary.calls} calls, ${summary.accepted} accepted for ${summary.messages} messages; injected ${JSON.stringify(summary.faults)}`,
  );
  if (orphans > 0)
    notes.push(`${orphans} messages stored for sends that never got a 201 (given up or rejected)`);
  const rejected = load.outcomes.filter((o) => o.status !== undefined && o.status !== 201);
  if (rejected.length > 0)
    notes.push(
      `rejected: ${rejected
        .slice(0, 5)
        .map((o) => `${o.key} ${o.status ?? ''} ${o.errorCode ?? ''}`)
        .join(', ')}`,
    );
  const statusSent = rows.filter((r) => r.status === 'SENT').length;
  const statusFailed = rows.filter((r) => r.status === 'FAILED').length;
  if (statusFailed > 0) {
    const reasons = new Map<string, number>();
    for (const r of rows.filter((x) => x.status === 'FAILED')) {
      const reason = `${r.error_code ?? '-'} ${r.error_title ?? ''}`;
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    notes.push(`FAILED reasons: ${[...reasons.entries()].map(([k, n]) => `${k} ×${n}`).join('; ')}`);
  }

  const result: ScenarioResult = {
    scenario: opts.scenario,
    fault: opts.fault,
    sent: load.outcomes.length,
    accepted: accepted.length,
    rejected: rejected.length,
    gaveUp: load.outcomes.filter((o) => o.status === undefined).length,
    retries: load.outcomes.reduce((n, o) => n + o.attempts - 1, 0),
    offeredPerSec: opts.ratePerSec,
    loadSeconds: (load.issuedAt - load.startedAt) / 1000,
    acceptP50Ms: percentile(latencies, 50),
    acceptP99Ms: percentile(latencies, 99),
    acceptMaxMs: percentile(latencies, 100),
    lost: lostIds.length,
    clientDuplicates,
    providerDuplicates,
    providerDuplicateBound: opts.providerDuplicateBound({ summary, flaggedAttempts: flaggedTotal }),
    statusSent,
    statusFailed,
    drainMs: Math.max(0, finalAt - load.lastAcceptedAt),
    notes,
  };
  return {
    result,
    lostIds,
    duplicateKeys,
    unconfirmedIds,
    missingIds,
    undetectedDuplicates,
    apiMismatches,
    rows,
    summary,
  };
}
