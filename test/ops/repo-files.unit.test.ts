import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { EnvSchema } from '@flowgate/config';

/** The files a newcomer reads first stay true to the code. */
const root = path.join(__dirname, '..', '..');
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as { license?: string; scripts: Record<string, string> };

describe('repository files', () => {
  it('.env.example shows every configuration variable once, and no other', () => {
    const names = [...read('.env.example').matchAll(/^# ([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);
    expect(names).toEqual(Object.keys(EnvSchema.properties));
  });

  it('LICENSE is MIT, as package.json says', () => {
    expect(read('LICENSE')).toMatch(/^MIT License/);
    expect(pkg.license).toBe('MIT');
  });

  it('CONTRIBUTING names only root scripts that exist and paths that exist', () => {
    const text = read('CONTRIBUTING.md');
    const builtins = new Set(['install', 'exec', 'add']);
    // Commands in code blocks and code spans (prose may say "the pnpm that …").
    const code = [...text.matchAll(/```[a-z]*\n([\s\S]*?)```|`([^`\n]+)`/g)]
      .map((m) => m[1] ?? m[2] ?? '')
      .join('\n');
    const scripts = [...code.matchAll(/\bpnpm ([a-z][a-z:]*)/g)].map((m) => m[1] ?? '');
    expect(scripts.length).toBeGreaterThan(5);
    for (const s of scripts) if (!builtins.has(s)) expect(Object.keys(pkg.scripts)).toContain(s);
    const paths = [...text.matchAll(/^\| `([a-z][^`]*)`/gm)].flatMap((m) => (m[1] ?? '').split(/`, `/));
    for (const p of paths) expect(existsSync(path.join(root, p.replace(/\/$/, '')))).toBe(true);
  });

  it('CHANGELOG has an Unreleased section', () => {
    expect(read('CHANGELOG.md')).toMatch(/^## \[Unreleased\]$/m);
  });
});
