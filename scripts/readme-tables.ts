/**
 * Prints the README's configuration, error and CLI tables from the code (`pnpm exec tsx
 * scripts/readme-tables.ts`). test/readme.test.ts fails when the README drifts from them.
 */
import { EnvSchema } from '@flowgate/config';
import { ERROR_CODES } from '@flowgate/contracts';
import { COMMANDS, usageOf } from '@flowgate/cli';

const config = Object.entries(EnvSchema.properties).map(([name, schema]) => {
  const s = schema as { description?: string; default?: unknown };
  const d = typeof s.default === 'string' || typeof s.default === 'number' ? `\`${s.default}\`` : '—';
  return `| \`${name}\` | ${s.description ?? ''} | ${d} |`;
});
const errors = Object.entries(ERROR_CODES).map(([code, v]) => `| \`${code}\` | ${v.status} | ${v.meaning} |`);
const cli = Object.entries(COMMANDS).map(([name, spec]) => {
  const keys = spec.prints.map((k) => `"${k}"`).join(', ');
  return `| \`pnpm cli ${usageOf(name, spec)}\` | \`{${keys}}\` |`;
});
process.stdout.write(`${config.join('\n')}\n\n${errors.join('\n')}\n\n${cli.join('\n')}\n`);
