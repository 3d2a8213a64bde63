import { rabbitStartApp, rabbitStopApp } from './support/instances';
import { expectGuarantees, runScenario } from './support/scenario';

describe('fault: RabbitMQ stops and starts', () => {
  it('when RabbitMQ is down for 8 s under load (rabbitmqctl stop_app / start_app), then nothing accepted is lost or sent twice', async () => {
    const v = await runScenario({
      name: 'rabbitmq-restart',
      async fault({ stack, at, elapsed, sleep }) {
        await at(10_000);
        const issuedAt = elapsed();
        // stop_app returns once the broker is down (connections closed); the outage runs from there.
        await rabbitStopApp(stack.state.rabbit);
        const stoppedAt = elapsed();
        await sleep(8000);
        const startingAt = elapsed();
        await rabbitStartApp(stack.state.rabbit);
        return `stop_app issued at ${issuedAt}, down at ${stoppedAt}; start_app at ${startingAt}, up at ${elapsed()}`;
      },
      // No process dies between a provider answer and its status write (docs/contracts.md §6): none.
      providerDuplicateBound: () => 0,
    });
    expectGuarantees(v);
  });
});
