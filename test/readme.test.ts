import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EnvSchema } from '@flowgate/config';
import { ERROR_CODES } from '@flowgate/contracts';
import { COMMANDS, usageOf } from '@flowgate/cli';

const readme = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
/** The pnpm version package.json pins (`packageManager`), which the README's commands run. */
const pinnedPnpm = (
  JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { packageManager: string }
).packageManager.split('@')[1];

/** Rows of the markdown table that follows `heading`, as arrays of cells. */
function tableAfter(heading: string): string[][] {
  const start = readme.indexOf(`\n## ${heading}\n`);
  expect(start).toBeGreaterThan(-1);
  const rest = readme.slice(start + heading.length + 5);
  const end = rest.search(/\n## /);
  const section = end === -1 ? rest : rest.slice(0, end);
  return section
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) =>
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
}

describe('README stays in step with the code', () => {
  it('the error table lists every error code with its HTTP status, and nothing else', () => {
    const rows = tableAfter('Errors').map(
      ([code, status]) => [code?.replace(/`/g, ''), Number(status)] as const,
    );
    expect(Object.fromEntries(rows)).toEqual(
      Object.fromEntries(Object.entries(ERROR_CODES).map(([code, v]) => [code, v.status])),
    );
  });

  it('the configuration table lists every environment variable with its default, and nothing else', () => {
    const rows = tableAfter('Configuration').map(
      ([name, , def]) => [name?.replace(/`/g, ''), def === '—' ? undefined : def?.replace(/`/g, '')] as const,
    );
    const expected = Object.entries(EnvSchema.properties).map(([name, schema]) => {
      const d = (schema as { default?: unknown }).default;
      return [name, typeof d === 'string' || typeof d === 'number' ? String(d) : undefined] as const;
    });
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(expected));
  });

  it('the CLI table lists every command with its exact flags and the keys it prints, and nothing else', () => {
    const rows = tableAfter('CLI').map(([command, prints]) => [
      command?.replace(/`/g, ''),
      [...(prints ?? '').matchAll(/"(\w+)"/g)].map((m) => m[1]),
    ]);
    const expected = Object.entries(COMMANDS).map(([name, spec]) => [
      `pnpm cli ${usageOf(name, spec)}`,
      [...spec.prints],
    ]);
    expect(rows).toEqual(expected);
  });

  it('starts with the two commands, run and test, each through the pinned pnpm (no pnpm needed on PATH)', () => {
    const firstBlock = /```bash\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const pnpm = `npx --yes pnpm@${pinnedPnpm}`;
    const [run, test] = firstBlock.split('\n').map((line) => line.replace(/\s+#.*$/, ''));
    expect(run).toBe(`${pnpm} install && ${pnpm} start`);
    expect(test).toBe(`${pnpm} install && ${pnpm} test:all`);
  });
});
