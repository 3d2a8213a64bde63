import { startProcess } from '@flowgate/testing';
import { TEST_AMQP_URL, TEST_DATABASE_URL } from '@flowgate/testing';

/**
 * docs/contracts.md §4: configuration is read once at start; a bad or missing value stops the process with a
 * list of every problem. Each service's entry point, run as a real process.
 */
describe('service entry points with a bad configuration', () => {
  const bad = {
    DATABASE_URL: TEST_DATABASE_URL,
    AMQP_URL: TEST_AMQP_URL,
    // Both secrets are missing (required with DATABASE_URL), and two values are malformed.
    PORT: 'eighty',
    LOG_LEVEL: 'loud',
  };

  it.each([
    ['public-api', 'services/public-api/src/main.ts'],
    ['dispatcher', 'services/dispatcher/src/main.ts'],
    ['pnpm start', 'scripts/start.ts'],
  ])(
    'when %s starts with two malformed values and two missing secrets, then it exits 78 naming all four',
    async (_name, entry) => {
      const proc = startProcess(entry, bad);
      const code = await new Promise<number | null>((resolve) => proc.child.once('exit', resolve));
      const output = proc.output.join('');
      expect(code).toBe(78);
      for (const variable of ['PORT', 'LOG_LEVEL', 'FLOWGATE_SECRET_KEY', 'JWT_SECRET'])
        expect(output).toContain(variable);
      // The allowed levels are named, once, rather than one line per alternative.
      expect(output).toMatch(/LOG_LEVEL.*must be one of/);
      expect(output).not.toMatch(/\n\s+at /);
    },
    30_000,
  );
});
