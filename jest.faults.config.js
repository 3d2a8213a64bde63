// The fault suite (`pnpm test:faults`, ADR 0015): the real stack as separate processes under a
// steady load while RabbitMQ, PostgreSQL, an API, a dispatcher or the provider fail. Serial
// (--runInBand): the scenarios share one private PostgreSQL and RabbitMQ and the machine's cores.
/** @type {import('jest').Config} */
const config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/faults'],
  testMatch: ['**/*.faults.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  globalSetup: '<rootDir>/test/faults/global-setup.ts',
  globalTeardown: '<rootDir>/test/faults/global-teardown.ts',
  testTimeout: 240000,
  maxWorkers: 1,
  verbose: true,
};
module.exports = config;
