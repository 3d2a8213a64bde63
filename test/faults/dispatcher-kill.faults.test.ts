import { expectGuarantees, runScenario } from './support/scenario';
import { SUITE_ENV } from './support/stack';

describe('fault: a dispatcher is killed', () => {
  it('when one of the two dispatchers is killed with SIGKILL mid-load and replaced, then every accepted message ends SENT or FAILED and duplicates stay within its in-flight window', async () => {
    const v = await runScenario({
      name: 'dispatcher-kill',
      async fault({ stack, at, elapsed }) {
        await at(12_000);
        const victim = stack.dispatchers[0];
        if (victim === undefined) throw new Error('no dispatcher to kill');
        const killedAt = elapsed();
        await stack.kill(victim);
        const replacement = await stack.startDispatcher();
        return `kill -9 ${victim.name} at ${killedAt}, ${replacement.name} consuming at ${elapsed()}`;
      },
      // Only a call answered by the provider but not yet recorded by the killed process can be
      // repeated: at most its prefetch window.
      providerDuplicateBound: () => Number(SUITE_ENV.DISPATCH_PREFETCH),
    });
    expectGuarantees(v);
  });
});
