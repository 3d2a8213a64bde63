import { rabbitStartApp, rabbitStopApp } from './support/instances';
import { expectGuarantees, runScenario } from './support/scenario';

describe('fault: RabbitMQ stops and starts', () => {
  it('when RabbitMQ is stopped for 8 s under load (rabbitmqctl stop_app / start_app), then nothing accepted is lost or sent twice', async () => {
    const v = await runScenario({
      name: 'rabbitmq-restart',
      async fault({ stack, at, elapsed }) {
        await at(10_000);
        const stoppedAt = elapsed();
        await rabbitStopApp(stack.state.rabbit);
        await at(18_000);
        const startedAt = elapsed();
        await rabbitStartApp(stack.state.rabbit);
        return `stop_app at ${stoppedAt}, start_app at ${startedAt}`;
      },
      // No process dies between a provider answer and its status write (DESIGN §6): none.
      providerDuplicateBound: () => 0,
    });
    expectGuarantees(v);
  });
});
