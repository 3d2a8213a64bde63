import { expectGuarantees, runScenario } from './support/scenario';

describe('fault: an API process is killed', () => {
  it('when one of the two APIs is killed with SIGKILL mid-load and comes back, then client retries with the same Idempotency-Key create no duplicates and nothing is lost', async () => {
    const v = await runScenario({
      name: 'api-kill',
      async fault({ stack, at, elapsed, sleep }) {
        await at(12_000);
        const victim = stack.apis[0];
        if (victim === undefined) throw new Error('no API to kill');
        const killedAt = elapsed();
        await stack.kill(victim);
        await sleep(8000);
        const restartedAt = elapsed();
        await stack.restartApi(0);
        return `kill -9 ${victim.name} at ${killedAt}, started again at ${restartedAt}, ready at ${elapsed()}`;
      },
      // The dispatchers are untouched: no provider duplicates (docs/contracts.md §6).
      providerDuplicateBound: () => 0,
    });
    expectGuarantees(v);
  });
});
