// One Jest run for the whole workspace, as two projects (ADR 0019):
// - unit: tests that need no database, broker or child process. No global setup, so they run with
//   PostgreSQL and RabbitMQ down (`pnpm test:unit`, seconds; CI runs them with both unreachable).
// - integration: everything else, after the global setup has created and migrated the test database.
// `pnpm test` runs both; `pnpm test:unit` / `pnpm test:integration` select one (`--selectProjects`).
// ts-jest transpiles only (isolatedModules); the type check is `pnpm typecheck`, run by CI first.
//
// A test is a unit test when it sits in a `test/unit/` folder, is named `*.unit.test.ts`, or is
// listed in UNIT_PATHS. A listed file that moves simply lands in the integration project (still run
// by `pnpm test`); a unit test that starts to need a service fails `pnpm test:unit` in CI.

/** Paths (from the repository root) of unit tests outside the two conventions; a folder ends in `/`. */
const UNIT_PATHS = [
  'packages/config/test/load-config.test.ts',
  'packages/config/test/sandbox-config.test.ts',
  'packages/contracts/test/',
  'packages/logger/test/',
  'packages/messaging/test/in-memory-broker.test.ts',
  'packages/sandbox/test/chaos.test.ts',
  'packages/sandbox/test/numbers.test.ts',
  'packages/sandbox/test/server.test.ts',
  'packages/sandbox/test/validation.test.ts',
  'packages/whatsapp-cloud/test/',
  'test/deploy/docker-compose.test.ts',
  'test/readme.test.ts',
];

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const asGlob = (p) => `<rootDir>/${p}${p.endsWith('/') ? '**/*.test.ts' : ''}`;
const asRegex = (p) => `<rootDir>/${escape(p)}`;

const UNIT_GLOBS = ['**/test/unit/**/*.test.ts', '**/*.unit.test.ts', ...UNIT_PATHS.map(asGlob)];

/** @type {import('jest').Config} */
const shared = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/services', '<rootDir>/test'],
  testPathIgnorePatterns: ['/node_modules/', '/test/faults/'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
};

/** @type {import('jest').Config} */
const config = {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: UNIT_GLOBS,
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['**/test/**/*.test.ts'],
      testPathIgnorePatterns: [
        ...shared.testPathIgnorePatterns,
        '/test/unit/',
        '\\.unit\\.test\\.ts$',
        ...UNIT_PATHS.map(asRegex),
      ],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
    },
  ],
  testTimeout: 30000,
  maxWorkers: 2,
};
module.exports = config;
