import { readdirSync } from 'node:fs';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

const root = import.meta.dirname;
/** Every workspace package's folder (packages/*, services/*). */
const workspaces = ['packages', 'services'].flatMap((dir) =>
  readdirSync(`${root}/${dir}`, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => `${dir}/${d.name}`),
);

/** Another package is reached through its entry point only (`@flowgate/x`), never its src or test. */
const restrictedImports = {
  patterns: [
    {
      group: ['@flowgate/*/src', '@flowgate/*/src/*', '@flowgate/*/test', '@flowgate/*/test/*'],
      message: 'Import the package itself (@flowgate/x).',
    },
  ],
};

/** SQL lives in stores (`knex-<aggregate>-store.ts`) and in packages/db, nowhere else (ADR 0020). */
const SQL = '/^\\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM|WITH)\\b|\\bpg_notify\\b/';
const storesOnly = {
  'no-restricted-imports': [
    'error',
    {
      ...restrictedImports,
      paths: [
        {
          name: 'knex',
          message: 'Only stores (knex-<aggregate>-store.ts) and packages/db use knex (ADR 0020).',
        },
        { name: 'pg', message: 'Only packages/db talks to PostgreSQL directly (ADR 0020).' },
      ],
    },
  ],
  'no-restricted-syntax': [
    'error',
    {
      selector: 'CallExpression[callee.property.name=/^(raw|whereRaw|transaction)$/]',
      message: 'Database access belongs in a store (knex-<aggregate>-store.ts, ADR 0020).',
    },
    { selector: `Literal[value=${SQL}]`, message: 'SQL belongs in a store (ADR 0020).' },
    { selector: `TemplateElement[value.raw=${SQL}]`, message: 'SQL belongs in a store (ADR 0020).' },
  ],
};

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '.data/**',
      'coverage/**',
      '**/*.js',
      '**/*.mjs',
      'packages/sdk/src/generated/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: root } },
    plugins: { 'import-x': importX },
    // Resolves `./x` to `./x.ts`, so a relative import that leaves its package is seen as one.
    settings: { 'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'] })] },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
      'no-restricted-imports': ['error', restrictedImports],
      // A relative import may not leave its package (`../../packages/x/src/...`).
      'import-x/no-relative-packages': 'error',
      // Every import is declared by the package that makes it (its nearest package.json).
      'import-x/no-extraneous-dependencies': ['error', { devDependencies: false, includeTypes: true }],
    },
  },
  {
    files: ['packages/*/src/**/*.ts', 'services/*/src/**/*.ts'],
    ignores: ['packages/db/src/**', 'packages/testing/src/**', '**/knex-*.ts'],
    rules: storesOnly,
  },
  // Tests and scripts may use what the package or the repository root declares, dev ones included.
  ...workspaces.map((dir) => ({
    files: [`${dir}/test/**/*.ts`],
    rules: {
      'import-x/no-extraneous-dependencies': [
        'error',
        { devDependencies: true, includeTypes: true, packageDir: [root] },
      ],
    },
  })),
  // The dashboard's build configuration runs at build time only: its dev dependencies are its tools.
  {
    files: ['services/dashboard/vite.config.ts'],
    rules: { 'import-x/no-extraneous-dependencies': ['error', { devDependencies: true }] },
  },
  {
    files: ['test/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      'import-x/no-extraneous-dependencies': [
        'error',
        { devDependencies: true, includeTypes: true, packageDir: [root] },
      ],
    },
  },
  {
    files: ['**/test/**/*.ts', 'scripts/**/*.ts', 'packages/cli/src/**/*.ts'],
    // expect.any() and friends are typed `any` by Jest; tests keep every other rule.
    rules: {
      'no-console': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
);
