/**
 * One fault scenario: a fresh stack (its own AMQP prefix, workspace and sandbox), a steady load
 * of FAULTS_SENDS sends (default 5,000) at FAULTS_RATE per second (default 100), the fault
 * injected while the load runs, then the drain and the checks. The row goes into the summary.
 */
import type { ChaosSettings } from '@flowgate/sandbox';
import { atLoadTime, startLoad, type RunningLoad } from './load';
import { recordResult } from './report';
import { startFaultStack, type FaultStack, type Partner } from './stack';
import { drainAndVerify, type DuplicateEvidence, type Verification } from './verify';

export const SENDS = Number(process.env['FAULTS_SENDS'] ?? 5000);
export const RATE = Number(process.env['FAULTS_RATE'] ?? 100);
/** How long the load runs, in milliseconds. */
export const LOAD_MS = (SENDS / RATE) * 1000;

export interface ScenarioContext {
  stack: FaultStack;
  load: RunningLoad;
  partner: Partner;
  /** Resolves `ms` after the load started. */
  at(ms: number): Promise<void>;
  /** Seconds since the load started, for the fault description. */
  elapsed(): string;
  sleep(ms: number): Promise<void>;
}

export interface ScenarioSpec {
  name: string;
  env?: Record<string, string>;
  chaos?: ChaosSettings;
  /** Injects the fault while the load runs; returns what was done (for the summary). */
  fault(ctx: ScenarioContext): Promise<string>;
  /** The most provider duplicates this fault can explain (docs/contracts.md §6). */
  providerDuplicateBound(evidence: DuplicateEvidence): number;
}

export async function runScenario(spec: ScenarioSpec): Promise<Verification> {
  if (!Number.isInteger(SENDS) || SENDS < 1 || !(RATE > 0))
    throw new Error('FAULTS_SENDS / FAULTS_RATE are invalid');
  const stack = await startFaultStack(spec.env);
  try {
    const partner = await stack.partner();
    if (spec.chaos !== undefined) {
      const res = await fetch(`${stack.sandbox.url}/_sandbox/chaos`, {
        method: 'PUT',
        body: JSON.stringify(spec.chaos),
      });
      if (res.status !== 200)
        throw new Error(`could not set the chaos mix: ${res.status} ${await res.text()}`);
    }
    // Warm each API's key cache so the load measures the send path, not one argon2 per process.
    for (const api of stack.apis) {
      const res = await fetch(`${api.url}/api/v1/public/templates`, { headers: partner.headers });
      if (res.status !== 200) throw new Error(`warm-up failed on ${api.name}: ${res.status}`);
    }

    const keyPrefix = `${spec.name}-${Date.now().toString(36)}`;
    const load = startLoad({
      targets: () => stack.apis.map((a) => a.url),
      total: SENDS,
      ratePerSec: RATE,
      headers: partner.headers,
      keyPrefix,
      body: (i) => ({
        type: 'text',
        phone: `+44 7700 ${String(i).padStart(6, '0')}`,
        content: `Fault suite ${spec.name}: message ${i}`,
      }),
    });
    const ctx: ScenarioContext = {
      stack,
      load,
      partner,
      at: (ms) => atLoadTime(load, ms),
      elapsed: () => `${((Date.now() - load.startedAt) / 1000).toFixed(1)} s`,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    };
    const fault = await spec.fault(ctx);
    const loadResult = await load.done;
    const cpu = stack.cpuSeconds();
    const errors = stack.errorLines();
    const notes = [
      `CPU s at end of load: ${Object.entries(cpu)
        .map(([k, v]) => `${k} ${v.toFixed(1)}`)
        .join(', ')}`,
    ];
    if (errors.length > 0)
      notes.push(`${errors.length} error-level log lines, first: ${errors[0]?.slice(0, 400) ?? ''}`);
    const verification = await drainAndVerify({
      scenario: spec.name,
      fault,
      db: stack.db,
      workspaceId: partner.workspaceId,
      sandboxUrl: stack.sandbox.url,
      apiUrl: () => stack.apis[0]?.url ?? '',
      headers: partner.headers,
      load: loadResult,
      ratePerSec: RATE,
      providerDuplicateBound: spec.providerDuplicateBound,
      notes,
    });
    recordResult(stack.state.dir, verification.result);
    return verification;
  } finally {
    await stack.close(spec.name);
  }
}

/** The guarantees every scenario checks (docs/contracts.md §6), with the evidence in the failure message. */
export function expectGuarantees(v: Verification): void {
  const r = v.result;
  // Load held: every send got its 201 (after retries with the same key); none given up or rejected.
  expect({ accepted: r.accepted, rejected: r.rejected, gaveUp: r.gaveUp }).toEqual({
    accepted: r.sent,
    rejected: 0,
    gaveUp: 0,
  });
  // None lost: every accepted message is SENT, or FAILED with the provider's reason.
  expect(v.lostIds).toEqual([]);
  // Client retries created no duplicates.
  expect(v.duplicateKeys).toEqual([]);
  expect(r.clientDuplicates).toBe(0);
  // Every SENT message carries a wamid the provider really issued for it.
  expect(v.unconfirmedIds).toEqual([]);
  // Provider duplicates are counted, each is visible in its message's history (docs/contracts.md §6), and
  // they stay within what the fault explains.
  expect(v.undetectedDuplicates).toEqual([]);
  expect(r.providerDuplicates).toBeLessThanOrEqual(r.providerDuplicateBound);
  // What a partner reads through the API agrees with the database.
  expect(v.apiMismatches).toEqual([]);
}
