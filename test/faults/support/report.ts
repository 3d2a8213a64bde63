/** The fault suite's summary: one row per scenario, printed after each and together at the end. */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@flowgate/testing';

export interface ScenarioResult {
  scenario: string;
  /** What was done, and when (seconds from the start of the load). */
  fault: string;
  /** Logical sends offered (one Idempotency-Key each). */
  sent: number;
  /** Sends that got a 201 (after client retries). */
  accepted: number;
  /** Sends that ended with a 4xx, or that the client gave up on. */
  rejected: number;
  gaveUp: number;
  /** HTTP requests beyond one per send (network errors, 5xx, 429), all with the same key. */
  retries: number;
  offeredPerSec: number;
  loadSeconds: number;
  /** From the send's scheduled time to its 201, over accepted sends. */
  acceptP50Ms: number;
  acceptP99Ms: number;
  acceptMaxMs: number;
  /** Accepted messages not SENT or FAILED (with a provider reason) when the drain ended. */
  lost: number;
  /** Messages beyond one per Idempotency-Key, plus keys answered with different ids. */
  clientDuplicates: number;
  /** Accepted provider calls beyond the first, summed over messages. */
  providerDuplicates: number;
  providerDuplicateBound: number;
  statusSent: number;
  statusFailed: number;
  /** From the last 201 until every accepted message was final. */
  drainMs: number;
  notes: string[];
}

const RESULTS_FILE = 'results.jsonl';

export function recordResult(dir: string, result: ScenarioResult): void {
  appendFileSync(path.join(dir, RESULTS_FILE), `${JSON.stringify(result)}\n`);
  process.stdout.write(`\n${formatTable([result])}\n`);
}

export function readResults(dir: string): ScenarioResult[] {
  const file = path.join(dir, RESULTS_FILE);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ScenarioResult);
}

export function formatTable(results: readonly ScenarioResult[]): string {
  const header = [
    'scenario',
    'sent',
    'accepted',
    'lost',
    'client dup',
    'provider dup (bound)',
    'SENT',
    'FAILED',
    'retries',
    'rate/s',
    'p99 accept',
    'drain',
    'fault',
  ];
  const rows = results.map((r) => [
    r.scenario,
    String(r.sent),
    String(r.accepted),
    String(r.lost),
    String(r.clientDuplicates),
    `${r.providerDuplicates} (≤ ${r.providerDuplicateBound})`,
    String(r.statusSent),
    String(r.statusFailed),
    String(r.retries),
    r.offeredPerSec.toFixed(0),
    `${(r.acceptP99Ms / 1000).toFixed(2)} s`,
    `${(r.drainMs / 1000).toFixed(1)} s`,
    r.fault,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** Prints every scenario's row and keeps them in .ci/out/faults-summary.{json,md}. */
export function printSummary(results: readonly ScenarioResult[]): void {
  if (results.length === 0) return;
  const table = formatTable(results);
  const notes = results.flatMap((r) => r.notes.map((n) => `- ${r.scenario}: ${n}`));
  const text = `Fault suite summary\n\n${table}\n${notes.length > 0 ? `\n${notes.join('\n')}\n` : ''}`;
  process.stdout.write(`\n${text}\n`);
  const out = path.join(REPO_ROOT, '.ci', 'out');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'faults-summary.json'), JSON.stringify(results, null, 2));
  writeFileSync(path.join(out, 'faults-summary.md'), text);
}
