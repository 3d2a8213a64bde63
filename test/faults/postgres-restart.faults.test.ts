import { startPostgres, stopPostgres } from './support/instances';
import { expectGuarantees, runScenario } from './support/scenario';
import { SUITE_ENV } from './support/stack';

describe('fault: PostgreSQL restarts', () => {
  it('when PostgreSQL is stopped (fast shutdown) for 5 s under load and started again, then every accepted message ends SENT or FAILED, none twice by a client', async () => {
    const v = await runScenario({
      name: 'postgres-restart',
      async fault({ stack, at, elapsed, sleep }) {
        await at(12_000);
        const issuedAt = elapsed();
        await stopPostgres(stack.state.postgres);
        const stoppedAt = elapsed();
        await sleep(5000);
        const startingAt = elapsed();
        await startPostgres(stack.state.postgres);
        return `pg_ctl stop -m fast issued at ${issuedAt}, down at ${stoppedAt}; start at ${startingAt}, up at ${elapsed()}`;
      },
      // A status write that fails after the provider answered makes the message be sent again:
      // at most every dispatcher's in-flight window.
      providerDuplicateBound: () => 2 * Number(SUITE_ENV.DISPATCH_PREFETCH),
    });
    expectGuarantees(v);
  });
});
