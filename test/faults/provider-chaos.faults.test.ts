import { expectGuarantees, runScenario } from './support/scenario';

describe('fault: the provider misbehaves', () => {
  it('when the provider answers 10 % HTTP 500, 5 % too late and 130429 in bursts, then every accepted message still ends SENT or FAILED once, duplicates counted', async () => {
    const v = await runScenario({
      name: 'provider-chaos',
      env: { PROVIDER_TIMEOUT_MS: '1000' },
      // Late answers come after 2.5 s; the dispatcher gives up after PROVIDER_TIMEOUT_MS = 1 s.
      chaos: {
        http500Rate: 0.1,
        timeoutRate: 0.05,
        timeoutMs: 2500,
        throttleBurst: { everyMs: 10_000, durationMs: 1000 },
      },
      fault: () =>
        Promise.resolve('whole run: 10 % HTTP 500, 5 % answered after 2.5 s, 130429 for 1 s in every 10 s'),
      // Each late answer (and any call that outlived the 1 s timeout on this busy machine) is an
      // accepted call the dispatcher never heard of; it must have marked the retry as a possible
      // duplicate. Nothing else in this scenario can cause one.
      providerDuplicateBound: ({ flaggedAttempts }) => flaggedAttempts,
    });
    expectGuarantees(v);
    // The mix really was applied, and its duplicates were seen (not just allowed): every late
    // answer is followed by another accepted call, unless its message ended FAILED.
    expect(v.summary.faults.http500).toBeGreaterThan(0);
    expect(v.summary.faults.timeout).toBeGreaterThan(0);
    expect(v.summary.faults.throttle).toBeGreaterThan(0);
    expect(v.result.providerDuplicates).toBeGreaterThanOrEqual(
      v.summary.faults.timeout - v.result.statusFailed,
    );
  });
});
